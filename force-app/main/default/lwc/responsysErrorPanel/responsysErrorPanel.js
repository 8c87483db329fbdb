import { LightningElement, api } from 'lwc';

const ICONS = {
  error: { name: 'error', text: 'Error', className: 'slds-icon-text-error' },
  warning: { name: 'warning', text: 'Warning', className: 'slds-icon-text-warning' },
  info: { name: 'info', text: 'Information', className: 'slds-icon-text-default' },
};

const UTILITY_SPRITE = '/_slds/icons/utility-sprite/svg/symbols.svg';

/**
 * Shows one described error (from c/responsysErrors): a plain title and sentence, an optional
 * retry action, and the technical details only when the rep asks for them.
 * @fires retry when the rep presses the retry button
 */
export default class ResponsysErrorPanel extends LightningElement {
  /** First sentence, e.g. "We couldn't load email engagement." */
  @api heading;
  /** What it means for the rep and what to do next. */
  @api message;
  /** Label of the retry button; no button when empty. */
  @api retryLabel;
  /** error (a failed action, announced), warning or info (a standing condition). */
  @api variant = 'error';

  _details = [];
  detailsShown = false;

  /** Technical details (raw messages, codes) shown on demand. */
  @api
  get details() {
    return this._details;
  }
  set details(value) {
    this._details = Array.isArray(value) ? value.filter((detail) => typeof detail === 'string') : [];
    this.detailsShown = false;
  }

  get icon() {
    return ICONS[this.variant] || ICONS.error;
  }

  get containerClass() {
    const variant = ICONS[this.variant] ? this.variant : 'error';
    return `panel panel_${variant} slds-media slds-media_small`;
  }

  // Failed actions are announced at once; standing conditions (a failed sync) are just shown.
  get role() {
    return this.variant === 'error' || !ICONS[this.variant] ? 'alert' : null;
  }

  get iconHref() {
    return `${UTILITY_SPRITE}#${this.icon.name}`;
  }

  get iconClass() {
    return `slds-icon slds-icon_x-small ${this.icon.className}`;
  }

  get iconText() {
    return this.icon.text;
  }

  get hasDetails() {
    return this._details.length > 0;
  }

  get hasActions() {
    return this.hasDetails || Boolean(this.retryLabel);
  }

  get detailsHidden() {
    return !this.detailsShown;
  }

  get ariaExpanded() {
    return this.detailsShown ? 'true' : 'false';
  }

  get toggleLabel() {
    return this.detailsShown ? 'Hide details' : 'Show details';
  }

  get toggleIconHref() {
    return `${UTILITY_SPRITE}#${this.detailsShown ? 'chevrondown' : 'chevronright'}`;
  }

  handleToggleDetails() {
    this.detailsShown = !this.detailsShown;
  }

  handleRetry() {
    this.dispatchEvent(new CustomEvent('retry'));
  }
}

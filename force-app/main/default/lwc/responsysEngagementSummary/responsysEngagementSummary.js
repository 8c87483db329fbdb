import { LightningElement, api } from 'lwc';
import LOCALE from '@salesforce/i18n/locale';
import { describeSyncError } from 'c/responsysErrors';
import { formatDate, formatDateTime, formatExact, formatRelative, toDate } from 'c/responsysDates';

const UTILITY_SPRITE = '/_slds/icons/utility-sprite/svg/symbols.svg';
const NOT_AVAILABLE = 'Not available';

const OPT_OUT_SOURCES = {
  Responsys: 'in Responsys',
  Salesforce: 'in Salesforce',
};

const SYNC_STATES = {
  Synced: { value: 'Synced', icon: 'success', tone: 'success' },
  Pending: { value: 'Sync pending', icon: 'clock', tone: 'neutral' },
  Failed: { value: 'Sync failed', icon: 'error', tone: 'error' },
  Skipped: { value: 'Not synced', icon: 'ban', tone: 'neutral' },
};

/**
 * The header of the engagement timeline: what a rep needs before a call, at a glance. Engagement
 * score, last open and click, whether the person may be emailed (and since when, by whose
 * doing), and whether Salesforce and Responsys are in step; a failed sync is explained in words.
 */
export default class ResponsysEngagementSummary extends LightningElement {
  /** The `summary` of an EngagementPage (ResponsysEngagementController.getEngagement). */
  @api summary;
  /** Current time in epoch ms; the parent passes it so all relative times agree. */
  @api now;

  get currentTime() {
    return typeof this.now === 'number' ? this.now : Date.now();
  }

  get tiles() {
    const summary = this.summary || {};
    return [
      this.scoreTile(summary.engagementScore),
      this.momentTile('last-opened', 'Last opened', summary.lastOpenedAt, 'Never opened'),
      this.momentTile('last-clicked', 'Last clicked', summary.lastClickedAt, 'Never clicked'),
      this.emailTile(summary),
      this.syncTile(summary),
    ];
  }

  scoreTile(score) {
    const known = typeof score === 'number' && Number.isFinite(score);
    return tile({
      key: 'score',
      label: 'Engagement score',
      value: known ? new Intl.NumberFormat(LOCALE).format(score) : '—',
      assistiveValue: known ? undefined : NOT_AVAILABLE,
      // The bridge computes the score from these (docs/salesforce-package.md).
      detail: known ? 'From opens, clicks and conversions' : '',
      valueClass: 'tile-value tile-value_score',
    });
  }

  momentTile(key, label, value, never) {
    const date = toDate(value);
    if (!date) {
      return tile({ key, label, value: never, valueClass: 'tile-value tile-value_muted' });
    }
    return tile({
      key,
      label,
      value: formatRelative(date, this.currentTime),
      datetime: date.toISOString(),
      exact: formatExact(date),
      detail: formatDateTime(date, this.currentTime),
    });
  }

  emailTile(summary) {
    const optedOut = summary.hasOptedOutOfEmail;
    if (optedOut !== true && optedOut !== false) {
      return tile({
        key: 'email',
        label: 'Email',
        value: NOT_AVAILABLE,
        valueClass: 'tile-value tile-value_muted',
      });
    }
    if (!optedOut) {
      return tile({
        key: 'email',
        label: 'Email',
        value: 'OK to email',
        icon: 'check',
        tone: 'success',
        detail: 'Subscribed to email',
      });
    }
    const source = OPT_OUT_SOURCES[summary.optOutSource];
    const date = toDate(summary.optOutAt);
    let detail = 'Opted out';
    if (source) {
      detail += ` ${source}`;
    }
    if (date) {
      detail += ` on ${formatDate(date)}`;
    }
    return tile({
      key: 'email',
      label: 'Email',
      value: 'Do not email',
      icon: 'ban',
      tone: 'error',
      detail: `${detail}.`,
      exact: date ? formatExact(date) : undefined,
      emphasis: true,
    });
  }

  syncTile(summary) {
    const state = SYNC_STATES[summary.syncStatus];
    const lastSynced = toDate(summary.lastSyncedAt);
    const detail = lastSynced ? `Last synced ${formatRelative(lastSynced, this.currentTime)}` : '';
    if (!state) {
      return tile({
        key: 'sync',
        label: 'Responsys sync',
        value: summary.riid ? NOT_AVAILABLE : 'Not synced yet',
        valueClass: 'tile-value tile-value_muted',
        detail,
      });
    }
    return tile({
      key: 'sync',
      label: 'Responsys sync',
      value: state.value,
      icon: state.icon,
      tone: state.tone,
      detail,
      exact: lastSynced ? formatExact(lastSynced) : undefined,
      emphasis: state.tone === 'error',
    });
  }

  get syncProblem() {
    const summary = this.summary || {};
    return describeSyncError(summary.syncStatus, summary.syncError);
  }

  get syncProblemVariant() {
    return this.summary && this.summary.syncStatus === 'Failed' ? 'warning' : 'info';
  }
}

function tile({
  key,
  label,
  value,
  assistiveValue,
  datetime,
  exact,
  detail = '',
  icon,
  tone = 'neutral',
  emphasis = false,
  valueClass = 'tile-value',
}) {
  return {
    key,
    label,
    value,
    assistiveValue,
    // The visible dash means nothing to a screen reader; it reads the assistive text instead.
    valueAriaHidden: assistiveValue ? 'true' : undefined,
    datetime,
    exact,
    detail,
    hasDetail: detail !== '',
    iconHref: icon ? `${UTILITY_SPRITE}#${icon}` : undefined,
    iconClass: `slds-icon slds-icon_xx-small tile-icon tile-icon_${tone}`,
    className: `tile${emphasis ? ` tile_${tone}` : ''}`,
    valueClass,
  };
}

/* global document, location, window */
/**
 * The preview page: a Lightning record page (highlights panel, main column, side column) around
 * the real c-responsys-engagement-timeline, fed by the fixture-backed getEngagement.
 */
// Synthetic shadow first, as on the Lightning platform, so the global SLDS styles reach inside.
import '@lwc/synthetic-shadow';
import { createElement } from 'lwc';
import ResponsysEngagementTimeline from 'c/responsysEngagementTimeline';
import { SCENARIOS } from './fixtures.js';
import { recordEngagement, scenario, scenarioKey, serverCallCount } from './previewOrg.js';

const params = new URLSearchParams(location.search);
const OBJECT_ICONS = { Lead: 'lead', Contact: 'contact' };
const STANDARD_SPRITE = '/_slds/icons/standard-sprite/svg/symbols.svg';
const SVG_NS = 'http://www.w3.org/2000/svg';

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function standardIcon(name, extraClass) {
  const container = el('span', `slds-icon_container slds-icon-standard-${name.replace(/_/g, '-')}`);
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', `slds-icon ${extraClass}`);
  svg.setAttribute('aria-hidden', 'true');
  const use = document.createElementNS(SVG_NS, 'use');
  use.setAttribute('href', `${STANDARD_SPRITE}#${name}`);
  svg.appendChild(use);
  container.appendChild(svg);
  return container;
}

function renderHighlights(profile) {
  const header = el('div', 'slds-page-header slds-page-header_record-home preview-highlights');
  const row = el('div', 'slds-page-header__row');
  const titleCol = el('div', 'slds-page-header__col-title');
  const media = el('div', 'slds-media');
  const figure = el('div', 'slds-media__figure');
  figure.appendChild(standardIcon(OBJECT_ICONS[profile.objectApiName] || 'record', 'slds-page-header__icon'));
  const body = el('div', 'slds-media__body');
  const nameBlock = el('div', 'slds-page-header__name');
  const nameTitle = el('div', 'slds-page-header__name-title');
  const h1 = el('h1');
  h1.appendChild(el('span', '', profile.objectApiName));
  h1.appendChild(el('span', 'slds-page-header__title slds-truncate', profile.name));
  nameTitle.appendChild(h1);
  nameBlock.appendChild(nameTitle);
  body.appendChild(nameBlock);
  media.append(figure, body);
  titleCol.appendChild(media);

  const actions = el('div', 'slds-page-header__col-actions');
  const controls = el('div', 'slds-page-header__controls');
  const group = el('div', 'slds-button-group');
  group.setAttribute('role', 'group');
  const buttons =
    profile.objectApiName === 'Lead' ? ['Convert', 'Edit', 'Log a Call'] : ['Edit', 'Log a Call'];
  for (const label of buttons) {
    group.appendChild(el('button', 'slds-button slds-button_neutral', label));
  }
  controls.appendChild(group);
  actions.appendChild(controls);
  row.append(titleCol, actions);

  const detailRow = el('div', 'slds-page-header__row slds-page-header__row_gutters');
  const detailCol = el('div', 'slds-page-header__col-details');
  const list = el('ul', 'slds-page-header__detail-row');
  for (const [label, value] of profile.fields) {
    const item = el('li', 'slds-page-header__detail-block');
    item.appendChild(el('div', 'slds-text-title slds-truncate', label));
    item.appendChild(el('div', 'slds-truncate', value));
    list.appendChild(item);
  }
  detailCol.appendChild(list);
  detailRow.appendChild(detailCol);
  header.append(row, detailRow);
  return header;
}

function renderScenarioLinks() {
  const nav = el('nav', 'preview-scenarios');
  nav.setAttribute('aria-label', 'Preview scenarios');
  nav.appendChild(el('span', 'preview-scenarios-label', 'Preview scenarios:'));
  for (const [key, value] of Object.entries(SCENARIOS)) {
    const link = el('a', '', value.label);
    link.href = `?scenario=${key}`;
    if (key === scenarioKey) {
      link.setAttribute('aria-current', 'page');
    }
    nav.appendChild(link);
  }
  return nav;
}

const profile = scenario.profile;
document.title = `${profile.name} | ${profile.objectApiName} | Responsys Engagement Timeline preview`;
document.getElementById('highlights').appendChild(renderHighlights(profile));
document
  .querySelector(`.preview-app-tab[data-object="${profile.objectApiName}"]`)
  ?.classList.add('preview-app-tab_active');
document.getElementById('scenarios').appendChild(renderScenarioLinks());

const timeline = createElement('c-responsys-engagement-timeline', { is: ResponsysEngagementTimeline });
timeline.recordId = profile.recordId;
timeline.objectApiName = profile.objectApiName;
timeline.pageSize = params.get('pageSize') || 10;
if (params.get('filter')) {
  timeline.defaultFilter = params.get('filter');
}
document.getElementById('main-column').appendChild(timeline);

// For people trying the preview and for the browser test: new engagement, as the bridge writes it.
window.responsysPreview = { scenario: scenarioKey, recordEngagement, serverCallCount };

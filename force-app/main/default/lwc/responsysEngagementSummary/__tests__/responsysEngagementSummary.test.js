import { createElement } from 'lwc';
import ResponsysEngagementSummary from 'c/responsysEngagementSummary';

const summaryOptedOut = require('./data/summaryOptedOut.json');
const summarySyncFailed = require('./data/summarySyncFailed.json');

// 11:00 AM in Los Angeles, the time zone sfdx-lwc-jest gives @salesforce/i18n/timeZone.
const NOW = Date.parse('2025-03-14T18:00:00.000Z');

const engagedSummary = {
  recordId: '00Q5e00000Dana01EAA',
  objectApiName: 'Lead',
  name: 'Dana Whitfield',
  engagementScore: 1272,
  lastOpenedAt: '2025-03-14T16:05:00.000Z',
  lastClickedAt: '2025-03-13T16:12:00.000Z',
  hasOptedOutOfEmail: false,
  optOutSource: null,
  optOutAt: null,
  syncStatus: 'Synced',
  syncError: null,
  lastSyncedAt: '2025-03-14T17:55:00.000Z',
  riid: '364470825',
};

function mount(summary) {
  const element = createElement('c-responsys-engagement-summary', { is: ResponsysEngagementSummary });
  element.summary = summary;
  element.now = NOW;
  document.body.appendChild(element);
  return element;
}

const normalize = (text) => (text || '').replace(/\s+/g, ' ').trim();
const tile = (element, key) => element.shadowRoot.querySelector(`[data-id="${key}"]`);
const valueOf = (element, key) =>
  normalize(tile(element, key).querySelector('[data-id="value"]').textContent);
const detailOf = (element, key) => {
  const detail = tile(element, key).querySelector('[data-id="detail"]');
  return detail ? normalize(detail.textContent) : '';
};
const syncProblem = (element) => element.shadowRoot.querySelector('[data-id="sync-problem"]');

describe('c-responsys-engagement-summary', () => {
  afterEach(() => {
    while (document.body.firstChild) {
      document.body.removeChild(document.body.firstChild);
    }
  });

  it('shows the score, last open and click, email permission and sync status of an engaged lead', () => {
    const element = mount(engagedSummary);

    const labels = Array.from(element.shadowRoot.querySelectorAll('dt')).map((dt) =>
      normalize(dt.textContent),
    );
    expect(labels).toEqual(['Engagement score', 'Last opened', 'Last clicked', 'Email', 'Responsys sync']);
    expect(valueOf(element, 'score')).toBe('1,272');
    expect(detailOf(element, 'score')).toBe('From opens, clicks and conversions');
    expect(valueOf(element, 'last-opened')).toBe('1 hour ago');
    expect(detailOf(element, 'last-opened')).toBe('Mar 14, 9:05 AM');
    expect(normalize(tile(element, 'last-opened').querySelector('time').getAttribute('title'))).toBe(
      'Mar 14, 2025, 9:05 AM PDT',
    );
    expect(valueOf(element, 'last-clicked')).toBe('yesterday');
    expect(valueOf(element, 'email')).toBe('OK to email');
    expect(detailOf(element, 'email')).toBe('Subscribed to email');
    expect(valueOf(element, 'sync')).toBe('Synced');
    expect(detailOf(element, 'sync')).toBe('Last synced 5 minutes ago');
    expect(syncProblem(element)).toBeNull();
  });

  it('says do not email, with the source and date, for an opted-out contact', () => {
    const element = mount(summaryOptedOut);

    expect(valueOf(element, 'email')).toBe('Do not email');
    expect(detailOf(element, 'email')).toBe('Opted out in Responsys on Feb 2, 2025.');
    expect(tile(element, 'email').className).toContain('tile_error');
    expect(tile(element, 'email').querySelector('use').getAttribute('xlink:href')).toBe(
      '/_slds/icons/utility-sprite/svg/symbols.svg#ban',
    );
    expect(valueOf(element, 'last-clicked')).toBe('Never clicked');
  });

  it('adds the year to the exact date of an open from another year', () => {
    const element = mount({ ...engagedSummary, lastOpenedAt: '2024-11-02T16:05:00.000Z' });

    expect(valueOf(element, 'last-opened')).toBe('4 months ago');
    expect(detailOf(element, 'last-opened')).toBe('Nov 2, 2024, 9:05 AM');
  });

  it('names Salesforce as the source when the opt-out was made in Salesforce', () => {
    const element = mount({ ...summaryOptedOut, optOutSource: 'Salesforce', optOutAt: null });

    expect(detailOf(element, 'email')).toBe('Opted out in Salesforce.');
  });

  it('explains a failed sync in words a rep understands, with the raw error on demand', async () => {
    const element = mount(summarySyncFailed);

    expect(valueOf(element, 'sync')).toBe('Sync failed');
    expect(detailOf(element, 'sync')).toBe('Last synced 1 week ago');
    expect(tile(element, 'sync').className).toContain('tile_error');
    const panel = syncProblem(element);
    expect(panel.variant).toBe('warning');
    expect(panel.heading).toBe('The last sync with Responsys failed.');
    expect(panel.message).toBe(
      'Responsys rejected the email address as invalid. Check the Email field for a typo; the record syncs again after you save it.',
    );
    const details = panel.shadowRoot.querySelector('[data-id="details"]');
    expect(details.hidden).toBe(true);
    panel.shadowRoot.querySelector('[data-id="details-toggle"]').click();
    await Promise.resolve();
    expect(details.hidden).toBe(false);
    expect(normalize(details.textContent)).toContain(
      'MERGEFAILED: Record 0 = INVALID_PARAMETER: Bad Email Format',
    );
  });

  it('explains a skipped record as information, not as an error', () => {
    const element = mount({ ...summarySyncFailed, syncStatus: 'Skipped', syncError: 'No email address' });

    expect(valueOf(element, 'sync')).toBe('Not synced');
    const panel = syncProblem(element);
    expect(panel.variant).toBe('info');
    expect(panel.heading).toBe('This record is not synced with Responsys.');
    expect(panel.message).toBe(
      'This person has no email address in Salesforce, so Responsys cannot email them. Add one.',
    );
  });

  it('shows a pending record as waiting to sync and a never-synced record as not synced yet', () => {
    const pending = mount({ ...engagedSummary, syncStatus: 'Pending', lastSyncedAt: null });
    expect(valueOf(pending, 'sync')).toBe('Sync pending');
    expect(detailOf(pending, 'sync')).toBe('');

    const never = mount({ ...engagedSummary, syncStatus: null, riid: null, lastSyncedAt: null });
    expect(valueOf(never, 'sync')).toBe('Not synced yet');
  });

  it('shows fields the rep may not see (null in user mode) as not available', () => {
    const element = mount({
      ...engagedSummary,
      engagementScore: null,
      hasOptedOutOfEmail: null,
      lastOpenedAt: null,
    });

    expect(tile(element, 'score').querySelector('.slds-assistive-text').textContent).toBe('Not available');
    expect(tile(element, 'score').querySelector('[aria-hidden="true"]').textContent).toBe('—');
    expect(valueOf(element, 'email')).toBe('Not available');
    expect(valueOf(element, 'last-opened')).toBe('Never opened');
  });

  it('is accessible for an engaged, an opted-out and a failed-sync record', async () => {
    const engaged = mount(engagedSummary);
    await expect(engaged).toBeAccessible();

    const optedOut = mount(summaryOptedOut);
    await expect(optedOut).toBeAccessible();

    const failed = mount(summarySyncFailed);
    syncProblem(failed).shadowRoot.querySelector('[data-id="details-toggle"]').click();
    await Promise.resolve();
    await expect(failed).toBeAccessible();
  });
});

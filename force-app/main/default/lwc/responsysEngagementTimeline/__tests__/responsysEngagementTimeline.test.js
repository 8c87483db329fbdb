import { createElement } from 'lwc';
import ResponsysEngagementTimeline from 'c/responsysEngagementTimeline';
import getEngagement from '@salesforce/apex/ResponsysEngagementController.getEngagement';
import { refreshApex } from '@salesforce/apex';

const firstPage = require('./data/engagementPage.json');
const olderPage = require('./data/engagementPageOlder.json');
const refreshedPage = require('./data/engagementPageRefreshed.json');
const emptyPage = require('./data/engagementPageEmpty.json');
const pagesByFilter = require('./data/engagementPagesByFilter.json');
const summarySyncFailed = require('../../responsysEngagementSummary/__tests__/data/summarySyncFailed.json');
const summaryOptedOut = require('../../responsysEngagementSummary/__tests__/data/summaryOptedOut.json');

// The first page is wired and later pages are fetched imperatively: one mock serves both.
jest.mock(
  '@salesforce/apex/ResponsysEngagementController.getEngagement',
  () => {
    const { createApexTestWireAdapter } = require('@salesforce/sfdx-lwc-jest');
    return { default: createApexTestWireAdapter(jest.fn()) };
  },
  { virtual: true },
);

jest.mock('@salesforce/apex', () => ({ refreshApex: jest.fn(() => Promise.resolve()) }), { virtual: true });

const RECORD_ID = '00Q5e00000Dana01EAA';
// 11:00 AM in Los Angeles, the time zone sfdx-lwc-jest gives @salesforce/i18n/timeZone.
const NOW = Date.parse('2025-03-14T18:00:00.000Z');

function mount(properties = {}) {
  const element = createElement('c-responsys-engagement-timeline', { is: ResponsysEngagementTimeline });
  Object.assign(element, { recordId: RECORD_ID, objectApiName: 'Lead', ...properties });
  document.body.appendChild(element);
  return element;
}

function flushPromises() {
  // eslint-disable-next-line @lwc/lwc/no-async-operation
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const normalize = (text) => (text || '').replace(/\s+/g, ' ').trim();
const $ = (element, selector) => element.shadowRoot.querySelector(selector);
const $$ = (element, selector) => Array.from(element.shadowRoot.querySelectorAll(selector));
const renderedIds = (element) => $$(element, '[data-id="event"]').map((item) => item.dataset.itemId);
const dayHeadings = (element) => $$(element, '.day-heading').map((heading) => normalize(heading.textContent));
const summaryOf = (element) => $(element, 'c-responsys-engagement-summary');
const filterInput = (element, value) => $(element, `input[data-filter="${value}"]`);

async function chooseFilter(element, value) {
  filterInput(element, value).click();
  await flushPromises();
}

async function showFirstPage(element, page = firstPage) {
  getEngagement.emit(page);
  await flushPromises();
}

describe('c-responsys-engagement-timeline', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    refreshApex.mockResolvedValue(undefined);
  });

  afterEach(() => {
    while (document.body.firstChild) {
      document.body.removeChild(document.body.firstChild);
    }
    jest.resetAllMocks();
    jest.restoreAllMocks();
  });

  describe('first page', () => {
    it('shows a spinner and asks for 25 events of every type until the first page arrives', async () => {
      const element = mount();
      await flushPromises();

      expect($(element, '[data-id="loading"] [role="status"]').textContent).toContain(
        'Loading email engagement',
      );
      expect(getEngagement.getLastConfig()).toEqual({
        recordId: RECORD_ID,
        filter: 'all',
        pageSize: 25,
        cursor: null,
      });
      expect($(element, '[data-id="timeline"]')).toBeNull();
    });

    it('renders the summary header and the events newest first, grouped by day', async () => {
      const element = mount();
      await showFirstPage(element);

      expect($(element, '[data-id="loading"]')).toBeNull();
      expect(summaryOf(element).summary).toEqual(firstPage.summary);
      expect(renderedIds(element)).toEqual(firstPage.items.map((item) => item.id));
      expect(dayHeadings(element)).toEqual(['Today', 'Yesterday', 'Monday, March 10']);
      expect(
        $$(element, '[data-id="day"]').map((day) => day.querySelectorAll('[data-id="event"]').length),
      ).toEqual([3, 1, 1]);
      expect($$(element, '[data-id="event-title"]').map((title) => normalize(title.textContent))).toEqual([
        'Clicked a link',
        'Opened the email',
        'Email sent',
        'Email bounced',
        'Converted',
      ]);
    });

    it('shows an icon, the campaign and the relative time with the exact time for each event', async () => {
      const element = mount();
      await showFirstPage(element);

      const click = $(element, '[data-item-id="a0B5e00000Eng001AAA"]');
      expect(click.querySelector('use').getAttribute('xlink:href')).toBe(
        '/_slds/icons/standard-sprite/svg/symbols.svg#link',
      );
      expect(click.querySelector('.event-icon').getAttribute('title')).toBe('Clicked a link');
      expect(normalize(click.querySelector('[data-id="campaign"]').textContent)).toBe(
        'Spring Launch: Route Optimizer',
      );
      const time = click.querySelector('[data-id="when"] time');
      expect(normalize(time.textContent)).toBe('1 hour ago');
      expect(time.getAttribute('datetime')).toBe('2025-03-14T16:12:00.000Z');
      expect(normalize(time.getAttribute('title'))).toBe('Mar 14, 2025, 9:12 AM PDT');
      expect(normalize(click.querySelector('.event-clock').textContent)).toBe('9:12 AM');
    });

    it('shows the clicked link, the bounce reason in words and the conversion order', async () => {
      const element = mount();
      await showFirstPage(element);

      const link = $(element, '[data-item-id="a0B5e00000Eng001AAA"] [data-id="link"] a');
      expect(link.getAttribute('href')).toBe('https://www.northwind.example/pricing?utm_source=responsys');
      expect(link.getAttribute('target')).toBe('_blank');
      expect(link.getAttribute('rel')).toBe('noopener noreferrer');
      expect(normalize(link.textContent)).toBe('See pricing (opens in a new tab)');
      expect(normalize($(element, '[data-item-id="a0B5e00000Eng001AAA"] .event-host').textContent)).toBe(
        '· northwind.example/pricing',
      );

      expect(
        normalize($(element, '[data-item-id="a0B5e00000Eng004AAA"] [data-id="detail"]').textContent),
      ).toBe('Reason: The mailbox is full (452 4.2.2 mailbox over quota)');
      expect(
        normalize($(element, '[data-item-id="a0B5e00000Eng005AAA"] [data-id="detail"]').textContent),
      ).toBe('Order: ORD-10293');
    });

    it('never turns a javascript: URL from tracking data into a link', async () => {
      const element = mount();
      const scriptUrl = ['javascript', 'alert(document.cookie)'].join(':');
      await showFirstPage(element, {
        ...firstPage,
        items: [{ ...firstPage.items[0], offerName: 'Win a prize', offerUrl: scriptUrl }],
      });

      const linkLine = $(element, '[data-id="link"]');
      expect(linkLine.querySelector('a')).toBeNull();
      expect(normalize(linkLine.textContent)).toBe('Win a prize');
    });

    it('asks for the App Builder page size and default filter', async () => {
      const element = mount({ pageSize: 10, defaultFilter: 'clicks' });
      await showFirstPage(element, pagesByFilter.clicks);

      expect(getEngagement.getLastConfig()).toEqual({
        recordId: RECORD_ID,
        filter: 'clicks',
        pageSize: 10,
        cursor: null,
      });
      expect(filterInput(element, 'clicks').checked).toBe(true);
    });

    it.each([
      ['0', 25],
      ['500', 200],
      ['twelve', 25],
      ['12', 12],
    ])('turns an App Builder page size of %s into %i', async (pageSize, expected) => {
      mount({ pageSize });
      await flushPromises();

      expect(getEngagement.getLastConfig().pageSize).toBe(expected);
    });

    it('falls back to all events when the App Builder default filter is unknown', async () => {
      const element = mount({ defaultFilter: 'everything' });
      await showFirstPage(element);

      expect(getEngagement.getLastConfig().filter).toBe('all');
      expect(filterInput(element, 'all').checked).toBe(true);
    });

    it('shows the header of a record whose sync failed, with the reason in plain words', async () => {
      const element = mount();
      await showFirstPage(element, { ...firstPage, summary: summarySyncFailed });

      const header = summaryOf(element).shadowRoot;
      expect(normalize(header.querySelector('[data-id="sync"] [data-id="value"]').textContent)).toBe(
        'Sync failed',
      );
      expect(
        normalize(
          header
            .querySelector('[data-id="sync-problem"]')
            .shadowRoot.querySelector('[data-id="error-message"]').textContent,
        ),
      ).toContain('Responsys rejected the email address as invalid');
    });

    it('shows the header of an opted-out record as do not email', async () => {
      const element = mount();
      await showFirstPage(element, { ...firstPage, summary: summaryOptedOut });

      const header = summaryOf(element).shadowRoot;
      expect(normalize(header.querySelector('[data-id="email"] [data-id="value"]').textContent)).toBe(
        'Do not email',
      );
    });

    it('keeps relative times true while the page stays open', async () => {
      jest.useFakeTimers({ doNotFake: ['Date', 'queueMicrotask', 'nextTick', 'setImmediate'] });
      try {
        const element = mount();
        getEngagement.emit(firstPage);
        await Promise.resolve();
        const firstTime = () => normalize($(element, '[data-id="when"] time').textContent);
        expect(firstTime()).toBe('1 hour ago');

        Date.now.mockReturnValue(NOW + 2 * 60 * 60 * 1000);
        jest.advanceTimersByTime(60 * 1000);
        await Promise.resolve();

        expect(firstTime()).toBe('3 hours ago');
      } finally {
        jest.useRealTimers();
      }
    });

    it('starts over, showing nothing of the previous record, when the page shows another record', async () => {
      const element = mount();
      await showFirstPage(element);

      element.recordId = '0035e00000Kim001AAA';
      await flushPromises();

      expect(getEngagement.getLastConfig().recordId).toBe('0035e00000Kim001AAA');
      expect(summaryOf(element)).toBeNull();
      expect(renderedIds(element)).toEqual([]);
      expect($(element, '[data-id="loading"]')).not.toBeNull();
    });

    it('explains where the component belongs when there is no record', async () => {
      const element = mount({ recordId: undefined });
      await flushPromises();

      expect(normalize($(element, '[data-id="no-record"]').textContent)).toBe(
        'Add this component to a Lead or Contact record page to see email engagement.',
      );
      expect($(element, '[data-id="loading"]')).toBeNull();
      expect($(element, '[data-id="refresh"]').disabled).toBe(true);
    });
  });

  describe('filters', () => {
    it('offers all, opens, clicks, bounces, conversions and opt-outs as one labelled group', async () => {
      const element = mount();
      await showFirstPage(element);

      expect(normalize($(element, '[data-id="filters"] legend').textContent)).toBe('Show');
      const labels = $$(element, '[data-id="filters"] label').map((label) => normalize(label.textContent));
      expect(labels).toEqual(['All', 'Opens', 'Clicks', 'Bounces', 'Conversions', 'Opt-outs']);
      const names = new Set($$(element, '[data-id="filters"] input').map((input) => input.name));
      expect(names.size).toBe(1);
      expect(filterInput(element, 'all').checked).toBe(true);
    });

    it.each([
      ['opens', ['Opened']],
      ['clicks', ['Clicked']],
      ['bounces', ['Bounced']],
      ['conversions', ['Converted']],
      ['optouts', ['Opted_Out', 'Opted_In']],
    ])('choosing %s asks the server for those events only and shows them', async (filter, eventTypes) => {
      const element = mount();
      await showFirstPage(element);

      await chooseFilter(element, filter);
      expect(getEngagement.getLastConfig()).toEqual({
        recordId: RECORD_ID,
        filter,
        pageSize: 25,
        cursor: null,
      });
      expect($(element, '[data-id="loading"]')).not.toBeNull();
      expect(renderedIds(element)).toEqual([]);

      getEngagement.emit(pagesByFilter[filter]);
      await flushPromises();

      const shown = $$(element, '[data-id="event"]').map((item) => item.dataset.eventType);
      expect(shown).toHaveLength(pagesByFilter[filter].items.length);
      expect(shown.every((type) => eventTypes.includes(type))).toBe(true);
      expect(filterInput(element, filter).checked).toBe(true);
      expect(summaryOf(element)).not.toBeNull();
    });

    it('a filter chosen by the rep wins over a later App Builder default', async () => {
      const element = mount();
      await showFirstPage(element);
      await chooseFilter(element, 'bounces');

      element.defaultFilter = 'opens';
      await flushPromises();

      expect(getEngagement.getLastConfig().filter).toBe('bounces');
    });
  });

  describe('paging', () => {
    it('loads the next page with the cursor and appends the older events', async () => {
      getEngagement.mockResolvedValue(olderPage);
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="load-more"]').click();
      await flushPromises();

      expect(getEngagement).toHaveBeenCalledTimes(1);
      expect(getEngagement).toHaveBeenCalledWith({
        recordId: RECORD_ID,
        filter: 'all',
        pageSize: 25,
        cursor: firstPage.nextCursor,
      });
      expect(renderedIds(element)).toEqual([...firstPage.items, ...olderPage.items].map((item) => item.id));
      expect(dayHeadings(element)).toEqual([
        'Today',
        'Yesterday',
        'Monday, March 10',
        'Thursday, February 20',
        'Sunday, February 2',
        'Tuesday, December 3, 2024',
      ]);
      expect($(element, '[data-id="load-more"]')).toBeNull();
      expect(normalize($(element, '[data-id="announcer"]').textContent)).toBe(
        'Loaded 3 older events. That is the whole history.',
      );
    });

    it('moves focus to the first older event so keyboard users continue where the list grew', async () => {
      getEngagement.mockResolvedValue(olderPage);
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="load-more"]').click();
      await flushPromises();

      expect(element.shadowRoot.activeElement.dataset.itemId).toBe(olderPage.items[0].id);
    });

    it('keeps offering load more while the server says there is more, with the newest cursor', async () => {
      const secondPage = { ...olderPage, nextCursor: 'next-cursor-2', hasMore: true };
      getEngagement.mockResolvedValueOnce(secondPage).mockResolvedValueOnce({
        ...olderPage,
        items: [],
        nextCursor: null,
        hasMore: false,
      });
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="load-more"]').click();
      await flushPromises();
      expect(normalize($(element, '[data-id="announcer"]').textContent)).toBe('Loaded 3 older events.');
      $(element, '[data-id="load-more"]').click();
      await flushPromises();

      expect(getEngagement.mock.calls[1][0].cursor).toBe('next-cursor-2');
      expect($(element, '[data-id="load-more"]')).toBeNull();
    });

    it('says it is loading and ignores a second press while a page is on its way', async () => {
      const pending = deferred();
      getEngagement.mockReturnValue(pending.promise);
      const element = mount();
      await showFirstPage(element);

      const button = $(element, '[data-id="load-more"]');
      button.click();
      await flushPromises();
      button.click();
      await flushPromises();

      expect(getEngagement).toHaveBeenCalledTimes(1);
      expect(normalize(button.textContent)).toBe('Loading…');
      expect(button.getAttribute('aria-disabled')).toBe('true');
      pending.resolve(olderPage);
      await flushPromises();
    });

    it('discards an older page that arrives after the rep changed the filter', async () => {
      const pending = deferred();
      getEngagement.mockReturnValue(pending.promise);
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="load-more"]').click();
      await flushPromises();
      await chooseFilter(element, 'clicks');
      getEngagement.emit(pagesByFilter.clicks);
      await flushPromises();
      pending.resolve(olderPage);
      await flushPromises();

      expect(renderedIds(element)).toEqual(pagesByFilter.clicks.items.map((item) => item.id));
    });

    it('discards an older page that arrives after a refresh', async () => {
      const pending = deferred();
      getEngagement.mockReturnValue(pending.promise);
      refreshApex.mockImplementation(() => {
        getEngagement.emit(refreshedPage);
        return Promise.resolve();
      });
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="load-more"]').click();
      await flushPromises();
      $(element, '[data-id="refresh"]').click();
      await flushPromises();
      pending.resolve(olderPage);
      await flushPromises();

      expect(renderedIds(element)).toEqual(refreshedPage.items.map((item) => item.id));
    });

    it('keeps the loaded events and offers a retry when an older page fails to load', async () => {
      getEngagement
        .mockRejectedValueOnce({ status: 0, body: { message: 'Failed to fetch' } })
        .mockResolvedValueOnce(olderPage);
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="load-more"]').click();
      await flushPromises();

      expect(renderedIds(element)).toEqual(firstPage.items.map((item) => item.id));
      const panel = $(element, '[data-id="load-more-error"]');
      expect(panel.heading).toBe("We couldn't load older email engagement.");
      expect(panel.message).toBe(
        'Salesforce could not be reached. Check your internet connection, then try again.',
      );

      panel.shadowRoot.querySelector('[data-id="retry"]').click();
      await flushPromises();

      expect(getEngagement.mock.calls[1][0].cursor).toBe(firstPage.nextCursor);
      expect(renderedIds(element)).toHaveLength(firstPage.items.length + olderPage.items.length);
      expect($(element, '[data-id="load-more-error"]')).toBeNull();
    });

    it('skips events it already shows when pages overlap', async () => {
      getEngagement.mockResolvedValue({ ...olderPage, items: [firstPage.items[4], ...olderPage.items] });
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="load-more"]').click();
      await flushPromises();

      expect(renderedIds(element)).toEqual([...firstPage.items, ...olderPage.items].map((item) => item.id));
    });

    it('marks the beginning of the history once more than one page was loaded', async () => {
      getEngagement.mockResolvedValue(olderPage);
      const element = mount({ pageSize: 5 });
      await showFirstPage(element);

      $(element, '[data-id="load-more"]').click();
      await flushPromises();

      expect(normalize($(element, '[data-id="end"]').textContent)).toBe('Beginning of the email history');
    });
  });

  describe('refresh', () => {
    it('gets fresh data through refreshApex and shows the newest events and summary', async () => {
      refreshApex.mockImplementation(() => {
        getEngagement.emit(refreshedPage);
        return Promise.resolve();
      });
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="refresh"]').click();
      await flushPromises();

      expect(refreshApex).toHaveBeenCalledTimes(1);
      expect(refreshApex.mock.calls[0][0]).toEqual({ data: firstPage, error: undefined });
      expect(renderedIds(element)).toEqual(refreshedPage.items.map((item) => item.id));
      expect(summaryOf(element).summary.engagementScore).toBe(78);
      expect(normalize($(element, '[data-id="announcer"]').textContent)).toBe('Email engagement refreshed.');
    });

    it('goes back to the newest page even when nothing changed on the server', async () => {
      getEngagement.mockResolvedValue(olderPage);
      const element = mount();
      await showFirstPage(element);
      $(element, '[data-id="load-more"]').click();
      await flushPromises();

      $(element, '[data-id="refresh"]').click();
      await flushPromises();

      expect(refreshApex).toHaveBeenCalledTimes(1);
      expect(renderedIds(element)).toEqual(firstPage.items.map((item) => item.id));
      expect($(element, '[data-id="load-more"]')).not.toBeNull();
    });

    it('keeps the refresh button focusable but inert while a refresh is running', async () => {
      const pending = deferred();
      refreshApex.mockReturnValue(pending.promise);
      const element = mount();
      await showFirstPage(element);
      const refresh = $(element, '[data-id="refresh"]');

      refresh.focus();
      refresh.click();
      await flushPromises();
      refresh.click();
      await flushPromises();

      expect(refreshApex).toHaveBeenCalledTimes(1);
      expect(refresh.disabled).toBe(false);
      expect(refresh.getAttribute('aria-disabled')).toBe('true');
      expect(element.shadowRoot.activeElement).toBe(refresh);
      pending.resolve();
      await flushPromises();
      expect(refresh.getAttribute('aria-disabled')).toBe('false');
    });

    it('shows a plain error when the refresh itself fails', async () => {
      refreshApex.mockRejectedValue({ status: 503, body: { message: 'Service Unavailable' } });
      const element = mount();
      await showFirstPage(element);

      $(element, '[data-id="refresh"]').click();
      await flushPromises();

      const panel = $(element, '[data-id="page-error"]');
      expect(panel.message).toBe('Salesforce is busy right now. Wait a minute, then try again.');
      expect(renderedIds(element)).toEqual([]);
    });
  });

  describe('empty and error states', () => {
    it('explains that activity will show up when a contact has no engagement yet', async () => {
      const element = mount({ objectApiName: 'Contact' });
      await showFirstPage(element, emptyPage);

      expect(normalize($(element, '[data-id="empty"] h3').textContent)).toBe('No email activity yet');
      expect(normalize($(element, '[data-id="empty"] p').textContent)).toBe(
        'When Responsys emails this contact, sends, opens and clicks show up here.',
      );
      expect($(element, '[data-id="show-all"]')).toBeNull();
      expect($(element, '[data-id="load-more"]')).toBeNull();
    });

    it('offers to show all activity when a filter has no events', async () => {
      const element = mount();
      await showFirstPage(element);
      await chooseFilter(element, 'bounces');
      getEngagement.emit({ ...emptyPage, summary: firstPage.summary });
      await flushPromises();

      expect(normalize($(element, '[data-id="empty"] h3').textContent)).toBe('No bounces');
      $(element, '[data-id="show-all"]').click();
      await flushPromises();

      expect(getEngagement.getLastConfig().filter).toBe('all');
      expect(filterInput(element, 'all').checked).toBe(true);
    });

    it('reads a missing permission as a plain sentence, with the server message on demand', async () => {
      const element = mount();
      getEngagement.emitError({
        status: 403,
        statusText: 'Forbidden',
        body: { message: "You do not have access to the Apex class named 'ResponsysEngagementController'." },
      });
      await flushPromises();

      const panel = $(element, '[data-id="page-error"]');
      const panelRoot = panel.shadowRoot;
      expect(normalize(panelRoot.querySelector('[data-id="error-title"]').textContent)).toBe(
        "We couldn't load email engagement.",
      );
      expect(normalize(panelRoot.querySelector('[data-id="error-message"]').textContent)).toBe(
        "You don't have access to Responsys engagement. Ask your Salesforce admin for the Responsys Engagement Viewer permission set.",
      );
      expect(panelRoot.querySelector('[data-id="retry"]')).toBeNull();
      expect(panelRoot.querySelector('[data-id="details"]').hidden).toBe(true);

      panelRoot.querySelector('[data-id="details-toggle"]').click();
      await flushPromises();

      expect(panelRoot.querySelector('[data-id="details"]').hidden).toBe(false);
      expect(panelRoot.querySelector('[data-id="details"]').textContent).toContain(
        "You do not have access to the Apex class named 'ResponsysEngagementController'.",
      );
      expect(panelRoot.querySelector('[data-id="details"]').textContent).toContain('HTTP 403 Forbidden');
    });

    it('retries a failed first page through refreshApex and then shows the events', async () => {
      refreshApex.mockImplementation(() => {
        getEngagement.emit(firstPage);
        return Promise.resolve();
      });
      const element = mount();
      getEngagement.emitError({ status: 500, body: { message: 'Apex CPU time limit exceeded' } });
      await flushPromises();

      const panel = $(element, '[data-id="page-error"]');
      expect(panel.message).toBe('Salesforce is busy right now. Wait a minute, then try again.');
      panel.shadowRoot.querySelector('[data-id="retry"]').click();
      await flushPromises();

      expect(refreshApex).toHaveBeenCalledTimes(1);
      expect($(element, '[data-id="page-error"]')).toBeNull();
      expect(renderedIds(element)).toEqual(firstPage.items.map((item) => item.id));
    });
  });

  describe('accessibility', () => {
    it('is accessible with the header, filters, events and load more', async () => {
      const element = mount();
      await showFirstPage(element);

      await expect(element).toBeAccessible();
    });

    it('is accessible with older pages loaded and focus moved', async () => {
      getEngagement.mockResolvedValue(olderPage);
      const element = mount();
      await showFirstPage(element);
      $(element, '[data-id="load-more"]').click();
      await flushPromises();

      await expect(element).toBeAccessible();
    });

    it('is accessible when empty and when an error shows its details', async () => {
      const empty = mount();
      await showFirstPage(empty, emptyPage);
      await expect(empty).toBeAccessible();
      document.body.removeChild(empty);

      const failing = mount();
      getEngagement.emitError({ status: 403, body: { message: 'Insufficient access' } });
      await flushPromises();
      $(failing, '[data-id="page-error"]').shadowRoot.querySelector('[data-id="details-toggle"]').click();
      await flushPromises();
      await expect(failing).toBeAccessible();
    });
  });
});

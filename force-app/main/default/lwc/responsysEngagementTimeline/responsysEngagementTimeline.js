import { LightningElement, api, wire } from 'lwc';
import { refreshApex } from '@salesforce/apex';
import getEngagement from '@salesforce/apex/ResponsysEngagementController.getEngagement';
import { describeError } from 'c/responsysErrors';
import { dayKey, formatDayHeading } from 'c/responsysDates';
import { DEFAULT_FILTER, FILTERS, isKnownFilter, toTimelineEvent } from './engagementEvents';

const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 200;
const UTILITY_SPRITE = '/_slds/icons/utility-sprite/svg/symbols.svg';
const STANDARD_SPRITE = '/_slds/icons/standard-sprite/svg/symbols.svg';
const LOAD_ACTION = 'load email engagement';
const LOAD_MORE_ACTION = 'load older email engagement';
// Relative times ("5 minutes ago") are recomputed this often while the page stays open.
const CLOCK_TICK_MS = 60 * 1000;

// Radio groups are scoped to the document under synthetic shadow: each instance needs its own name.
let instanceCount = 0;

function normalizePageSize(value) {
  const size = Number.parseInt(value, 10);
  if (!Number.isFinite(size) || size < 1) {
    return DEFAULT_PAGE_SIZE;
  }
  return Math.min(size, MAX_PAGE_SIZE);
}

/**
 * Email engagement from Responsys on a Lead or Contact page: a summary header and a timeline,
 * newest first, grouped by day, with filters, refresh and server-side "load more".
 *
 * The first page is wired, so it is cached like any cacheable Apex result and refreshed with
 * refreshApex (which really goes back to the server). Older pages are fetched imperatively with the
 * keyset cursor of the page before; a generation number discards any page that arrives after the
 * filter changed or the list was refreshed, so results of two queries never mix.
 */
export default class ResponsysEngagementTimeline extends LightningElement {
  _recordId;

  /** The Lead or Contact of the record page. */
  @api
  get recordId() {
    return this._recordId;
  }
  set recordId(value) {
    const previous = this._recordId;
    this._recordId = value;
    // A console tab can show another record in the same component: nothing of the old one stays.
    if (previous !== undefined && previous !== value) {
      this.summary = undefined;
      this.startNewQuery();
    }
  }
  @api objectApiName;

  /** Set by the wire's config; the filter the rep is looking at. */
  activeFilter = DEFAULT_FILTER;
  /** Page size sent to the server (App Builder "pageSize", 1..200). */
  queryPageSize = DEFAULT_PAGE_SIZE;

  summary;
  items = [];
  nextCursor;
  hasMore = false;
  pageError;
  loadMoreError;
  isLoadingFirstPage = true;
  isLoadingMore = false;
  isRefreshing = false;
  announcement = '';
  now = Date.now();

  wiredPage;
  clock;
  generation = 0;
  filterChosenByRep = false;
  focusItemId;
  filterGroupName = `responsys-engagement-filter-${++instanceCount}`;

  _defaultFilter = DEFAULT_FILTER;

  /** App Builder: events fetched per page (1 to 200; 25 when unset). */
  @api
  get pageSize() {
    return this.queryPageSize;
  }
  set pageSize(value) {
    const size = normalizePageSize(value);
    if (size !== this.queryPageSize) {
      this.queryPageSize = size;
      this.startNewQuery();
    }
  }

  /** App Builder: the filter shown first (all, opens, clicks, bounces, conversions, optouts). */
  @api
  get defaultFilter() {
    return this._defaultFilter;
  }
  set defaultFilter(value) {
    this._defaultFilter = isKnownFilter(value) ? value : DEFAULT_FILTER;
    if (!this.filterChosenByRep && this._defaultFilter !== this.activeFilter) {
      this.activeFilter = this._defaultFilter;
      this.startNewQuery();
    }
  }

  @wire(getEngagement, {
    recordId: '$recordId',
    filter: '$activeFilter',
    pageSize: '$queryPageSize',
    cursor: null,
  })
  wiredFirstPage(result) {
    this.wiredPage = result;
    this.applyFirstPage(result);
  }

  applyFirstPage(result) {
    const { data, error } = result || {};
    if (data) {
      this.generation += 1;
      this.now = Date.now();
      this.summary = data.summary;
      this.items = Array.isArray(data.items) ? data.items : [];
      this.nextCursor = data.nextCursor;
      this.hasMore = Boolean(data.hasMore && data.nextCursor);
      this.pageError = undefined;
      this.loadMoreError = undefined;
      this.isLoadingMore = false;
      this.isLoadingFirstPage = false;
    } else if (error) {
      this.generation += 1;
      this.items = [];
      this.hasMore = false;
      this.nextCursor = undefined;
      this.pageError = error;
      this.loadMoreError = undefined;
      this.isLoadingMore = false;
      this.isLoadingFirstPage = false;
    }
  }

  // A new query (filter or page size): older pages of the previous one are now meaningless.
  startNewQuery() {
    this.generation += 1;
    this.items = [];
    this.nextCursor = undefined;
    this.hasMore = false;
    this.pageError = undefined;
    this.loadMoreError = undefined;
    this.isLoadingMore = false;
    this.isLoadingFirstPage = true;
  }

  // ----- rendering state -------------------------------------------------------------------

  get hasRecord() {
    return Boolean(this.recordId);
  }

  get showInitialLoading() {
    return this.hasRecord && this.isLoadingFirstPage && !this.summary && !this.pageError;
  }

  get showTimelineLoading() {
    return this.hasRecord && this.isLoadingFirstPage && Boolean(this.summary);
  }

  get showPageError() {
    return this.hasRecord && !this.isLoadingFirstPage && Boolean(this.pageError);
  }

  get showControls() {
    return this.hasRecord && !this.showInitialLoading;
  }

  get showEmpty() {
    return (
      this.hasRecord &&
      !this.isLoadingFirstPage &&
      !this.pageError &&
      Boolean(this.summary) &&
      this.items.length === 0
    );
  }

  get showTimeline() {
    return !this.isLoadingFirstPage && !this.pageError && this.items.length > 0;
  }

  get showLoadMore() {
    return this.showTimeline && this.hasMore;
  }

  get showEndOfHistory() {
    return this.showTimeline && !this.hasMore && this.items.length > this.queryPageSize;
  }

  get timelineBusy() {
    return this.isLoadingFirstPage || this.isLoadingMore || this.isRefreshing ? 'true' : 'false';
  }

  get pageErrorDescription() {
    return describeError(this.pageError, { action: LOAD_ACTION });
  }

  get pageErrorRetryLabel() {
    return this.pageErrorDescription.retryable ? 'Try again' : undefined;
  }

  get loadMoreErrorDescription() {
    return describeError(this.loadMoreError, { action: LOAD_MORE_ACTION });
  }

  get recordNoun() {
    const objectName = this.objectApiName || (this.summary && this.summary.objectApiName);
    if (objectName === 'Lead') {
      return 'this lead';
    }
    if (objectName === 'Contact') {
      return 'this contact';
    }
    return 'this person';
  }

  get activeFilterDefinition() {
    return FILTERS.find((filter) => filter.value === this.activeFilter) || FILTERS[0];
  }

  get emptyTitle() {
    return this.activeFilterDefinition.emptyTitle;
  }

  get emptyMessage() {
    if (this.activeFilter === DEFAULT_FILTER) {
      return `When Responsys emails ${this.recordNoun}, sends, opens and clicks show up here.`;
    }
    return `Nothing of this kind for ${this.recordNoun}. Choose All to see every email event.`;
  }

  get showAllFromEmpty() {
    return this.activeFilter !== DEFAULT_FILTER;
  }

  get filterOptions() {
    return FILTERS.map((filter) => ({
      value: filter.value,
      label: filter.label,
      id: `filter-${filter.value}`,
      checked: filter.value === this.activeFilter,
    }));
  }

  get dayGroups() {
    const groups = [];
    let current;
    for (const item of this.items) {
      const event = toTimelineEvent(item, this.now);
      const key = event.occurredAt ? dayKey(event.occurredAt) : 'unknown';
      if (!current || current.key !== key) {
        current = {
          key,
          label: event.occurredAt ? formatDayHeading(event.occurredAt, this.now) : 'Date not recorded',
          datetime: event.occurredAt ? key : undefined,
          events: [],
        };
        groups.push(current);
      }
      current.events.push(event);
    }
    return groups;
  }

  get newTabHint() {
    return ' (opens in a new tab)';
  }

  get headerIconHref() {
    return `${STANDARD_SPRITE}#campaign`;
  }

  get refreshIconHref() {
    return `${UTILITY_SPRITE}#refresh`;
  }

  get refreshDisabled() {
    return !this.hasRecord || !this.wiredPage || this.isRefreshing || this.isLoadingFirstPage;
  }

  // Without a record there is nothing to refresh. While loading, the button only looks disabled:
  // a really disabled button would drop the keyboard focus of the rep who just pressed it.
  get refreshUnavailable() {
    return !this.hasRecord;
  }

  get refreshAriaDisabled() {
    return this.refreshDisabled ? 'true' : 'false';
  }

  get refreshIconClass() {
    return `slds-button__icon${this.isRefreshing ? ' refresh-icon_spinning' : ''}`;
  }

  get loadMoreLabel() {
    return this.isLoadingMore ? 'Loading…' : 'Load more';
  }

  get loadMoreAriaDisabled() {
    return this.isLoadingMore ? 'true' : 'false';
  }

  // ----- actions ---------------------------------------------------------------------------

  handleFilterChange(event) {
    const value = event.target.value;
    if (!isKnownFilter(value) || value === this.activeFilter) {
      return;
    }
    this.filterChosenByRep = true;
    this.activeFilter = value;
    this.startNewQuery();
  }

  handleShowAll() {
    this.filterChosenByRep = true;
    this.activeFilter = DEFAULT_FILTER;
    this.startNewQuery();
  }

  handleRefresh() {
    if (!this.refreshDisabled) {
      this.reload('Email engagement refreshed.');
    }
  }

  handleRetryFirstPage() {
    if (this.wiredPage && !this.isRefreshing) {
      this.pageError = undefined;
      this.isLoadingFirstPage = true;
      this.reload('Email engagement loaded.');
    }
  }

  async reload(doneMessage) {
    this.isRefreshing = true;
    // Pages loaded so far may be stale: any still in flight is discarded.
    this.generation += 1;
    this.isLoadingMore = false;
    this.loadMoreError = undefined;
    try {
      await refreshApex(this.wiredPage);
      // refreshApex provisions the wire again only when the data changed: rebuild either way.
      this.applyFirstPage(this.wiredPage);
      if (!this.pageError) {
        this.announce(doneMessage);
      }
    } catch (error) {
      this.applyFirstPage({ error });
    } finally {
      this.isRefreshing = false;
    }
  }

  async handleLoadMore() {
    if (this.isLoadingMore || !this.hasMore || !this.nextCursor) {
      return;
    }
    const generation = this.generation;
    const request = {
      recordId: this.recordId,
      filter: this.activeFilter,
      pageSize: this.queryPageSize,
      cursor: this.nextCursor,
    };
    this.isLoadingMore = true;
    this.loadMoreError = undefined;
    try {
      const page = await getEngagement(request);
      if (generation !== this.generation) {
        return;
      }
      const known = new Set(this.items.map((item) => item.id));
      const older = (page && Array.isArray(page.items) ? page.items : []).filter(
        (item) => !known.has(item.id),
      );
      this.now = Date.now();
      this.items = [...this.items, ...older];
      this.nextCursor = page && page.nextCursor;
      this.hasMore = Boolean(page && page.hasMore && page.nextCursor);
      this.focusItemId = older.length > 0 ? older[0].id : undefined;
      this.announce(this.loadedMessage(older.length));
    } catch (error) {
      if (generation === this.generation) {
        this.loadMoreError = error;
      }
    } finally {
      if (generation === this.generation) {
        this.isLoadingMore = false;
      }
    }
  }

  loadedMessage(count) {
    const events = count === 1 ? '1 older event' : `${count} older events`;
    return this.hasMore ? `Loaded ${events}.` : `Loaded ${events}. That is the whole history.`;
  }

  announce(message) {
    this.announcement = message;
  }

  connectedCallback() {
    // eslint-disable-next-line @lwc/lwc/no-async-operation -- a minute clock keeps relative times true
    this.clock = setInterval(() => {
      this.now = Date.now();
    }, CLOCK_TICK_MS);
  }

  disconnectedCallback() {
    clearInterval(this.clock);
    this.clock = undefined;
  }

  renderedCallback() {
    // After "load more", keyboard and screen reader users continue at the first older event.
    if (this.focusItemId) {
      const target = this.template.querySelector(`[data-item-id="${this.focusItemId}"]`);
      this.focusItemId = undefined;
      if (target) {
        target.focus();
      }
    }
  }
}

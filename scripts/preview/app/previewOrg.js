/* global location */
/**
 * A stand-in for the org behind ResponsysEngagementController.getEngagement: it answers exactly as
 * the Apex contract says, from the fixture records of the scenario in the URL
 * (?scenario=engaged|opted-out|sync-failed|empty|error), with keyset paging and the same errors.
 */
import { DEFAULT_SCENARIO, SCENARIOS } from './fixtures.js';

const FILTER_EVENT_TYPES = {
  all: null,
  opens: ['Opened'],
  clicks: ['Clicked'],
  bounces: ['Bounced'],
  conversions: ['Converted'],
  optouts: ['Opted_Out', 'Opted_In'],
};

const params = new URLSearchParams(location.search);

export const scenarioKey = SCENARIOS[params.get('scenario')] ? params.get('scenario') : DEFAULT_SCENARIO;
export const scenario = SCENARIOS[scenarioKey];
export const latencyMs = Number.parseInt(params.get('latency') ?? '350', 10) || 0;

const loadedAt = Date.now();
const rows = scenario.events.map((event) => toRow(event, loadedAt));
const summary = {
  recordId: scenario.profile.recordId,
  objectApiName: scenario.profile.objectApiName,
  name: scenario.profile.name,
  ...scenario.summary(loadedAt),
};
let serverCalls = 0;

function toRow(event, now) {
  const { minutesAgo, ...row } = event;
  return { ...row, occurredAt: new Date(now - minutesAgo * 60 * 1000).toISOString() };
}

// ORDER BY Occurred_At__c DESC, Id DESC
function newestFirst(a, b) {
  if (a.occurredAt !== b.occurredAt) {
    return a.occurredAt < b.occurredAt ? 1 : -1;
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function encodeCursor(row) {
  return btoa(JSON.stringify([row.occurredAt, row.id]));
}

function decodeCursor(cursor) {
  try {
    const [occurredAt, id] = JSON.parse(atob(cursor));
    if (typeof occurredAt === 'string' && typeof id === 'string') {
      return { occurredAt, id };
    }
  } catch {
    // reported below as an invalid cursor
  }
  throw auraHandledException('The paging cursor is not valid. Refresh the timeline and try again.');
}

// How Lightning rejects a call whose Apex threw an AuraHandledException.
function auraHandledException(message) {
  return {
    ok: false,
    status: 400,
    statusText: 'Bad Request',
    body: { message, exceptionType: 'System.AuraHandledException', stackTrace: '' },
  };
}

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/** The server side of getEngagement: validation, filter, keyset page, summary. */
export function queryEngagement({ recordId, filter, pageSize, cursor }) {
  serverCalls += 1;
  if (scenario.failure) {
    throw structuredClone(scenario.failure);
  }
  if (recordId !== summary.recordId) {
    throw auraHandledException('Engagement is only available for a Lead or Contact id.');
  }
  const filterName = filter === null || filter === undefined || filter === '' ? 'all' : filter;
  if (!(filterName in FILTER_EVENT_TYPES)) {
    throw auraHandledException(`Unknown engagement filter "${filter}".`);
  }
  const size = pageSize === null || pageSize === undefined ? 25 : Number(pageSize);
  if (!Number.isInteger(size) || size < 1 || size > 200) {
    throw auraHandledException('The page size must be between 1 and 200.');
  }
  const types = FILTER_EVENT_TYPES[filterName];
  let candidates = rows.filter((row) => !types || types.includes(row.eventType)).sort(newestFirst);
  if (cursor) {
    const position = decodeCursor(cursor);
    candidates = candidates.filter(
      (row) =>
        row.occurredAt < position.occurredAt ||
        (row.occurredAt === position.occurredAt && row.id < position.id),
    );
  }
  const items = candidates.slice(0, size);
  const hasMore = candidates.length > size;
  return deepFreeze({
    summary: { ...summary },
    items: items.map((row) => ({ ...row })),
    nextCursor: hasMore ? encodeCursor(items[items.length - 1]) : null,
    hasMore,
  });
}

/**
 * Records new engagement as the bridge would (an event row plus the summary fields it updates), so
 * a human or a test can see that Refresh brings it in.
 */
export function recordEngagement({
  eventType,
  campaignName,
  offerName = null,
  offerUrl = null,
  detail = null,
}) {
  const now = Date.now();
  const row = toRow(
    {
      id: `a0B5e00000PrvN${String(rows.length).padStart(2, '0')}AAA`,
      minutesAgo: 0,
      eventType,
      campaignName,
      responsysCampaignId: null,
      launchId: null,
      offerName,
      offerUrl,
      detail,
    },
    now,
  );
  rows.push(row);
  if (eventType === 'Opened') {
    summary.lastOpenedAt = row.occurredAt;
  }
  if (eventType === 'Clicked') {
    summary.lastClickedAt = row.occurredAt;
  }
  if (typeof summary.engagementScore === 'number') {
    summary.engagementScore += eventType === 'Clicked' ? 3 : 1;
  }
  return { ...row };
}

/** How many times the "server" was reached (a cached answer does not count). */
export function serverCallCount() {
  return serverCalls;
}

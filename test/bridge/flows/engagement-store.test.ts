import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngagementEventStore } from '../../../bridge/src/flows/engagement/event-store.js';
import {
  callbackEventKey,
  fileEventKey,
  type EngagementEvent,
  type EngagementType,
} from '../../../bridge/src/flows/engagement/events.js';
import { engagementMigrations } from '../../../bridge/src/flows/engagement/migrations.js';
import { moduleMigrations } from '../../../bridge/src/module.js';
import { openStore, type Store } from '../../../bridge/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

let database: TestDatabase;
let store: Store;

beforeAll(async () => {
  database = await createTestDatabase('engagement_store');
  store = await openStore({
    databaseUrl: database.url,
    dataDir: 'unused',
    instanceId: 'engagement-store-test',
    extraMigrations: moduleMigrations([{ name: 'engagement', migrations: engagementMigrations }]),
  });
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});
beforeEach(async () => {
  await store.db.query('TRUNCATE bridge.responsys_events, bridge.responsys_callback_batches');
});

const at = (iso: string) => new Date(iso);

function fileEvent(
  type: EngagementType,
  riid: string,
  occurredAt: string,
  extra: Partial<EngagementEvent> = {},
): EngagementEvent {
  const when = at(occurredAt);
  return {
    eventKey: fileEventKey({
      feed: type,
      accountId: '1',
      riid,
      launchId: '55',
      occurredAt: when,
      distinguishing: [extra.offerUrl ?? null],
    }),
    origin: 'file',
    type,
    riid,
    customerId: null,
    email: null,
    occurredAt: when,
    occurredAtExact: true,
    campaignId: '31',
    campaignName: null,
    launchId: '55',
    offerName: null,
    offerUrl: null,
    detail: null,
    source: null,
    correlationId: randomUUID(),
    originRef: `file:${riid}`,
    ...extra,
  };
}

function callbackEvent(
  type: EngagementType,
  riid: string,
  receivedAt: string,
  index = 0,
  extra: Partial<EngagementEvent> = {},
): EngagementEvent {
  const when = at(receivedAt);
  return {
    ...fileEvent(type, riid, receivedAt),
    eventKey: callbackEventKey(`batch-${receivedAt}`, when, index),
    origin: 'callback',
    occurredAtExact: false,
    launchId: null,
    campaignName: 'Summer',
    ...extra,
  };
}

const add = (events: EngagementEvent[]) =>
  store.transaction((_repos, tx) => new EngagementEventStore(tx).addEvents(events));
const stored = async (key: string) => (await new EngagementEventStore(store.db).byKeys([key]))[0]!;

describe('EngagementEventStore intake', () => {
  it('stores a replayed file row once', async () => {
    const events = [
      fileEvent('Opened', '1', '2024-05-01T10:00:00Z'),
      fileEvent('Sent', '1', '2024-05-01T09:00:00Z'),
    ];
    const first = await add(events);
    const second = await add(events.map((event) => ({ ...event, correlationId: randomUUID() })));
    expect(first.added).toHaveLength(2);
    expect(second).toMatchObject({ added: [], duplicates: 2 });
    const { rows } = await store.db.query('SELECT count(*)::int AS n FROM bridge.responsys_events');
    expect(rows[0]).toEqual({ n: 2 });
  });

  it('folds a file row into the callback stored first: one record, with the exact time, launch and link', async () => {
    const callback = callbackEvent('Clicked', '7', '2024-05-01T10:00:05Z');
    await add([callback]);
    await store.db.query(
      `UPDATE bridge.responsys_events SET status = 'applied', summarized_at = now() WHERE event_key = $1`,
      [callback.eventKey],
    );
    const row = fileEvent('Clicked', '7', '2024-05-01T10:00:01Z', {
      offerUrl: 'https://example.com/pricing',
    });
    const result = await add([row]);
    expect(result.merged).toEqual([[row.eventKey, callback.eventKey]]);
    expect(result.added).toEqual([]);
    const merged = await stored(callback.eventKey);
    expect(merged).toMatchObject({
      status: 'pending',
      occurredAt: at('2024-05-01T10:00:01Z'),
      occurredAtExact: true,
      launchId: '55',
      offerUrl: 'https://example.com/pricing',
      campaignName: 'Summer',
      pairedKey: row.eventKey,
    });
    // already counted in the summary: re-writing the record must not count it twice
    expect(merged.summarizedAt).not.toBeNull();
    expect(await stored(row.eventKey)).toMatchObject({ status: 'merged', pairedKey: callback.eventKey });
    // reading the file again changes nothing
    expect(await add([row])).toMatchObject({ duplicates: 1, merged: [] });
  });

  it('drops a callback whose file row was stored first', async () => {
    const row = fileEvent('Bounced', '8', '2024-05-01T10:00:00Z', {
      detail: 'MAILBOX_FULL: 452 (soft bounce)',
    });
    await add([row]);
    const callback = callbackEvent('Bounced', '8', '2024-05-01T10:03:00Z', 0, { detail: 'MAILBOX_FULL' });
    const result = await add([callback]);
    expect(result.superseded).toEqual([callback.eventKey]);
    expect(result.added).toEqual([]);
    expect(await stored(callback.eventKey)).toMatchObject({ status: 'superseded', pairedKey: row.eventKey });
  });

  it('pairs one to one, and never across campaigns, types, people or outside the time window', async () => {
    const callbacks = [
      callbackEvent('Clicked', '9', '2024-05-01T10:00:05Z', 0),
      callbackEvent('Clicked', '9', '2024-05-01T10:00:05Z', 1),
      callbackEvent('Clicked', '9', '2024-05-01T10:00:05Z', 2, { campaignId: '99' }),
      callbackEvent('Complained', '9', '2024-05-01T10:00:05Z', 3),
      callbackEvent('Clicked', '10', '2024-05-01T10:00:05Z', 4),
    ];
    await add(callbacks);
    const rows = [
      fileEvent('Clicked', '9', '2024-05-01T10:00:01Z', { offerUrl: 'https://a' }),
      fileEvent('Clicked', '9', '2024-05-01T10:00:02Z', { offerUrl: 'https://b' }),
      fileEvent('Clicked', '9', '2024-05-01T10:00:03Z', { offerUrl: 'https://c' }),
      fileEvent('Clicked', '10', '2024-04-20T10:00:00Z'),
    ];
    const result = await add(rows);
    expect(result.merged.map(([file]) => file)).toEqual([rows[0]!.eventKey, rows[1]!.eventKey]);
    expect(result.added.map((event) => event.eventKey)).toEqual([rows[2]!.eventKey, rows[3]!.eventKey]);
  });

  it('names the people whose opt-outs and opt-ins must reach Salesforce now', async () => {
    const result = await add([
      fileEvent('Opted_Out', '11', '2024-05-01T10:00:00Z'),
      fileEvent('Opened', '12', '2024-05-01T10:00:00Z'),
      fileEvent('Opted_In', '13', '2024-05-01T10:00:00Z'),
    ]);
    expect(result.optRiids.sort()).toEqual(['11', '13']);
    expect((await stored(result.added[0]!.eventKey)).optStatus).toBe('pending');
    expect((await stored(result.added[1]!.eventKey)).optStatus).toBeNull();
  });

  it("decides a held opt-in again once the opt-out's file row gives the time the person opted out", async () => {
    const optOut = callbackEvent('Opted_Out', '14', '2024-05-01T10:05:00Z', 0);
    const optIn = fileEvent('Opted_In', '14', '2024-05-01T10:02:00Z', { source: 'FORM' });
    const otherPerson = fileEvent('Opted_In', '15', '2024-05-01T10:02:00Z', { source: 'FORM' });
    await add([optOut, optIn, otherPerson]);
    const events = new EngagementEventStore(store.db);
    await events.setOptStatus([
      { eventKey: optOut.eventKey, status: 'applied' },
      { eventKey: optIn.eventKey, status: 'held', reason: 'the opt-out is known from a callback' },
      { eventKey: otherPerson.eventKey, status: 'held', reason: 'the opt-out is known from a callback' },
    ]);
    const result = await add([fileEvent('Opted_Out', '14', '2024-05-01T10:01:00Z')]);
    expect(result.merged.map(([, callback]) => callback)).toEqual([optOut.eventKey]);
    expect(result.optRiids).toEqual(['14']);
    expect(await stored(optIn.eventKey)).toMatchObject({ optStatus: 'pending' });
    expect(await stored(optOut.eventKey)).toMatchObject({ optStatus: 'applied', occurredAtExact: true });
    expect(await stored(otherPerson.eventKey)).toMatchObject({ optStatus: 'held' });
  });

  it('recognises a redelivered callback batch by its content within the window, and a new one after', async () => {
    const events = new EngagementEventStore(store.db);
    const first = await events.callbackBatchReceipt('abc', at('2024-05-01T10:00:00Z'), 3_600_000);
    const again = await events.callbackBatchReceipt('abc', at('2024-05-01T10:00:03Z'), 3_600_000);
    const later = await events.callbackBatchReceipt('abc', at('2024-05-01T12:00:00Z'), 3_600_000);
    expect(first).toEqual({ firstReceivedAt: at('2024-05-01T10:00:00Z'), redelivery: false });
    expect(again).toEqual({ firstReceivedAt: at('2024-05-01T10:00:00Z'), redelivery: true });
    expect(later).toEqual({ firstReceivedAt: at('2024-05-01T12:00:00Z'), redelivery: false });
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FlowBatch, WorkItem } from '../../../bridge/src/queue/outcomes.js';
import { OutcomeCollector } from '../../../bridge/src/queue/outcomes.js';
import type { RecordChangeInput } from '../../../bridge/src/queue/record-change.js';
import type { WorkQueue } from '../../../bridge/src/queue/work-queue.js';
import type { SalesforceClient } from '../../../bridge/src/salesforce/client.js';
import {
  lastEventWatermark,
  StreamingSubscriber,
  type ReplayReset,
} from '../../../bridge/src/salesforce/streaming/subscriber.js';
import { SYNC_EVENT_CHANNEL } from '../../../bridge/src/salesforce/streaming/sync-event.js';
import { BridgeMetrics } from '../../../bridge/src/shared/metrics.js';
import type { Queryable } from '../../../bridge/src/store/database.js';
import type { SalesforceEmulator } from '../../emulators/salesforce/index.js';
import { capturedLogger, createWorkQueue, eventually, type CapturedLogs } from '../support/queue-harness.js';
import { serverBackend, type OpenedStore } from '../support/stores.js';
import { emulatorClient, startEmulator } from './support.js';

// The Streaming API subscriber against the emulator's CometD endpoint and the package trigger model,
// with a real store and queue: events are queued before their replay id counts as saved, and the
// subscription survives dropped clients, revoked sessions, stalls and expired replay ids.

let emulator: SalesforceEmulator;
let opened: OpenedStore;
let queue: WorkQueue;
let received: WorkItem[] = [];
let client: SalesforceClient;
let metrics: BridgeMetrics;
let logs: CapturedLogs;
let resets: ReplayReset[];
let failNextDispatch = 0;
let subscriber: StreamingSubscriber | undefined;

beforeAll(async () => {
  emulator = await startEmulator({ streaming: { longPollTimeoutMs: 600 } });
  opened = await serverBackend.open();
  queue = createWorkQueue(opened.store);
  queue.defineFlow({
    name: 'test-intake',
    direction: 'salesforce_to_responsys',
    accepts: (change) => change.objectType === 'Lead' || change.objectType === 'Contact',
    async handle(batch: FlowBatch) {
      received.push(...batch.items);
      return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
    },
  });
  await queue.start({ workers: true });
});

afterAll(async () => {
  await queue.stop(2000);
  await opened.cleanup();
  await emulator.close();
});

beforeEach(async () => {
  received = [];
  resets = [];
  failNextDispatch = 0;
  await opened.store.replayCursors.reset(SYNC_EVENT_CHANNEL);
  metrics = new BridgeMetrics();
  logs = capturedLogger('info');
  client = emulatorClient(emulator, {}, { metrics, logger: logs.logger });
});

afterEach(async () => {
  await subscriber?.stop();
  subscriber = undefined;
  emulator.org.faults.clear();
});

function newSubscriber(stallTimeoutMs = 10_000): StreamingSubscriber {
  subscriber = new StreamingSubscriber({
    client,
    store: opened.store,
    logger: logs.logger,
    metrics,
    stallTimeoutMs,
    rebuildBackoff: { baseMs: 100, maxMs: 500 },
    dispatch: async (changes: readonly RecordChangeInput[], options: { tx: Queryable }) => {
      if (failNextDispatch > 0) {
        failNextDispatch -= 1;
        throw new Error('the store is unavailable');
      }
      return queue.dispatch(changes, options);
    },
    onReplayReset: async (reset) => {
      resets.push(reset);
    },
  });
  return subscriber;
}

async function subscribed(target: StreamingSubscriber): Promise<void> {
  await eventually('the subscription', () => target.status().state === 'subscribed', 10_000);
}

/** A rep creates Leads; the package trigger model publishes one CREATE event per Lead after commit. */
function repCreatesLeads(count: number, prefix: string): string[] {
  return emulator.insert(
    'Lead',
    Array.from({ length: count }, (_, i) => ({
      LastName: `${prefix}${i}`,
      Company: 'Streaming Co',
      Email: `${prefix}${i}@example.com`,
    })),
  );
}

/** Record ids received, sorted: events of one transaction share a time, so queue order among them is free. */
function receivedIds(): string[] {
  return received.map((item) => item.recordId).sort();
}

async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return (
    metric?.values
      .filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))
      .reduce((sum, value) => sum + value.value, 0) ?? 0
  );
}

describe('the Responsys_Sync__e subscription', () => {
  it('queues a rep change published by the trigger model and saves its replay id with it', async () => {
    const target = newSubscriber();
    await target.start();
    await subscribed(target);
    const [leadId] = repCreatesLeads(1, 'live');
    await eventually('the queued change', () => received.length === 1);
    const [item] = received;
    expect(item).toMatchObject({
      objectType: 'Lead',
      recordId: leadId,
      changeType: 'CREATE',
      source: 'streaming',
    });
    expect(item!.changedFields).toEqual(expect.arrayContaining(['Email', 'LastName']));
    expect(item!.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(item!.data).toMatchObject({ replayId: expect.any(Number), eventUuid: expect.any(String) });
    const cursor = await opened.store.replayCursors.load(SYNC_EVENT_CHANNEL);
    expect(cursor?.replayId).toBe(item!.data.replayId);
    expect(await opened.store.watermarks.get(lastEventWatermark(SYNC_EVENT_CHANNEL))).toBeDefined();
    expect(
      await counter('responsys_bridge_events_in_total', { source: 'streaming', change_type: 'CREATE' }),
    ).toBe(1);
    expect(target.readiness()).toMatchObject({ ok: true });
  });

  it('publishes nothing for the integration user, so the bridge never hears its own writes', async () => {
    const target = newSubscriber();
    await target.start();
    await subscribed(target);
    const [leadId] = repCreatesLeads(1, 'own');
    await eventually('the rep change', () => received.length === 1);
    await client.update('Lead', [{ Id: leadId!, Title: 'Written by the bridge' }]);
    repCreatesLeads(1, 'after-own');
    await eventually('the next rep change', () => received.length === 2);
    expect(receivedIds().filter((id) => id === leadId)).toHaveLength(1);
  });

  it('resumes from the saved replay id after a stop: events published meanwhile arrive once, earlier ones not again', async () => {
    const first = newSubscriber();
    await first.start();
    await subscribed(first);
    const before = repCreatesLeads(2, 'before-stop');
    await eventually('the first events', () => received.length === 2);
    await first.stop();
    const during = repCreatesLeads(3, 'during-stop');

    const second = newSubscriber();
    await second.start();
    await subscribed(second);
    await eventually('the missed events', () => received.length === 5);
    expect(receivedIds()).toEqual([...before, ...during].sort());
    expect(second.status().subscribedFrom).toBe(
      Math.max(...received.slice(0, 2).map((item) => item.data.replayId as number)),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toHaveLength(5);
  });

  it('does not count a replay id as saved when queueing fails, and replays those events', async () => {
    const target = newSubscriber();
    await target.start();
    await subscribed(target);
    failNextDispatch = 1;
    const ids = repCreatesLeads(2, 'queue-fails');
    await eventually('the replayed events', () => received.length === 2, 10_000);
    expect(receivedIds()).toEqual([...ids].sort());
    expect(target.status().lastError?.message).toMatch(/could not be queued/);
    const cursor = await opened.store.replayCursors.load(SYNC_EVENT_CHANNEL);
    expect(cursor?.replayId).toBe(Math.max(...received.map((item) => item.data.replayId as number)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toHaveLength(2);
  });

  it('handshakes again after 403::Unknown client and resubscribes from the last replay id', async () => {
    const target = newSubscriber();
    await target.start();
    await subscribed(target);
    repCreatesLeads(1, 'before-drop');
    await eventually('the first event', () => received.length === 1);
    const lastReplayId = received[0]!.data.replayId;
    expect(emulator.streaming.dropClients()).toBe(1);
    const after = repCreatesLeads(2, 'after-drop');
    await eventually('events after the drop', () => received.length === 3, 10_000);
    expect(
      received
        .slice(1)
        .map((item) => item.recordId)
        .sort(),
    ).toEqual([...after].sort());
    expect(target.status().subscribedFrom).toBe(lastReplayId);
    expect(await counter('responsys_bridge_stream_client_rebuilds_total', {})).toBe(0);
  });

  it('rebuilds the client with a new session when Salesforce revokes it (401, reconnect none)', async () => {
    const target = newSubscriber();
    await target.start();
    await subscribed(target);
    const renewalsBefore = client.status().sessionRenewals;
    expect(emulator.streaming.revokeClientSessions()).toBeGreaterThan(0);
    await eventually('the rebuild', () => target.status().rebuilds === 1, 10_000);
    await subscribed(target);
    const ids = repCreatesLeads(1, 'after-revoke');
    await eventually('an event on the new client', () => received.length === 1, 10_000);
    expect(receivedIds()).toEqual(ids);
    expect(client.status().sessionRenewals).toBe(renewalsBefore + 1);
    expect(await counter('responsys_bridge_stream_client_rebuilds_total', { reason: 'auth' })).toBe(1);
  });

  it('rebuilds a client whose long-polls silently stop answering', async () => {
    const target = newSubscriber(1500);
    await target.start();
    await subscribed(target);
    emulator.org.faults.add({ method: 'POST', path: '/cometd/**', fault: { type: 'hang' } });
    await eventually(
      'the watchdog',
      async () => (await counter('responsys_bridge_stream_client_rebuilds_total', { reason: 'stall' })) >= 1,
      10_000,
    );
    emulator.org.faults.clear();
    await subscribed(target);
    const ids = repCreatesLeads(1, 'after-stall');
    await eventually('an event after the stall', () => received.length === 1, 10_000);
    expect(receivedIds()).toEqual(ids);
  });

  it('rebuilds a client whose long-poll answer carrying events was lost, and resumes from the saved replay id so those events arrive once', async () => {
    const target = newSubscriber();
    await target.start();
    await subscribed(target);
    const before = repCreatesLeads(1, 'before-loss');
    await eventually('the first event', () => received.length === 1);
    const savedReplayId = received[0]!.data.replayId;
    const { clientId } = await eventually('a held long-poll', () =>
      emulator.streaming.state().clients.find((c) => c.connected),
    );
    expect(emulator.streaming.loseNextDelivery({ clientId })).toBe(1);
    const lost = repCreatesLeads(2, 'lost-answer');
    await eventually(
      'the rebuild after the transport went down',
      async () =>
        (await counter('responsys_bridge_stream_client_rebuilds_total', { reason: 'transport_down' })) === 1,
      10_000,
    );
    const after = repCreatesLeads(1, 'after-loss');
    await eventually('every event', () => received.length === 4, 10_000);
    expect(receivedIds()).toEqual([...before, ...lost, ...after].sort());
    expect(target.status().subscribedFrom).toBe(savedReplayId);
    expect(client.status().sessionRenewals).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toHaveLength(4);
    expect(target.status().rebuilds).toBe(1);
  });

  it('raises an alert, resumes from the oldest retained event and asks for a reconciliation when the saved replay id expired', async () => {
    const first = newSubscriber();
    await first.start();
    await subscribed(first);
    repCreatesLeads(1, 'before-gap');
    await eventually('the first event', () => received.length === 1);
    const lastEventAt = await opened.store.watermarks.get(lastEventWatermark(SYNC_EVENT_CHANNEL));
    await first.stop();
    repCreatesLeads(2, 'lost-in-gap');
    emulator.streaming.expireEvents();
    const retained = repCreatesLeads(1, 'retained');
    received = [];

    const second = newSubscriber();
    await second.start();
    await eventually('the reset', () => resets.length === 1, 10_000);
    expect(resets[0]).toMatchObject({
      channel: SYNC_EVENT_CHANNEL,
      since: lastEventAt,
      error: expect.stringMatching(/^400::The replayId/),
    });
    expect(
      await counter('responsys_bridge_stream_replay_resets_total', { reason: 'replay_id_invalid' }),
    ).toBe(1);
    expect(
      logs.lines.some(
        (line) => line.level === 'error' && /ALERT: Salesforce refused replay id/.test(String(line.msg)),
      ),
    ).toBe(true);
    await subscribed(second);
    expect(second.status().subscribedFrom).toBe(-2);
    await eventually('the retained event', () => received.length === 1, 10_000);
    expect(receivedIds()).toEqual([...retained].sort());
    const live = repCreatesLeads(1, 'after-reset');
    await eventually('a live event after the reset', () => received.length === 2, 10_000);
    expect(received[1]!.recordId).toBe(live[0]);
    expect((await opened.store.replayCursors.load(SYNC_EVENT_CHANNEL))?.replayId).toBe(
      received[1]!.data.replayId,
    );
  });
});

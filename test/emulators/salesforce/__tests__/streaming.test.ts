import jsforce, { type Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../index.js';
import { api, jwtConnection, startEmulator } from './helpers.js';
import {
  disconnect,
  subscribe,
  subscribed,
  SYNC_CHANNEL,
  waitFor,
  type Subscriber,
} from './streaming-support.js';

// The Streaming API through the real jsforce 3 streaming client (faye long-polling, the Replay
// extension): live events, replay from a stored id and of everything retained, the retention
// window, and events shaped exactly as Salesforce delivers them.

let emulator: SalesforceEmulator;
let rep: Connection;
let bridge: Connection;
const open: Subscriber[] = [];

async function listen(conn: Connection, options: { replayId?: number; channel?: string } = {}) {
  const subscriber = await subscribed(conn, options);
  open.push(subscriber);
  return subscriber;
}

/** Publishes through REST as the rep: returns the EventUuid of the OPERATION_ENQUEUED answer. */
async function publish(changeType: string, recordId = '00Q000000000001AAA'): Promise<string> {
  const result = await api<{ errors: Array<{ message: string }> }>(
    emulator,
    rep.accessToken!,
    'POST',
    '/sobjects/Responsys_Sync__e',
    { Object_Type__c: 'Lead', Record_Id__c: recordId, Change_Type__c: changeType },
  );
  expect(result.status).toBe(201);
  return result.body.errors[0]!.message;
}

beforeAll(async () => {
  emulator = await startEmulator({ streaming: { longPollTimeoutMs: 800 } });
  rep = await jwtConnection(emulator, 'rep@example.com');
  bridge = await jwtConnection(emulator, 'bridge@example.com');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((subscriber) => subscriber.close()));
  emulator.streaming.expireEvents();
});

afterAll(async () => {
  await emulator.close();
});

describe('live events', () => {
  it('delivers an event published after the subscribe, shaped as Salesforce delivers it, and nothing from before', async () => {
    await publish('UPDATE');
    const subscriber = await listen(bridge);
    const eventUuid = await publish('DELETE');
    const [event] = await subscriber.waitForEvents(1);
    expect(event).toEqual({
      schema: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      payload: {
        CreatedDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        CreatedById: rep.userInfo!.id,
        Object_Type__c: 'Lead',
        Record_Id__c: '00Q000000000001AAA',
        Change_Type__c: 'DELETE',
        Changed_Fields__c: null,
        Previous_Value__c: null,
        New_Value__c: null,
        Related_Id__c: null,
        Correlation_Id__c: null,
      },
      event: { EventUuid: eventUuid, replayId: expect.any(Number) },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(subscriber.events).toHaveLength(1);
  });

  it('numbers events with increasing replay ids and keeps one schema id per event definition', async () => {
    const subscriber = await listen(bridge);
    await publish('CREATE');
    await publish('UPDATE');
    await publish('UNDELETE');
    const events = await subscriber.waitForEvents(3);
    const ids = events.map((e) => e.event.replayId);
    expect(ids[1]).toBeGreaterThan(ids[0]!);
    expect(ids[2]).toBeGreaterThan(ids[1]!);
    expect(events.map((e) => e.payload.Change_Type__c)).toEqual(['CREATE', 'UPDATE', 'UNDELETE']);
    expect(new Set(events.map((e) => e.schema)).size).toBe(1);
  });

  it('answers the handshake with replay support and long-polling only, so faye stays on long-polling', async () => {
    const subscriber = await listen(bridge);
    const handshake = subscriber.meta.find((m) => m.channel === '/meta/handshake')!;
    expect(handshake).toMatchObject({
      successful: true,
      version: '1.0',
      minimumVersion: '1.0',
      supportedConnectionTypes: ['long-polling'],
      ext: { replay: true, 'payload.format': true },
    });
    const connect = subscriber.meta.find((m) => m.channel === '/meta/connect')!;
    expect(connect.advice).toEqual({ reconnect: 'retry', interval: 0, timeout: 800 });
  });

  it('delivers without EventUuid on an endpoint version below 52.0', async () => {
    const conn = new jsforce.Connection({
      instanceUrl: emulator.url,
      accessToken: bridge.accessToken!,
      version: '51.0',
    });
    const subscriber = await listen(conn);
    await publish('OPT_OUT');
    const [event] = await subscriber.waitForEvents(1);
    expect(event!.event).toEqual({ replayId: expect.any(Number) });
  });

  it('keeps a long-poll open for the configured time when nothing happens, and the client keeps reconnecting', async () => {
    const subscriber = await listen(bridge);
    const client = await waitFor('a held connect', () =>
      emulator.streaming.state().clients.find((c) => c.connected),
    );
    const connectsBefore = client.connects;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = emulator.streaming.state().clients.find((c) => c.clientId === client.clientId)!;
    // 800 ms holds: about one more connect per 800 ms, not a busy loop.
    expect(after.connects - connectsBefore).toBeGreaterThanOrEqual(1);
    expect(after.connects - connectsBefore).toBeLessThanOrEqual(3);
    expect(subscriber.events).toEqual([]);
  });
});

describe('publishing through the API', () => {
  it('delivers events published through sObject Collections and composite, each answered with an e01 id and OPERATION_ENQUEUED', async () => {
    const subscriber = await listen(bridge);
    const event = (changeType: string) => ({
      attributes: { type: 'Responsys_Sync__e' },
      Object_Type__c: 'Contact',
      Record_Id__c: '003000000000001AAA',
      Change_Type__c: changeType,
    });
    const collection = await api<
      Array<{ id: string; success: boolean; errors: Array<{ statusCode: string; message: string }> }>
    >(emulator, rep.accessToken!, 'POST', '/composite/sobjects', {
      allOrNone: false,
      records: [event('CREATE'), event('UPDATE')],
    });
    expect(collection.body).toEqual([
      {
        id: expect.stringMatching(/^e01[0-9A-Za-z]{15}$/),
        success: true,
        errors: [{ statusCode: 'OPERATION_ENQUEUED', message: expect.any(String), fields: [] }],
      },
      expect.objectContaining({ success: true }),
    ]);
    const { attributes: _attributes, ...body } = event('OPT_IN');
    const composite = await api<{ compositeResponse: Array<{ httpStatusCode: number }> }>(
      emulator,
      rep.accessToken!,
      'POST',
      '/composite',
      {
        allOrNone: true,
        compositeRequest: [
          {
            method: 'POST',
            url: '/services/data/v62.0/sobjects/Responsys_Sync__e',
            referenceId: 'event',
            body,
          },
        ],
      },
    );
    expect(composite.body.compositeResponse[0]!.httpStatusCode).toBe(201);
    const events = await subscriber.waitForEvents(3);
    expect(events.map((e) => e.payload.Change_Type__c)).toEqual(['CREATE', 'UPDATE', 'OPT_IN']);
    expect(events.map((e) => e.event.EventUuid)).toEqual([
      collection.body[0]!.errors[0]!.message,
      collection.body[1]!.errors[0]!.message,
      expect.any(String),
    ]);
  });

  it('stops delivering to a cancelled subscription', async () => {
    const subscriber = await listen(bridge);
    await publish('CREATE');
    await subscriber.waitForEvents(1);
    subscriber.subscription.cancel();
    await waitFor('the unsubscribe', () =>
      emulator.streaming.state().clients.every((c) => !c.channels.includes(SYNC_CHANNEL)),
    );
    await publish('UPDATE');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(subscriber.events).toHaveLength(1);
  });
});

describe('replay', () => {
  it('replays the retained events after a stored replay id, then live ones', async () => {
    const first = await listen(bridge);
    await publish('CREATE');
    await publish('UPDATE');
    await publish('DELETE');
    const seen = await first.waitForEvents(3);
    const stored = seen[0]!.event.replayId;
    await first.close();

    const resumed = await listen(bridge, { replayId: stored });
    const replayed = await resumed.waitForEvents(2);
    expect(replayed.map((e) => e.event.replayId)).toEqual([seen[1]!.event.replayId, seen[2]!.event.replayId]);
    await publish('UNDELETE');
    const all = await resumed.waitForEvents(3);
    expect(all[2]!.payload.Change_Type__c).toBe('UNDELETE');
  });

  it('replays every retained event with -2', async () => {
    await publish('CREATE');
    await publish('UPDATE');
    const subscriber = await listen(bridge, { replayId: -2 });
    const events = await subscriber.waitForEvents(2);
    expect(events.map((e) => e.payload.Change_Type__c)).toEqual(['CREATE', 'UPDATE']);
    expect(emulator.streaming.retainedEvents(SYNC_CHANNEL).map((e) => e.replayId)).toEqual(
      events.map((e) => e.event.replayId),
    );
  });

  it('refuses a stored replay id whose events have expired with the exact 400 text, seen by the errback and an incoming extension', async () => {
    await publish('CREATE');
    const old = emulator.streaming.retainedEvents(SYNC_CHANNEL)[0]!.replayId;
    await publish('UPDATE');
    expect(emulator.streaming.expireEvents({ throughReplayId: old + 1 })).toBe(2);
    const subscriber = subscribe(bridge, { replayId: old });
    open.push(subscriber);
    await waitFor('the subscribe errback', () => subscriber.subscribeErrors.length > 0);
    const expected = `400::The replayId {${old}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`;
    expect(subscriber.subscribeErrors[0]!.message).toBe(expected);
    const reply = subscriber.meta.find((m) => m.channel === '/meta/subscribe')!;
    expect(reply).toMatchObject({ successful: false, error: expected, subscription: SYNC_CHANNEL });
    expect(reply.clientId).toEqual(expect.any(String));
  });

  it('accepts the last expired replay id itself, since nothing after it was lost', async () => {
    await publish('CREATE');
    await publish('UPDATE');
    const [first, second] = emulator.streaming.retainedEvents(SYNC_CHANNEL);
    emulator.streaming.expireEvents({ throughReplayId: first!.replayId });
    const subscriber = await listen(bridge, { replayId: first!.replayId });
    const [event] = await subscriber.waitForEvents(1);
    expect(event!.event.replayId).toBe(second!.replayId);
  });

  it('expires events older than the retention window on the org clock', async () => {
    const short = await startEmulator({ eventRetentionMs: 60_000, streaming: { longPollTimeoutMs: 500 } });
    try {
      const conn = await jwtConnection(short, 'bridge@example.com');
      short.insert('Lead', [{ LastName: 'Old', Company: 'Acme' }]);
      const [event] = short.streaming.retainedEvents(SYNC_CHANNEL);
      short.org.clock.advance(61_000);
      expect(short.streaming.retainedEvents(SYNC_CHANNEL)).toEqual([]);
      const subscriber = subscribe(conn, { replayId: event!.replayId - 1 });
      await waitFor('the subscribe errback', () => subscriber.subscribeErrors.length > 0);
      expect(subscriber.subscribeErrors[0]!.message).toMatch(
        /^400::The replayId \{\d+\} you provided was invalid\./,
      );
      await subscriber.close();
    } finally {
      await short.close();
    }
  });

  it('refuses a replay map that names another channel (two Replay extensions on one client)', async () => {
    const { StreamingExtension } = await import('jsforce/lib/api/streaming.js');
    const client = bridge.streaming.createClient([
      new StreamingExtension.Replay(SYNC_CHANNEL, -1),
      new StreamingExtension.Replay('/event/Other_Event__e', -2),
    ]) as unknown as {
      subscribe(channel: string, cb: () => void): { errback(cb: (e: { message: string }) => void): void };
      disconnect(): PromiseLike<unknown> | undefined;
    };
    const errors: string[] = [];
    client.subscribe(SYNC_CHANNEL, () => undefined).errback((e) => errors.push(e.message));
    try {
      await waitFor('the subscribe errback', () => errors.length > 0);
      expect(errors[0]).toBe(
        "400::The replayId for channel {/event/Responsys_Sync__e} wasn't found using the provided replay ID map {{/event/Other_Event__e=-2}}. Ensure that the channel name you provided in the replay map is valid and matches the channel name used for subscribing.",
      );
    } finally {
      await disconnect(client);
    }
  });

  it('refuses a channel that does not exist, and channel names are case-sensitive', async () => {
    const missing = subscribe(bridge, { channel: '/event/No_Such_Event__e' });
    const wrongCase = subscribe(bridge, { channel: '/event/responsys_sync__e' });
    open.push(missing, wrongCase);
    await waitFor(
      'both errbacks',
      () => missing.subscribeErrors.length > 0 && wrongCase.subscribeErrors.length > 0,
    );
    expect(missing.subscribeErrors[0]!.message).toBe(
      "400::The channel you requested to subscribe to doesn't exist {/event/No_Such_Event__e}",
    );
    expect(wrongCase.subscribeErrors[0]!.message).toBe(
      "400::The channel you requested to subscribe to doesn't exist {/event/responsys_sync__e}",
    );
  });
});

describe('delivery limits', () => {
  it('counts each delivery to each subscriber against DailyDeliveredPlatformEvents', async () => {
    const before = emulator.org.limits.used('DailyDeliveredPlatformEvents');
    const one = await listen(bridge);
    const two = await listen(rep);
    await publish('CREATE');
    await one.waitForEvents(1);
    await two.waitForEvents(1);
    expect(emulator.org.limits.used('DailyDeliveredPlatformEvents') - before).toBe(2);
    const { StreamingApiConcurrentClients: clients } = await rep.limits();
    const connected = emulator.streaming.state().clients.length;
    expect(connected).toBeGreaterThanOrEqual(2);
    expect(clients).toEqual({ Max: 2_000, Remaining: 2_000 - connected });
  });
});

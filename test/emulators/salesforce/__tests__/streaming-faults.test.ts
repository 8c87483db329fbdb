import type { Connection } from 'jsforce';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../index.js';
import { control, jwtConnection, startEmulator } from './helpers.js';
import {
  bayeux,
  rawHandshake,
  subscribe,
  subscribed,
  SYNC_CHANNEL,
  waitFor,
  type Subscriber,
} from './streaming-support.js';

// The failures real subscribers meet, forced through the control API, and what the real jsforce
// client does with each; then the raw protocol details faye does not show (status codes, cookies,
// exact replies).

let emulator: SalesforceEmulator;
let bridge: Connection;
const open: Subscriber[] = [];

async function listen(conn: Connection, replayId?: number) {
  const subscriber = await subscribed(conn, replayId === undefined ? {} : { replayId });
  open.push(subscriber);
  return subscriber;
}

function createLead(lastName: string): string {
  return emulator.insert('Lead', [{ LastName: lastName, Company: 'Acme' }], {
    asUser: 'rep@example.com',
  })[0]!;
}

const heldConnect = (username = 'bridge@example.com') =>
  waitFor('a held long-poll', () =>
    emulator.streaming.state().clients.find((c) => c.username === username && c.connected),
  );

beforeAll(async () => {
  emulator = await startEmulator({ streaming: { longPollTimeoutMs: 600 } });
  bridge = await jwtConnection(emulator, 'bridge@example.com');
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((subscriber) => subscriber.close()));
});

afterAll(async () => {
  await emulator.close();
});

describe('403::Unknown client', () => {
  it('makes faye handshake again and resubscribe from the last replay id, so no event is lost', async () => {
    const subscriber = await listen(bridge);
    createLead('Before');
    await subscriber.waitForEvents(1);
    await heldConnect();

    const response = await control<{ dropped: number }>(emulator, 'POST', '/streaming/clients/drop', {
      username: 'bridge@example.com',
    });
    expect(response.body).toEqual({ dropped: 1 });
    createLead('While away');
    const events = await subscriber.waitForEvents(2);
    createLead('After');
    await subscriber.waitForEvents(3);

    const refused = subscriber.meta.find((m) => m.channel === '/meta/connect' && m.successful === false)!;
    expect(refused).toMatchObject({
      error: '403::Unknown client',
      successful: false,
      advice: { interval: 0, reconnect: 'handshake' },
    });
    expect(subscriber.meta.filter((m) => m.channel === '/meta/handshake' && m.successful)).toHaveLength(2);
    expect(subscriber.meta.filter((m) => m.channel === '/meta/subscribe' && m.successful)).toHaveLength(2);
    expect(events[1]!.payload.Change_Type__c).toBe('CREATE');
    expect(subscriber.events.map((e) => e.event.replayId)).toEqual(
      [...new Set(subscriber.events.map((e) => e.event.replayId))].sort((a, b) => a - b),
    );
    expect(subscriber.authFailures).toEqual([]);
  });
});

describe('403::Unknown client after the stored replay id expired', () => {
  it('fails the forced resubscribe with the 400, which only an incoming extension sees, and events stop (jsforce#1709)', async () => {
    const subscriber = await listen(bridge);
    createLead('Seen');
    const [seen] = await subscriber.waitForEvents(1);
    await heldConnect();
    // While the client is away: an event it never sees, and then its 72 hours pass.
    emulator.streaming.dropClients({ username: 'bridge@example.com' });
    createLead('Expires unseen');
    emulator.streaming.expireEvents();
    const refused = await waitFor('the failed resubscribe', () =>
      subscriber.meta.find((m) => m.channel === '/meta/subscribe' && m.successful === false),
    );
    expect(refused.error).toBe(
      `400::The replayId {${seen!.event.replayId}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`,
    );
    expect(subscriber.subscribeErrors).toEqual([]);
    createLead('After');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(subscriber.events).toHaveLength(1);
  });
});

describe('401::Authentication invalid', () => {
  it('ends the client with reconnect none when its session is revoked: AuthFailure fires and no event arrives any more', async () => {
    const conn = await jwtConnection(emulator, 'bridge@example.com');
    const subscriber = await listen(conn);
    const client = await heldConnect();
    const response = await control<{ revoked: number }>(
      emulator,
      'POST',
      '/streaming/clients/revoke-session',
      {
        clientId: client.clientId,
      },
    );
    expect(response.body).toEqual({ revoked: 1 });
    await waitFor('the AuthFailure callback', () => subscriber.authFailures.length > 0);
    expect(subscriber.authFailures[0]).toMatchObject({
      channel: '/meta/connect',
      clientId: client.clientId,
      error: '401::Authentication invalid',
      successful: false,
      advice: { reconnect: 'none', interval: 0 },
    });
    createLead('Unseen');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(subscriber.events).toEqual([]);
    expect(emulator.streaming.state().clients.find((c) => c.clientId === client.clientId)).toBeUndefined();
  });

  it('answers a connect after the session expired (control API sessions/expire) at the end of the held long-poll', async () => {
    const conn = await jwtConnection(emulator, 'rep@example.com');
    const subscriber = await listen(conn);
    await heldConnect('rep@example.com');
    await control(emulator, 'POST', '/sessions/expire', { username: 'rep@example.com' });
    await waitFor('the AuthFailure callback', () => subscriber.authFailures.length > 0, 3_000);
    expect(subscriber.authFailures[0]).toMatchObject({ error: '401::Authentication invalid' });
  });

  it('denies the handshake of an expired token with 403::Handshake denied and the 401 reason', async () => {
    const conn = await jwtConnection(emulator, 'bridge@example.com');
    emulator.org.sessions.expire({ token: conn.accessToken! });
    const subscriber = subscribe(conn);
    open.push(subscriber);
    await waitFor('the AuthFailure callback', () => subscriber.authFailures.length > 0);
    expect(subscriber.authFailures[0]).toEqual({
      ext: { sfdc: { failureReason: '401::Authentication invalid' } },
      advice: { reconnect: 'none' },
      channel: '/meta/handshake',
      id: expect.any(String),
      error: '403::Handshake denied',
      successful: false,
    });
  });
});

describe('a client that does not come back', () => {
  it('loses its session after the long-poll plus the reconnect timeout, and its next connect answers 403::Unknown client', async () => {
    const quick = await startEmulator({ streaming: { longPollTimeoutMs: 200, reconnectTimeoutMs: 200 } });
    try {
      const token = (await jwtConnection(quick, 'bridge@example.com')).accessToken!;
      const { clientId, cookie } = await rawHandshake(quick, token);
      const connect = { channel: '/meta/connect', clientId, connectionType: 'long-polling' };
      expect((await bayeux(quick, { ...connect, id: '2' }, { token, cookie })).body[0]!.successful).toBe(
        true,
      );
      expect(quick.streaming.state().clients).toHaveLength(1);
      await waitFor('the session to end', () => quick.streaming.state().clients.length === 0, 2_000);
      const late = await bayeux(quick, { ...connect, id: '3' }, { token, cookie });
      expect(late.body[0]).toMatchObject({ successful: false, error: '403::Unknown client' });
    } finally {
      await quick.close();
    }
  });
});

describe('dropped long-poll connections', () => {
  it('cuts the held connect; faye reports transport down, reconnects after its retry interval, and gets what was published meanwhile', async () => {
    const subscriber = await listen(bridge);
    await heldConnect();
    const response = await control<{ dropped: number }>(emulator, 'POST', '/streaming/connections/drop', {});
    expect(response.body).toEqual({ dropped: 1 });
    createLead('During the outage');
    await waitFor('transport down', () => subscriber.transport.includes('down'));
    expect(subscriber.events).toEqual([]);
    // faye waits its retry interval (5 s in jsforce's client) before sending the connect again.
    const [event] = await subscriber.waitForEvents(1, 9_000);
    expect(event!.payload).toMatchObject({ Object_Type__c: 'Lead', Change_Type__c: 'CREATE' });
    expect(subscriber.transport).toContain('up');
  }, 15_000);

  it('loses a long-poll answer carrying events: they count as delivered, faye times out, reconnects the same client and never gets them', async () => {
    const subscriber = await listen(bridge);
    const { clientId } = await heldConnect();
    const response = await control<{ armed: number }>(
      emulator,
      'POST',
      '/streaming/connections/lose-next-delivery',
      { clientId },
    );
    expect(response.body).toEqual({ armed: 1 });
    createLead('Lost on the way');
    // faye gives up at 1.2x the advised timeout (600 ms here), then connects again on the same client.
    await waitFor('transport down', () => subscriber.transport.includes('down'));
    const client = emulator.streaming.state().clients.find((c) => c.clientId === clientId);
    expect(client).toMatchObject({ delivered: 1, queued: 0 });
    const afterId = createLead('After the loss');
    const [event] = await subscriber.waitForEvents(1, 9_000);
    expect(event!.payload).toMatchObject({ Record_Id__c: afterId, Change_Type__c: 'CREATE' });
    expect(emulator.streaming.state().clients.map((c) => c.clientId)).toEqual([clientId]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(subscriber.events).toHaveLength(1);
  }, 15_000);
});

describe('the raw protocol', () => {
  let token: string;
  beforeAll(() => {
    token = bridge.accessToken!;
  });

  it('answers a request without a token with 401::Request requires authentication', async () => {
    const reply = await bayeux(emulator, { channel: '/meta/handshake', version: '1.0', id: '1' });
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual([{ error: '401::Request requires authentication', successful: false }]);
  });

  it('accepts the token as OAuth or Bearer, sets the BAYEUX_BROWSER cookie and answers the handshake as Salesforce', async () => {
    for (const authScheme of ['OAuth', 'Bearer']) {
      const reply = await bayeux(
        emulator,
        {
          channel: '/meta/handshake',
          version: '1.0',
          supportedConnectionTypes: ['websocket', 'long-polling', 'in-process'],
          id: '1',
        },
        { token, authScheme },
      );
      expect(reply.status).toBe(200);
      expect(reply.setCookie).toMatch(/^BAYEUX_BROWSER=[\w-]+; Path=\/; HttpOnly$/);
      expect(reply.body).toEqual([
        {
          id: '1',
          channel: '/meta/handshake',
          clientId: expect.any(String),
          successful: true,
          version: '1.0',
          minimumVersion: '1.0',
          supportedConnectionTypes: ['long-polling'],
          ext: { replay: true, 'payload.format': true },
        },
      ]);
    }
  });

  it('answers the first connect at once and holds the next one for the long-poll timeout', async () => {
    const { clientId, cookie } = await rawHandshake(emulator, token);
    const connect = { channel: '/meta/connect', clientId, connectionType: 'long-polling' };
    let started = Date.now();
    const first = await bayeux(emulator, { ...connect, id: '2' }, { token, cookie });
    expect(Date.now() - started).toBeLessThan(400);
    expect(first.body).toEqual([
      {
        id: '2',
        clientId,
        channel: '/meta/connect',
        successful: true,
        advice: { reconnect: 'retry', interval: 0, timeout: 600 },
      },
    ]);
    started = Date.now();
    const second = await bayeux(emulator, { ...connect, id: '3' }, { token, cookie });
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(second.body[0]).toMatchObject({ id: '3', successful: true });
    await bayeux(emulator, { channel: '/meta/disconnect', clientId, id: '4' }, { token, cookie });
  });

  it('returns a held connect as soon as an event arrives, with the event beside the connect reply', async () => {
    const { clientId, cookie } = await rawHandshake(emulator, token);
    const subscribeReply = await bayeux(
      emulator,
      { channel: '/meta/subscribe', clientId, subscription: SYNC_CHANNEL, id: '2' },
      { token, cookie },
    );
    expect(subscribeReply.body).toEqual([
      { id: '2', clientId, channel: '/meta/subscribe', successful: true, subscription: SYNC_CHANNEL },
    ]);
    const connect = { channel: '/meta/connect', clientId, connectionType: 'long-polling' };
    await bayeux(emulator, { ...connect, id: '3' }, { token, cookie });
    const started = Date.now();
    const held = bayeux(emulator, { ...connect, id: '4' }, { token, cookie });
    await heldConnect();
    createLead('Wakes the poll');
    const reply = await held;
    expect(Date.now() - started).toBeLessThan(550);
    expect(reply.body).toHaveLength(2);
    expect(reply.body[0]).toMatchObject({ channel: '/meta/connect', successful: true });
    expect(Object.keys(reply.body[1]!).sort()).toEqual(['channel', 'data']);
    expect(reply.body[1]!.channel).toBe(SYNC_CHANNEL);
    await bayeux(emulator, { channel: '/meta/disconnect', clientId, id: '5' }, { token, cookie });
  });

  it('refuses a connect without the BAYEUX_BROWSER cookie the handshake set', async () => {
    const { clientId } = await rawHandshake(emulator, token);
    const reply = await bayeux(
      emulator,
      { channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' },
      { token },
    );
    expect(reply.body[0]).toMatchObject({
      successful: false,
      error: `400::Client {${clientId}} has established a session, but no {BAYEUX_BROWSER} cookie present`,
    });
  });

  it('refuses connection types other than long-polling, publishing by clients, GET requests and oversized requests', async () => {
    const { clientId, cookie } = await rawHandshake(emulator, token);
    const websocket = await bayeux(
      emulator,
      { channel: '/meta/connect', clientId, connectionType: 'websocket', id: '2' },
      { token, cookie },
    );
    expect(websocket.body[0]).toMatchObject({
      successful: false,
      error: '400::Invalid connection type websocket',
    });

    const published = await bayeux(
      emulator,
      { channel: SYNC_CHANNEL, clientId, data: { Object_Type__c: 'Lead' }, id: '3' },
      { token, cookie },
    );
    expect(published.body[0]).toMatchObject({ successful: false, error: '403::Publish denied' });

    const get = await fetch(`${emulator.url}/cometd/62.0?message=[]&jsonp=cb`, {
      headers: { Authorization: `OAuth ${token}` },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');

    const big = await bayeux(
      emulator,
      { channel: '/meta/handshake', version: '1.0', id: '1', ext: { pad: 'x'.repeat(33_000) } },
      { token },
    );
    expect(big.status).toBe(413);
    expect(big.body).toEqual([{ error: '413::Maximum Request Size Exceeded', successful: false }]);
  });

  it('answers an unknown client with 403 and handshake advice, and an unknown version with 404', async () => {
    const reply = await bayeux(
      emulator,
      { channel: '/meta/connect', clientId: 'nosuchclient', connectionType: 'long-polling', id: '9' },
      { token, cookie: 'BAYEUX_BROWSER=x' },
    );
    expect(reply.body).toEqual([
      {
        id: '9',
        channel: '/meta/connect',
        successful: false,
        error: '403::Unknown client',
        advice: { interval: 0, reconnect: 'handshake' },
      },
    ]);
    const unknownVersion = await bayeux(
      emulator,
      { channel: '/meta/handshake', id: '1' },
      { token, version: '99.0' },
    );
    expect(unknownVersion.status).toBe(404);
  });

  it('refuses a handshake beyond the concurrent client allocation', async () => {
    await control(emulator, 'POST', '/limits', { name: 'StreamingApiConcurrentClients', max: 0 });
    try {
      const reply = await bayeux(
        emulator,
        { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' },
        { token },
      );
      expect(reply.body[0]).toMatchObject({
        successful: false,
        error: '403::Organization concurrent user limit exceeded',
      });
    } finally {
      await control(emulator, 'POST', '/limits', { name: 'StreamingApiConcurrentClients', max: 2_000 });
    }
  });

  it('refuses a subscribe once the daily delivery allocation is spent', async () => {
    const { clientId, cookie } = await rawHandshake(emulator, token);
    await control(emulator, 'POST', '/limits', { name: 'DailyDeliveredPlatformEvents', used: 50_000 });
    try {
      const reply = await bayeux(
        emulator,
        { channel: '/meta/subscribe', clientId, subscription: SYNC_CHANNEL, id: '2' },
        { token, cookie },
      );
      expect(reply.body[0]).toMatchObject({
        successful: false,
        error: '403::Organization total events daily limit exceeded',
      });
    } finally {
      await control(emulator, 'POST', '/limits', { name: 'DailyDeliveredPlatformEvents', used: 0 });
    }
  });
});

describe('the streaming control API', () => {
  it('shows clients, subscriptions and retained events, and validates its bodies', async () => {
    await listen(bridge);
    createLead('Seen in state');
    const state = await control<{
      clients: Array<{ username: string; channels: string[] }>;
      channels: Array<{ channel: string; lastReplayId: number; retained: number }>;
      longPollTimeoutMs: number;
    }>(emulator, 'GET', '/streaming');
    expect(state.body.longPollTimeoutMs).toBe(600);
    expect(state.body.clients).toContainEqual(
      expect.objectContaining({ username: 'bridge@example.com', channels: [SYNC_CHANNEL] }),
    );
    const channel = state.body.channels.find((c) => c.channel === SYNC_CHANNEL)!;
    expect(channel.retained).toBeGreaterThan(0);

    const expired = await control<{ expired: number }>(emulator, 'POST', '/streaming/events/expire', {
      channel: SYNC_CHANNEL,
    });
    expect(expired.body.expired).toBe(channel.retained);
    const bad = await control<{ error: string }>(emulator, 'POST', '/streaming/events/expire', {
      replayId: 3,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/replayId/);
  });

  it('applies the fault plan to the CometD endpoint too', async () => {
    await control(emulator, 'POST', '/faults', {
      method: 'POST',
      path: '/cometd/**',
      times: 1,
      fault: {
        type: 'status',
        status: 503,
        body: [{ error: '503::Server is too busy.', successful: false }],
      },
    });
    const busy = await bayeux(
      emulator,
      { channel: '/meta/handshake', id: '1' },
      { token: bridge.accessToken! },
    );
    expect(busy.status).toBe(503);
    const next = await rawHandshake(emulator, bridge.accessToken!);
    expect(next.reply.body[0]!.successful).toBe(true);
  });

  it('forgets retained events on reset, while replay ids keep increasing', async () => {
    createLead('Before reset');
    const before = emulator.streaming.state().channels.find((c) => c.channel === SYNC_CHANNEL)!;
    await control(emulator, 'POST', '/reset', {});
    const after = emulator.streaming.state().channels.find((c) => c.channel === SYNC_CHANNEL)!;
    expect(after.retained).toBe(0);
    expect(after.lastReplayId).toBe(before.lastReplayId);
    createLead('After reset');
    expect(emulator.streaming.retainedEvents(SYNC_CHANNEL)[0]!.replayId).toBe(before.lastReplayId + 1);
  });
});

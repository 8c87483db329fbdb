import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { client, mergeBody, type MergeAnswer } from './support.js';

// Event Notification callbacks, delivered to a real HTTP receiver started by the test.

interface Received {
  path: string;
  authorization: string | undefined;
  body: unknown;
}

class Receiver {
  readonly received: Received[] = [];
  /** Status to answer per path; a path answers 200 once its failures are used up. */
  readonly failures = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({
          path,
          authorization: req.headers.authorization,
          body: JSON.parse(text || 'null'),
        });
        const left = this.failures.get(path) ?? 0;
        if (left > 0) this.failures.set(path, left - 1);
        res.statusCode = left > 0 ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Responsys Event Notification callbacks', () => {
  const receiver = new Receiver();
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];
  let riids: string[];

  beforeAll(async () => {
    await receiver.start();
    emulator = await startResponsysEmulator({
      sftp: false,
      notifications: { retryDelayMs: 5, batchWindowMs: 10 },
    });
    ({ api } = await client(emulator));
  });
  beforeEach(async () => {
    emulator.control.reset();
    receiver.received.length = 0;
    receiver.failures.clear();
    const merged = await api<MergeAnswer>(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(
        ['EMAIL_ADDRESS_', 'CUSTOMER_ID_'],
        [
          ['nia@example.com', '00Q000000000001AAA'],
          ['oli@example.com', null],
        ],
      ),
    );
    riids = merged.body.recordData.records.map((r) => r[0]!);
  });
  afterAll(async () => {
    await emulator.close();
    await receiver.stop();
  });

  const createCallback = (name: string, path: string, extra: Record<string, unknown> = {}) =>
    api('POST', '/notifications/callbacks', {
      name,
      url: `${receiver.url}${path}`,
      batchSize: 100,
      authentication: { type: 'B', data: { userName: 'hook', password: 's3cret' } },
      ...extra,
    });

  const subscribe = (callBackName: string, eventTypes: string[], extra: Record<string, unknown> = {}) =>
    api('POST', '/notifications/subscriptions', {
      name: `${callBackName}_sub`,
      callBackName,
      eventTypes,
      ...extra,
    });

  async function setUp(
    path = '/hook',
    eventTypes = ['EMAIL_BOUNCED', 'EMAIL_CLICKED', 'EMAIL_OPTOUT', 'EMAIL_OPTIN'],
  ) {
    expect((await createCallback('Email_Callback', path)).status).toBe(200);
    const verified = await api('GET', '/notifications/callbacks/Email_Callback?action=verify');
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ status: 'Successfully verified [Email_Callback] ' });
    expect((await subscribe('Email_Callback', eventTypes)).status).toBe(200);
    receiver.received.length = 0;
  }

  it('creates a callback without echoing its password and verifies it by calling the URL with Basic auth', async () => {
    const created = await createCallback('Email_Callback', '/hook');
    expect(created.body).toEqual({
      name: 'Email_Callback',
      url: `${receiver.url}/hook`,
      batchSize: 100,
      authentication: { type: 'B', data: { userName: 'hook' } },
    });
    const verified = await api('GET', '/notifications/callbacks/Email_Callback/actions/verify');
    expect(verified.status).toBe(200);
    expect(receiver.received).toEqual([{ path: '/hook', authorization: basic('hook', 's3cret'), body: [] }]);
    const duplicate = await createCallback('Email_Callback', '/hook');
    expect(duplicate.status).toBe(400);
    expect(duplicate.body).toMatchObject({ detail: 'Callback with name [Email_Callback] already exists' });
  });

  it('fails verification when the URL cannot be reached and refuses to subscribe an unverified callback', async () => {
    await api('POST', '/notifications/callbacks', {
      name: 'Dead',
      url: 'http://127.0.0.1:9/unreachable',
      batchSize: 10,
      authentication: { type: 'B', data: { userName: 'u', password: 'p' } },
    });
    const verified = await api('GET', '/notifications/callbacks/Dead?action=verify');
    expect(verified.status).toBe(400);
    expect(verified.body).toMatchObject({
      detail: 'Could not connect to callback url [http://127.0.0.1:9/unreachable ]',
    });
    const subscription = await subscribe('Dead', ['EMAIL_BOUNCED']);
    expect(subscription.status).toBe(400);
    expect(subscription.body).toMatchObject({ detail: 'Callback [Dead] is not verified' });
  });

  it('needs callBackName with a capital B and refuses event types that do not exist, such as EMAIL_OPENED', async () => {
    await createCallback('Email_Callback', '/hook');
    await api('GET', '/notifications/callbacks/Email_Callback?action=verify');
    const lowerB = await api('POST', '/notifications/subscriptions', {
      name: 's1',
      callbackName: 'Email_Callback',
      eventTypes: ['EMAIL_BOUNCED'],
    });
    expect(lowerB.status).toBe(400);
    expect(lowerB.body).toMatchObject({ detail: 'callBackName is required' });
    const opened = await subscribe('Email_Callback', ['EMAIL_OPENED', 'EMAIL_SENT']);
    expect(opened.status).toBe(400);
    expect(opened.body).toMatchObject({ detail: 'Invalid event type(s) [EMAIL_OPENED, EMAIL_SENT]' });
  });

  it('lists the event types, with no opened, sent or conversion type', async () => {
    const answer = await api<string[]>('GET', '/notifications/eventList');
    expect(answer.body).toEqual(
      expect.arrayContaining([
        'EMAIL_BOUNCED',
        'EMAIL_CLICKED',
        'EMAIL_COMPLAINT',
        'EMAIL_FAILED',
        'EMAIL_OPTIN',
        'EMAIL_OPTOUT',
        'EMAIL_SKIPPED',
      ]),
    );
    expect(answer.body.filter((t) => /OPEN|SENT|CONVER/.test(t))).toEqual([]);
  });

  it('delivers subscribed events as one batch of the documented payloads, ids as strings, with Basic auth', async () => {
    await setUp();
    emulator.control.injectEngagement([
      {
        type: 'bounced',
        recipient: { email: 'nia@example.com' },
        bounce: { type: 'hard', reason: 'USER_NOT_FOUND' },
      },
      {
        type: 'clicked',
        recipient: { email: 'nia@example.com' },
        link: { url: 'https://example.com/pricing' },
      },
      { type: 'opened', recipient: { email: 'nia@example.com' } },
      { type: 'sent', recipient: { email: 'nia@example.com' } },
      { type: 'converted', recipient: { email: 'nia@example.com' }, order: { id: 'O1', total: 5 } },
      { type: 'opted_out', recipient: { email: 'oli@example.com' } },
      { type: 'complained', recipient: { email: 'nia@example.com' } },
    ]);
    await emulator.control.flushNotifications();
    expect(receiver.received).toHaveLength(1);
    const [delivery] = receiver.received;
    expect(delivery!.authorization).toBe(basic('hook', 's3cret'));
    expect(delivery!.body).toEqual([
      {
        campaignId: '310001',
        riid: riids[0],
        failureReason: 'USER_NOT_FOUND',
        customerId: '00Q000000000001AAA',
        recipient: 'nia@example.com',
        failureType: 'EMAIL_BOUNCED',
        channelType: 'Email',
        campaignName: 'SF_Welcome_Series',
      },
      {
        campaignId: '310001',
        riid: riids[0],
        customerId: '00Q000000000001AAA',
        failureType: 'EMAIL_CLICKED',
        channelType: 'Email',
        campaignName: 'SF_Welcome_Series',
        optionalData: { props: { prop: { name: 'EMAIL_ADDRESS_', value: 'nia@example.com' } } },
      },
      // No customerId key when the recipient has none; opt-outs carry no campaign.
      { riid: riids[1], failureType: 'EMAIL_OPTOUT', channelType: 'Email', optionalData: null },
    ]);
  });

  it('sends optionalData.props.prop as an array when there are several properties', async () => {
    await setUp('/hook', ['EMAIL_FAILED']);
    emulator.control.injectEngagement([{ type: 'failed', recipient: { email: 'nia@example.com' } }]);
    await emulator.control.flushNotifications();
    const [payload] = receiver.received[0]!.body as Array<{ optionalData: { props: { prop: unknown } } }>;
    expect(payload!.optionalData.props.prop).toEqual([
      { name: 'EMAIL_ADDRESS_', value: 'nia@example.com' },
      { name: 'EMAIL_FORMAT_', value: 'H' },
    ]);
  });

  it('splits deliveries into batches of at most batchSize', async () => {
    await createCallback('Small', '/small', { batchSize: 2 });
    await api('GET', '/notifications/callbacks/Small?action=verify');
    await subscribe('Small', ['EMAIL_OPTIN']);
    receiver.received.length = 0;
    emulator.control.injectEngagement(
      Array.from({ length: 5 }, () => ({
        type: 'opted_in' as const,
        recipient: { email: 'oli@example.com' },
      })),
    );
    await emulator.control.flushNotifications();
    expect(receiver.received.map((r) => (r.body as unknown[]).length)).toEqual([2, 2, 1]);
  });

  it('retries a failing callback and then succeeds, keeping every attempt in the state', async () => {
    await setUp('/flaky');
    receiver.failures.set('/flaky', 2);
    emulator.control.injectEngagement([{ type: 'opted_out', recipient: { email: 'nia@example.com' } }]);
    await emulator.control.flushNotifications();
    expect(receiver.received).toHaveLength(3);
    const { deliveries, undelivered } = emulator.control.state(['notifications']).notifications!;
    expect(deliveries.map((d) => [d.attempt, d.status, d.ok])).toEqual([
      [1, 503, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    expect(undelivered).toEqual([]);
  });

  it('falls back to the backup URL after three failed attempts, and records a batch nobody took', async () => {
    await createCallback('Backed', '/primary', { backupUrl: `${receiver.url}/backup` });
    await api('GET', '/notifications/callbacks/Backed?action=verify');
    await subscribe('Backed', ['EMAIL_SKIPPED']);
    receiver.received.length = 0;
    receiver.failures.set('/primary', 100);
    emulator.control.injectEngagement([{ type: 'skipped', recipient: { email: 'nia@example.com' } }]);
    await emulator.control.flushNotifications();
    expect(receiver.received.map((r) => r.path)).toEqual(['/primary', '/primary', '/primary', '/backup']);
    expect((receiver.received[3]!.body as Array<{ failureReason: string }>)[0]!.failureReason).toBe(
      'Expression resulted in an empty value',
    );

    receiver.failures.set('/backup', 100);
    emulator.control.injectEngagement([{ type: 'skipped', recipient: { email: 'nia@example.com' } }]);
    await emulator.control.flushNotifications();
    const { undelivered } = emulator.control.state(['notifications']).notifications!;
    expect(undelivered).toHaveLength(1);
    expect(undelivered[0]!.callbackName).toBe('Backed');
  });

  it('delivers only events of campaigns named in a subscription filter', async () => {
    await createCallback('Filtered', '/filtered');
    await api('GET', '/notifications/callbacks/Filtered?action=verify');
    await subscribe('Filtered', ['EMAIL_CLICKED'], {
      filters: [{ eventTypes: ['EMAIL_CLICKED'], values: { campaignNames: ['SF_Pricing_Offer'] } }],
    });
    receiver.received.length = 0;
    emulator.control.injectEngagement([
      {
        type: 'clicked',
        recipient: { email: 'nia@example.com' },
        link: { url: 'https://a' },
        campaign: 'SF_Welcome_Series',
      },
      {
        type: 'clicked',
        recipient: { email: 'nia@example.com' },
        link: { url: 'https://b' },
        campaign: 'SF_Pricing_Offer',
      },
    ]);
    await emulator.control.flushNotifications();
    expect(receiver.received).toHaveLength(1);
    expect(
      (receiver.received[0]!.body as Array<{ campaignName: string }>).map((p) => p.campaignName),
    ).toEqual(['SF_Pricing_Offer']);
  });
});

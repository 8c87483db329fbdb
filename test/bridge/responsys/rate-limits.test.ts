import { afterEach, describe, expect, it } from 'vitest';
import { limitsForFunctions, parseRateLimitAnswer } from '../../../bridge/src/responsys/api-functions.js';
import { ResponsysRateLimiter } from '../../../bridge/src/responsys/rate-limiter.js';
import { contacts, startClientRig, type ClientRig } from './support.js';

// Per-function rate limits: seeded from GET /rest/api/ratelimit, respected by waiting (not failing),
// API_LIMIT_EXCEEDED waited out, API_BLOCKED not retried.

const merge = { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' } as const;
const WINDOW_MS = 1000;

let rig: ClientRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('Responsys rate limits through the client', () => {
  it('reads the limits from /rest/api/ratelimit once, before the first data call', async () => {
    rig = await startClientRig({
      emulator: { rateLimits: { mergeListRecipients: 7, triggerCustomEvent: 3 } },
    });
    expect(rig.client.rateLimitOf('mergeListRecipients')).toBe(400);
    await rig.client.mergeProfileMembers(contacts(1), merge);
    await rig.client.mergeProfileMembers(contacts(1, 'again'), merge);
    expect(rig.client.rateLimitOf('mergeListRecipients')).toBe(7);
    expect(rig.client.rateLimitOf('triggerCustomEvent')).toBe(3);
    expect(rig.calls().getThrottlingLimits).toBe(1);
  });

  it('makes calls over the limit wait for the window instead of failing', async () => {
    rig = await startClientRig({
      emulator: { rateLimits: { mergeListRecipients: 2 }, rateLimitWindowMs: WINDOW_MS },
      client: { rateLimitWindowMs: WINDOW_MS },
    });
    const started = Date.now();
    // 5 calls of 200 with a limit of 2 per window: the last ones wait for the next windows.
    const outcomes = await rig.client.mergeProfileMembers(contacts(1000), merge);
    const elapsed = Date.now() - started;
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(rig.calls().mergeListRecipients).toBe(5);
    expect(rig.throttled().mergeListRecipients ?? 0).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(2 * WINDOW_MS);
    expect(await rig.rateLimitWaits('mergeListRecipients')).toBeGreaterThanOrEqual(2);
  });

  it('applies only its share of each limit when RESPONSYS_RATE_LIMIT_PERCENT is lowered', async () => {
    rig = await startClientRig({ emulator: { rateLimits: { mergeListRecipients: 10 } } });
    const client = rig.newClient({ rateLimitShare: 0.5 });
    await client.refreshRateLimits();
    expect(client.rateLimitOf('mergeListRecipients')).toBe(5);
  });

  it('waits for the next window after API_LIMIT_EXCEEDED (HTTP 400) and then succeeds', async () => {
    rig = await startClientRig({
      emulator: { rateLimitWindowMs: WINDOW_MS },
      client: { rateLimitWindowMs: WINDOW_MS },
    });
    await rig.client.refreshRateLimits();
    // Another process used up the budget: Responsys throttles although this client is under its limit.
    rig.emulator.control.addFault({
      path: '/rest/api/v1.3/lists/*/members',
      times: 1,
      fault: { type: 'throttle' },
    });
    const started = Date.now();
    const outcomes = await rig.client.mergeProfileMembers(contacts(3), merge);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(WINDOW_MS - 50);
    expect(rig.calls().mergeListRecipients).toBe(2);
    expect(await rig.apiCalls('mergeListRecipients', 'rate_limited')).toBe(1);
    expect(await rig.rateLimitWaits('mergeListRecipients')).toBe(1);
  });

  it('gives up after the configured number of throttled windows, with a retryable error saying when to come back', async () => {
    rig = await startClientRig({
      emulator: { rateLimitWindowMs: 100 },
      client: { rateLimitWindowMs: 100, maxThrottleWaits: 2 },
    });
    rig.emulator.control.addFault({ path: '/rest/api/v1.3/lists/*/members', fault: { type: 'throttle' } });
    const [outcome] = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'API_LIMIT_EXCEEDED',
      retryable: true,
      retryAfterMs: 100,
      scope: 'request',
    });
    expect(rig.calls().mergeListRecipients).toBe(3);
  });

  it('does not retry API_BLOCKED: the user is blocked from the function', async () => {
    rig = await startClientRig();
    rig.emulator.control.addFault({
      path: '/rest/api/v1.3/events/*',
      fault: {
        type: 'error',
        params: {
          status: 400,
          errorCode: 'API_BLOCKED',
          title: 'API blocked',
          detail: 'The triggerCustomEvent is currently not available to this user.',
        },
      },
    });
    const outcomes = await rig.client.triggerCustomEvent('SF_NEW_WEB_LEAD', [{ email: 'a@example.com' }]);
    expect(outcomes[0]).toMatchObject({ ok: false, code: 'API_BLOCKED', retryable: false, scope: 'request' });
    expect(outcomes[0]!.ok ? '' : outcomes[0]!.message).toContain('an administrator must unblock it');
    expect(rig.calls().triggerCustomEvent).toBe(1);
  });

  it('keeps its fallback limits when the ratelimit resource answers something unreadable', async () => {
    rig = await startClientRig();
    rig.emulator.control.addFault({
      path: '/rest/api/ratelimit',
      fault: { type: 'status', status: 200, body: '<html><body>Maintenance</body></html>' },
    });
    const outcomes = await rig.client.mergeProfileMembers(contacts(2), merge);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(rig.client.rateLimitOf('mergeListRecipients')).toBe(400);
    expect(rig.client.rateLimitOf('login')).toBe(10);
    expect(rig.logs.text()).toContain('Could not read the Responsys rate limits');
  });
});

describe('reading the ratelimit answer', () => {
  const entry = {
    limit: 250,
    api: 'mergeListRecipients',
    resource_path: '/lists/{listName}/members',
    verb: 'POST',
  };

  it('accepts a bare array, an object wrapping the array, or a deeper wrapper', () => {
    for (const answer of [[entry], { limits: [entry] }, { data: { items: [entry] } }]) {
      expect(limitsForFunctions(parseRateLimitAnswer(answer))).toEqual({ mergeListRecipients: 250 });
    }
  });

  it('matches entries by API name regardless of case and punctuation, else by verb and path', () => {
    const limits = limitsForFunctions(
      parseRateLimitAnswer([
        { limit: '12', api: 'Trigger Custom Event' },
        { limit: 33, resource_path: '/rest/api/v1.3/lists/{list}/fields', verb: 'get' },
        { limit: 5, resourcePath: '/auth/token', method: 'POST' },
      ]),
    );
    expect(limits).toEqual({ triggerCustomEvent: 12, retrieveListFields: 33, login: 5 });
  });

  it('skips unreadable entries and answers nothing for shapes without limits', () => {
    expect(parseRateLimitAnswer([{ api: 'login' }, { limit: 'many', api: 'login' }, null, 7])).toEqual([]);
    expect(parseRateLimitAnswer('<html>')).toEqual([]);
    expect(parseRateLimitAnswer({ status: 'ok' })).toEqual([]);
    expect(limitsForFunctions(parseRateLimitAnswer([{ limit: 9, api: 'someFutureFunction' }]))).toEqual({});
  });
});

describe('the per-function limiter', () => {
  it('never lets more than the limit start within one window, counting calls still in flight', async () => {
    let now = 0;
    const limiter = new ResponsysRateLimiter({ windowMs: 100, share: 1, now: () => now });
    limiter.setLimits({ mergeListRecipients: 2 });
    const first = await limiter.acquire('mergeListRecipients');
    const second = await limiter.acquire('mergeListRecipients');
    let thirdStarted = false;
    const third = limiter.acquire('mergeListRecipients').then((grant) => {
      thirdStarted = true;
      return grant;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(thirdStarted).toBe(false);

    now = 50;
    first.release();
    // The first slot frees one window after its call completed (t = 150), not after it started (t = 0).
    now = 140;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(thirdStarted).toBe(false);
    now = 150;
    const grant = await third;
    expect(thirdStarted).toBe(true);
    expect(grant.waitedMs).toBeGreaterThan(0);
    second.release();
    grant.release();
    limiter.close();
  });

  it('serves waiting callers first come, first served', async () => {
    let now = 0;
    const limiter = new ResponsysRateLimiter({ windowMs: 100, share: 1, now: () => now });
    limiter.setLimits({ login: 1 });
    (await limiter.acquire('login')).release();
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) =>
      limiter.acquire('login').then((grant) => {
        order.push(n);
        grant.release();
        now += 100;
      }),
    );
    now = 100;
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
    limiter.close();
  });
});

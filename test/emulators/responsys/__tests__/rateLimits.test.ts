import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { call, client, login, mergeBody } from './support.js';

type LimitEntry = { limit: number; api: string; resource_path: string; verb: string; description: string };

/** Sends a raw body and reports whether the server answered or dropped the connection. */
function post(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number } | { dropped: true }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', () => resolve({ dropped: true }));
    req.end(body);
  });
}

describe('Responsys rate limits', () => {
  let emulator: ResponsysEmulator;
  let clock = Date.parse('2024-07-01T00:00:00Z');

  beforeAll(async () => {
    emulator = await startResponsysEmulator({
      sftp: false,
      now: () => clock,
      rateLimits: { mergeListRecipients: 3 },
    });
  });
  beforeEach(() => {
    emulator.control.reset();
    clock += 120_000;
  });
  afterAll(() => emulator.close());

  it('reports the limit of every function at the unversioned GET /rest/api/ratelimit, configured values included', async () => {
    const token = await login(emulator);
    const answer = await call<LimitEntry[]>(`${emulator.url}/rest/api/ratelimit`, { token });
    expect(answer.status).toBe(200);
    expect(Array.isArray(answer.body)).toBe(true);
    for (const entry of answer.body)
      expect(Object.keys(entry)).toEqual(['limit', 'api', 'resource_path', 'verb', 'description']);
    const byApi = Object.fromEntries(answer.body.map((e) => [e.api, e]));
    expect(byApi.mergeListRecipients).toMatchObject({
      limit: 3,
      resource_path: '/lists/{listName}/members',
      verb: 'POST',
    });
    expect(byApi.login).toMatchObject({ limit: 10, verb: 'POST' });
    expect(byApi.retrieveListRecipients).toMatchObject({ limit: 100, verb: 'GET' });
    expect(byApi.retrieveProfileLists).toMatchObject({ limit: 100 });
    expect(byApi.haMergeListRecipients).toMatchObject({ limit: 1000 });
    expect(byApi.triggerCustomEvent).toMatchObject({ resource_path: '/events/{eventName}' });
  });

  it('answers a call over the per-minute limit with HTTP 400 API_LIMIT_EXCEEDED, no Retry-After, other functions unaffected', async () => {
    const { api } = await client(emulator);
    const body = mergeBody(['EMAIL_ADDRESS_'], [['rl@example.com']]);
    for (let i = 0; i < 3; i++)
      expect((await api('POST', '/lists/CONTACTS_LIST/members', body)).status).toBe(200);
    const throttled = await api('POST', '/lists/CONTACTS_LIST/members', body);
    expect(throttled.status).toBe(400);
    expect(throttled.body).toEqual({
      type: '',
      title: 'Request limit exceeded.',
      errorCode: 'API_LIMIT_EXCEEDED',
      detail:
        'You exceeded your allowable limit to call the mergeListRecipients API function. Please try again in a minute.',
      errorDetails: [],
    });
    expect(throttled.headers.get('retry-after')).toBeNull();
    expect([...throttled.headers.keys()].filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
    expect((await api('GET', '/lists/CONTACTS_LIST/members/count')).status).toBe(200);
    const calls = emulator.control.state(['calls']).calls!;
    expect(calls.total.mergeListRecipients).toBe(4);
    expect(calls.throttled.mergeListRecipients).toBe(1);
    expect(calls.inCurrentWindow.mergeListRecipients).toBe(3);
  });

  it('lets calls through again once the minute has passed, and throttled calls do not use up the budget', async () => {
    const { api } = await client(emulator);
    const body = mergeBody(['EMAIL_ADDRESS_'], [['window@example.com']]);
    for (let i = 0; i < 3; i++) await api('POST', '/lists/CONTACTS_LIST/members', body);
    clock += 30_000;
    expect((await api('POST', '/lists/CONTACTS_LIST/members', body)).status).toBe(400);
    clock += 30_001;
    for (let i = 0; i < 3; i++)
      expect((await api('POST', '/lists/CONTACTS_LIST/members', body)).status).toBe(200);
  });

  it('limits logins to 10 per minute by default', async () => {
    for (let i = 0; i < 10; i++) await login(emulator);
    const eleventh = await call(`${emulator.url}/rest/api/v1.3/auth/token`, {
      form: 'user_name=api_user&password=api_password&auth_type=password',
    });
    expect(eleventh.status).toBe(400);
    expect(eleventh.body).toMatchObject({ errorCode: 'API_LIMIT_EXCEEDED' });
  });

  it('changes limits at runtime through the control API and rejects unknown function names', async () => {
    const changed = await call(`${emulator.url}/__control/rate-limits`, {
      method: 'PUT',
      json: { retrieveProfileLists: 1 },
    });
    expect(changed.status).toBe(200);
    const { api } = await client(emulator);
    expect((await api('GET', '/lists')).status).toBe(200);
    expect((await api('GET', '/lists')).status).toBe(400);
    const unknown = await call<{ error: string; detail: string }>(`${emulator.url}/__control/rate-limits`, {
      method: 'PUT',
      json: { mergeEverything: 5 },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toContain('mergeEverything');
    emulator.control.setRateLimits({ retrieveProfileLists: 100 });
  });

  it('refuses to start with a rate limit for a function it does not know', async () => {
    await expect(
      startResponsysEmulator({ sftp: false, rateLimits: { mergListRecipients: 5 } }),
    ).rejects.toThrow(/Unknown Responsys API function "mergListRecipients"/);
  });
});

describe('Responsys payload limit', () => {
  let emulator: ResponsysEmulator;
  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false });
  });
  afterAll(() => emulator.close());

  it('drops the connection without an answer for a body over 10 MB, and parses one just under it', async () => {
    const token = await login(emulator);
    const url = `${emulator.url}/rest/api/v1.3/lists/CONTACTS_LIST/members`;
    const headers = { Authorization: token, 'Content-Type': 'application/json' };
    const over = Buffer.from(JSON.stringify(mergeBody(['EMAIL_ADDRESS_'], [['x'.repeat(10 * 1024 * 1024)]])));
    expect(await post(url, over, headers)).toEqual({ dropped: true });
    const under = Buffer.from(JSON.stringify(mergeBody(['NO_SUCH_FIELD'], [['x'.repeat(9 * 1024 * 1024)]])));
    expect(await post(url, under, headers)).toEqual({ status: 400 });
  });
});

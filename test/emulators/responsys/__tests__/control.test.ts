import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { call, client, login, mergeBody } from './support.js';

describe('Responsys emulator control API and faults', () => {
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, demoData: true, rateLimits: { login: 1000 } });
    ({ api } = await client(emulator));
  });
  beforeEach(() => emulator.control.reset());
  afterAll(() => emulator.close());

  const addFault = (rule: unknown) => call(`${emulator.url}/__control/faults`, { json: rule });
  const merge = () =>
    api('POST', '/lists/CONTACTS_LIST/members', mergeBody(['EMAIL_ADDRESS_'], [['f@example.com']]));

  it('seeds the demo recipients, PET rows and supplemental rows, and reset brings them back', async () => {
    const state = emulator.control.state(['lists', 'supplementalTables']);
    expect(state.lists!.CONTACTS_LIST!.memberCount).toBe(12);
    expect(state.lists!.CONTACTS_LIST!.extensions.SF_SALES_PET).toHaveLength(4);
    expect(state.supplementalTables!['SF_Sync/SF_CAMPAIGN_MEMBERS']).toHaveLength(3);
    expect(
      state.lists!.CONTACTS_LIST!.members.filter((m) => m.EMAIL_PERMISSION_STATUS_ === 'O'),
    ).toHaveLength(2);
    await merge();
    expect(emulator.control.state(['lists']).lists!.CONTACTS_LIST!.memberCount).toBe(13);
    const reset = await call(`${emulator.url}/__control/reset`, { json: {} });
    expect(reset.status).toBe(200);
    expect(emulator.control.state(['lists']).lists!.CONTACTS_LIST!.memberCount).toBe(12);
    await call(`${emulator.url}/__control/reset`, { json: { demoData: false } });
    expect(emulator.control.state(['lists']).lists!.CONTACTS_LIST!.memberCount).toBe(0);
    emulator.control.reset({ demoData: true });
  });

  it('keeps issued tokens valid across a reset, so a logged-in client carries on', async () => {
    emulator.control.reset();
    expect((await api('GET', '/lists')).status).toBe(200);
  });

  it('reports calls per API function in the state, and only the sections asked for', async () => {
    await merge();
    await api('GET', '/lists/CONTACTS_LIST/members/count');
    const state = await call<Record<string, unknown>>(`${emulator.url}/__control/state?sections=calls`);
    expect(Object.keys(state.body).sort()).toEqual(['accountId', 'calls']);
    expect(state.body.calls).toMatchObject({
      total: { mergeListRecipients: 1, retrieveListRecipientCount: 1 },
    });
    const unknown = await call<{ detail: string }>(`${emulator.url}/__control/state?sections=members`);
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toContain('members');
  });

  it('injects a counted 503 on one endpoint, then answers normally', async () => {
    const added = await addFault({
      method: 'POST',
      path: '/rest/api/v1.3/lists/*/members',
      times: 1,
      fault: { type: 'status', status: 503, body: 'Service Unavailable' },
    });
    expect(added.status).toBe(201);
    expect((await merge()).status).toBe(503);
    expect((await merge()).status).toBe(200);
    expect((await api('GET', '/lists')).status).toBe(200);
    const listed = await call<{ faults: Array<{ fired: number }> }>(`${emulator.url}/__control/faults`);
    expect(listed.body.faults[0]!.fired).toBe(1);
  });

  it('renders a Responsys 500 UNEXPECTED_EXCEPTION envelope for a serverError fault', async () => {
    await addFault({
      path: '/rest/api/v1.3/lists',
      times: 1,
      fault: { type: 'serverError', params: { detail: 'boom' } },
    });
    const answer = await api('GET', '/lists');
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({
      type: '',
      title: 'Unexpected exception',
      errorCode: 'UNEXPECTED_EXCEPTION',
      detail: 'boom',
      errorDetails: [],
    });
  });

  it('expires the presented token with an expiredToken fault: INVALID_TOKEN now and after, until a new login', async () => {
    const token = await login(emulator);
    await addFault({ path: '/rest/api/v1.3/lists/**', times: 1, fault: { type: 'expiredToken' } });
    const first = await call(`${emulator.url}/rest/api/v1.3/lists/CONTACTS_LIST/fields`, { token });
    expect(first.status).toBe(401);
    expect(first.body).toMatchObject({ errorCode: 'INVALID_TOKEN' });
    expect((await call(`${emulator.url}/rest/api/v1.3/lists`, { token })).status).toBe(401);
    const fresh = await login(emulator);
    expect((await call(`${emulator.url}/rest/api/v1.3/lists`, { token: fresh })).status).toBe(200);
  });

  it('expires every token through the control API', async () => {
    const token = await login(emulator);
    const expired = await call<{ expired: number }>(`${emulator.url}/__control/tokens/expire`, {
      method: 'POST',
    });
    expect(expired.body.expired).toBeGreaterThanOrEqual(1);
    expect((await call(`${emulator.url}/rest/api/v1.3/lists`, { token })).status).toBe(401);
    ({ api } = await client(emulator));
  });

  it('throttles on demand with the API_LIMIT_EXCEEDED answer of the called function', async () => {
    await addFault({
      method: 'POST',
      path: '/rest/api/v1.3/events/*',
      times: 1,
      fault: { type: 'throttle' },
    });
    const answer = await api('POST', '/events/SF_NEW_WEB_LEAD', { recipientData: [] });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      errorCode: 'API_LIMIT_EXCEEDED',
      detail: expect.stringContaining('triggerCustomEvent'),
    });
    expect(answer.headers.get('retry-after')).toBeNull();
    expect(emulator.control.state(['calls']).calls!.throttled.triggerCustomEvent).toBe(1);
  });

  it('delays, hangs and drops on demand', async () => {
    await addFault({ path: '/rest/api/v1.3/lists', times: 1, fault: { type: 'delay', ms: 150 } });
    const started = performance.now();
    expect((await api('GET', '/lists')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    await addFault({ path: '/rest/api/v1.3/lists/*/fields', times: 1, fault: { type: 'hang' } });
    const token = await login(emulator);
    await expect(
      fetch(`${emulator.url}/rest/api/v1.3/lists/CONTACTS_LIST/fields`, {
        headers: { Authorization: token },
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();

    await addFault({ path: '/rest/api/v1.3/events', times: 1, fault: { type: 'drop' } });
    await expect(
      fetch(`${emulator.url}/rest/api/v1.3/events`, { headers: { Authorization: token } }),
    ).rejects.toThrow();
    expect((await api('GET', '/events')).status).toBe(200);
  });

  it('replays the same rate-based faults for the same seed', async () => {
    const pattern = async (seed: number) => {
      const other = await startResponsysEmulator({ sftp: false, seed });
      try {
        const token = await login(other);
        await call(`${other.url}/__control/faults`, {
          json: { path: '/rest/api/v1.3/lists', rate: 0.5, fault: { type: 'status', status: 502 } },
        });
        let statuses = '';
        for (let i = 0; i < 24; i++) {
          statuses += (await call(`${other.url}/rest/api/v1.3/lists`, { token })).status === 502 ? 'x' : '.';
        }
        return statuses;
      } finally {
        await other.close();
      }
    };
    const first = await pattern(7);
    expect(await pattern(7)).toBe(first);
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
    expect(await pattern(8)).not.toBe(first);
  });

  it('answers a malformed fault rule or an unknown control path clearly', async () => {
    const bad = await addFault({ path: '/x', fault: { type: 'status', status: 42 } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'Invalid control request' });
    const notJson = await call(`${emulator.url}/__control/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      form: '{nope',
    });
    expect(notJson.status).toBe(400);
    const unknown = await call(`${emulator.url}/__control/nothing`);
    expect(unknown.status).toBe(404);
    const cleared = await call<{ faults: unknown[] }>(`${emulator.url}/__control/faults`, {
      method: 'DELETE',
    });
    expect(cleared.body.faults).toEqual([]);
  });
});

describe('Responsys emulator latency', () => {
  let emulator: ResponsysEmulator;
  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, latencyMs: 300 });
  });
  afterAll(() => emulator.close());

  it('adds the configured latency to API answers but not to the control API', async () => {
    const token = await login(emulator);
    let started = performance.now();
    await call(`${emulator.url}/rest/api/v1.3/lists`, { token });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    started = performance.now();
    await call(`${emulator.url}/__control/state?sections=faults`);
    expect(performance.now() - started).toBeLessThan(250);
  });
});

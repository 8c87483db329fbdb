import type { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../index.js';
import { accessToken, api, control, jwtConnection, startEmulator } from './helpers.js';

let emulator: SalesforceEmulator;
let conn: Connection;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator({ demoData: true, dailyApiLimit: 50 });
  conn = await jwtConnection(emulator);
  token = conn.accessToken!;
});

beforeEach(async () => {
  await control(emulator, 'POST', '/reset', {});
});

afterAll(async () => {
  await emulator.close();
});

describe('daily API requests', () => {
  it('counts every REST call, reports it in Sforce-Limit-Info and in /limits, and not control calls', async () => {
    const first = await api(emulator, token, 'GET', '/limits');
    expect(first.headers.get('sforce-limit-info')).toBe('api-usage=1/50');
    await conn.query('SELECT Id FROM Lead LIMIT 1');
    expect(conn.limitInfo.apiUsage).toEqual({ used: 2, limit: 50 });
    await control(emulator, 'GET', '/state');
    const limits = await conn.limits();
    expect(limits.DailyApiRequests).toEqual({ Max: 50, Remaining: 47 });
    expect(limits).toHaveProperty('DailyBulkV2QueryJobs');
    const usage = await control<{ used: number; byKind: Record<string, number> }>(
      emulator,
      'GET',
      '/api-usage',
    );
    expect(usage.body).toMatchObject({ used: 3, byKind: { limits: 2, query: 1 } });
  });

  it('answers 403 REQUEST_LIMIT_EXCEEDED once the allocation is spent, until the rolling window moves on', async () => {
    await control(emulator, 'POST', '/limits', { name: 'DailyApiRequests', used: 50 });
    const refused = await api(emulator, token, 'GET', '/limits');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual([
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    expect(refused.headers.get('sforce-limit-info')).toBe('api-usage=50/50');
    await expect(conn.query('SELECT Id FROM Lead')).rejects.toMatchObject({
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
    });
    await control(emulator, 'POST', '/clock', { advanceMs: 24 * 60 * 60 * 1000 + 60_000 });
    // A day later the old session has timed out too; a new one finds the allocation restored.
    const later = await accessToken(emulator, 'rep@example.com');
    expect((await api(emulator, later, 'GET', '/limits')).status).toBe(200);
  });
});

describe('faults', () => {
  it('renders REQUEST_LIMIT_EXCEEDED, 503 and INVALID_SESSION_ID faults for the matching endpoint and count', async () => {
    const added = await control<{ rules: Array<{ id: number }> }>(emulator, 'POST', '/faults', {
      rules: [
        {
          method: 'POST',
          path: '/services/data/*/sobjects/Lead',
          times: 1,
          fault: {
            type: 'REQUEST_LIMIT_EXCEEDED',
            params: { message: 'ConcurrentPerOrgLongTxn Limit exceeded.' },
          },
        },
        {
          method: 'POST',
          path: '/services/data/*/sobjects/Account',
          times: 1,
          fault: {
            type: 'status',
            status: 503,
            body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Server temporarily unavailable' }],
          },
        },
      ],
    });
    expect(added.status).toBe(201);
    expect(added.body.rules).toHaveLength(2);
    const limited = await api(emulator, token, 'POST', '/sobjects/Lead', { LastName: 'A', Company: 'B' });
    expect(limited).toMatchObject({
      status: 403,
      body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'ConcurrentPerOrgLongTxn Limit exceeded.' }],
    });
    expect(
      (await api(emulator, token, 'POST', '/sobjects/Lead', { LastName: 'A', Company: 'B' })).status,
    ).toBe(201);
    expect((await api(emulator, token, 'POST', '/sobjects/Account', { Name: 'A' })).status).toBe(503);
    expect((await api(emulator, token, 'POST', '/sobjects/Account', { Name: 'A' })).status).toBe(201);

    await control(emulator, 'POST', '/faults', {
      method: 'POST',
      path: '/services/data/*/composite/sobjects',
      times: 1,
      fault: { type: 'INVALID_SESSION_ID' },
    });
    const session = await jwtConnection(emulator, 'rep@example.com');
    await expect(session.sobject('Lead').create([{ LastName: 'A', Company: 'B' }])).rejects.toMatchObject({
      errorCode: 'INVALID_SESSION_ID',
    });
    // The fault expired the session itself, as a real expiry would.
    expect((await api(emulator, session.accessToken!, 'GET', '/limits')).status).toBe(401);
  });

  it('slows answers with a delay fault and draws rate-based faults from the seed', async () => {
    await control(emulator, 'POST', '/faults', {
      path: '/services/data/*/limits',
      times: 1,
      fault: { type: 'delay', ms: 300 },
    });
    const started = Date.now();
    expect((await api(emulator, token, 'GET', '/limits')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    const pattern = async () => {
      await control(emulator, 'POST', '/reset', { seed: 42 });
      await control(emulator, 'POST', '/faults', {
        method: 'POST',
        path: '/services/data/*/sobjects/Lead',
        rate: 0.5,
        fault: { type: 'UNKNOWN_EXCEPTION' },
      });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push(
          (await api(emulator, token, 'POST', '/sobjects/Lead', { LastName: `L${i}`, Company: 'C' })).status,
        );
      return statuses.join(',');
    };
    const first = await pattern();
    expect(first).toMatch(/500/);
    expect(first).toMatch(/201/);
    expect(await pattern()).toBe(first);
  });

  it('validates control bodies and lists and clears faults', async () => {
    const bad = await control<{ error: string }>(emulator, 'POST', '/faults', {
      path: '',
      fault: { type: 'drop' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/path/);
    const badClock = await control<{ error: string }>(emulator, 'POST', '/clock', { now: 'yesterday-ish' });
    expect(badClock.status).toBe(400);
    await control(emulator, 'POST', '/faults', { path: '/x', fault: { type: 'drop' } });
    expect((await control<{ rules: unknown[] }>(emulator, 'GET', '/faults')).body.rules).toHaveLength(1);
    expect((await control(emulator, 'DELETE', '/faults')).status).toBe(204);
    expect((await control<{ rules: unknown[] }>(emulator, 'GET', '/faults')).body.rules).toHaveLength(0);
  });
});

describe('reset, state and demo data', () => {
  it('seeds a realistic org and restores it, with the same ids, after changes', async () => {
    const before = emulator.query<{ Id: string; Name: string }>('SELECT Id, Name FROM Account ORDER BY Name');
    expect(before.length).toBeGreaterThanOrEqual(5);
    const counts = (await control<{ records: Record<string, { live: number }> }>(emulator, 'GET', '/state'))
      .body.records;
    for (const object of [
      'Account',
      'Contact',
      'Lead',
      'Opportunity',
      'OpportunityContactRole',
      'Campaign',
      'CampaignMember',
      'CampaignMemberStatus',
      'Task',
    ]) {
      expect(counts[object]?.live, object).toBeGreaterThan(0);
    }
    expect(emulator.query('SELECT Id FROM Lead WHERE IsConverted = true')).toHaveLength(1);
    await conn.sobject('Account').destroy(before[0]!.Id);
    await control(emulator, 'POST', '/reset', {});
    expect(emulator.query('SELECT Id, Name FROM Account ORDER BY Name')).toEqual(before);
    // Sessions survive a reset unless asked otherwise.
    expect((await api(emulator, token, 'GET', '/limits')).status).toBe(200);
  });

  it('reports users with their permission sets and custom permissions', async () => {
    const state = await control<{ users: Array<{ username: string; customPermissions: string[] }> }>(
      emulator,
      'GET',
      '/state',
    );
    expect(state.body.users).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          username: 'bridge@example.com',
          customPermissions: ['Responsys_Bridge_Integration'],
        }),
        expect.objectContaining({ username: 'rep@example.com', customPermissions: [] }),
      ]),
    );
    const assignments = await conn.query<{ PermissionSet: { Name: string } }>(
      "SELECT PermissionSet.Name FROM PermissionSetAssignment WHERE Assignee.Username = 'bridge@example.com'",
    );
    expect(assignments.records.map((a) => a.PermissionSet.Name)).toEqual(['Responsys_Bridge_Integration']);
  });

  it('seeds and inspects records through the control API as a chosen user, without spending API calls', async () => {
    const used = emulator.apiUsage().used;
    const inserted = await control<Array<{ id: string; success: boolean }>>(emulator, 'POST', '/records', {
      object: 'Lead',
      records: [{ LastName: 'Seeded', Company: 'Control' }, { LastName: 'Broken' }],
      asUser: 'bridge@example.com',
    });
    expect(inserted.body.map((r) => r.success)).toEqual([true, false]);
    const query = await control<{ records: Array<{ CreatedBy: { Username: string } }> }>(
      emulator,
      'POST',
      '/query',
      {
        soql: "SELECT CreatedBy.Username FROM Lead WHERE Company = 'Control'",
      },
    );
    expect(query.body.records).toEqual([
      expect.objectContaining({ CreatedBy: expect.objectContaining({ Username: 'bridge@example.com' }) }),
    ]);
    expect(emulator.apiUsage().used).toBe(used);
  });
});

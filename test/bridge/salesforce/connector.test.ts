import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiReserveReachedError, SalesforceApiError } from '../../../bridge/src/salesforce/errors.js';
import { toId18 } from '../../../bridge/src/salesforce/soql.js';
import type { CommittedTransaction, SalesforceEmulator } from '../../emulators/salesforce/index.js';
import { apiCalls, emulatorClient, insertLeads, startEmulator } from './support.js';

let emulator: SalesforceEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.close();
});

afterEach(() => {
  emulator.org.faults.clear();
  emulator.org.limits.setUsed('DailyApiRequests', 0);
});

describe('logging in', () => {
  it('signs a JWT bearer assertion with the configured key and logs in as the integration user', async () => {
    const client = emulatorClient(emulator);
    const session = await client.connect();
    const [user] = emulator.query<{ Id: string }>(
      "SELECT Id FROM User WHERE Username = 'bridge@example.com'",
    );
    expect(session.userId).toBe(user!.Id);
    expect(client.connection.version).toBe('62.0');
    expect(await apiCalls(client, 'oauth.token')).toBe(1);
  });

  it('logs in with client credentials as the connected app run-as user', async () => {
    const client = emulatorClient(emulator, { auth: 'client_credentials', username: undefined });
    const session = await client.connect();
    const [user] = emulator.query<{ Id: string }>(
      "SELECT Id FROM User WHERE Username = 'bridge@example.com'",
    );
    expect(session.userId).toBe(user!.Id);
  });

  it('logs in with the username-password flow for development', async () => {
    const client = emulatorClient(emulator, { auth: 'password' });
    await expect(client.query('SELECT Id FROM Lead LIMIT 1')).resolves.toBeInstanceOf(Array);
  });

  it('names the flow and the reason when Salesforce refuses the login', async () => {
    const client = emulatorClient(emulator, { auth: 'password', password: 'wrong-password' });
    await expect(client.connect()).rejects.toThrow(
      /Salesforce login failed \(username-password as bridge@example.com\): invalid_grant: authentication failure/,
    );
    expect(await apiCalls(client, 'oauth.token', 'client_error')).toBe(1);
  });

  it('refuses a JWT signed by a key the connected app does not know', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-key-'));
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(dir, 'other.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const client = emulatorClient(emulator, { privateKeyFile: join(dir, 'other.key') });
    await expect(client.connect()).rejects.toThrow(/JWT bearer as bridge@example.com\): invalid_grant/);
  });

  it('gets a new session once when Salesforce answers 401 INVALID_SESSION_ID, and the call succeeds', async () => {
    const client = emulatorClient(emulator);
    await client.connect();
    const firstToken = client.session!.accessToken;
    emulator.expireSessions('bridge@example.com');
    const leads = await client.query('SELECT Id FROM Lead LIMIT 1');
    expect(leads).toBeInstanceOf(Array);
    expect(client.session!.accessToken).not.toBe(firstToken);
    expect(client.status().sessionRenewals).toBe(1);
    expect(await apiCalls(client, 'oauth.token')).toBe(2);
  });

  it('stops renewing when every new session is refused at once, instead of looping', async () => {
    const client = emulatorClient(emulator);
    await client.connect();
    emulator.org.faults.add({
      method: 'GET',
      path: '/services/data/*/query',
      fault: { type: 'INVALID_SESSION_ID' },
    });
    const failure = await client.query('SELECT Id FROM Lead LIMIT 1').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SalesforceApiError);
    expect(String((failure as Error).message)).toMatch(/new sessions within a minute/);
    expect(client.status().sessionRenewals).toBe(3);
  });
});

describe('every call goes through one client', () => {
  it('marks its writes with Sforce-Call-Options client=responsys-bridge', async () => {
    const client = emulatorClient(emulator);
    const [id] = insertLeads(emulator, 1, 'calloptions');
    const commits: CommittedTransaction[] = [];
    const stop = emulator.onAfterCommit((commit) => commits.push(commit));
    await client.update('Lead', [{ Id: id!, Title: 'CTO' }]);
    stop();
    expect(commits).toHaveLength(1);
    expect(commits[0]!.client).toBe('responsys-bridge');
    expect(commits[0]!.user.username).toBe('bridge@example.com');
  });

  it('reads the daily API usage from Sforce-Limit-Info into the budget, the metric and readiness', async () => {
    const client = emulatorClient(emulator);
    emulator.org.limits.setUsed('DailyApiRequests', 1234);
    await client.query('SELECT Id FROM Lead LIMIT 1');
    expect(client.budget.usage()).toMatchObject({ used: 1235, limit: 100_000, reserveReached: false });
    const gauge = await client.metrics.registry.getSingleMetric('responsys_bridge_api_daily_usage')?.get();
    expect(gauge?.values[0]).toMatchObject({ labels: { service: 'salesforce' }, value: 1235 });
    const readiness = await client.readiness();
    expect(readiness).toMatchObject({ ok: true });
    expect(readiness.detail).toMatch(/API usage 1235\/100000/);
  });

  it('pauses background work inside the API reserve while record syncs go on', async () => {
    const client = emulatorClient(emulator, { apiReservePercent: 10 });
    emulator.org.limits.setUsed('DailyApiRequests', 95_000);
    await client.query('SELECT Id FROM Lead LIMIT 1');
    expect(client.budget.usage()).toMatchObject({ remaining: 4999, reserve: 10_000, reserveReached: true });
    const before = emulator.apiUsage().used;
    const refused = await client
      .query('SELECT Id FROM Lead', { priority: 'background' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiReserveReachedError);
    expect((refused as ApiReserveReachedError).retryAfterMs).toBeGreaterThan(0);
    expect(emulator.apiUsage().used).toBe(before);
    await expect(client.query('SELECT Id FROM Lead LIMIT 1')).resolves.toBeInstanceOf(Array);
    expect((await client.readiness()).detail).toMatch(/background work paused/);
  });

  it('holds every non-urgent call once Salesforce says the daily allocation is spent', async () => {
    const client = emulatorClient(emulator);
    emulator.org.limits.setUsed('DailyApiRequests', 100_000);
    const spent = await client.query('SELECT Id FROM Lead LIMIT 1').catch((error: unknown) => error);
    expect(spent).toBeInstanceOf(SalesforceApiError);
    expect((spent as SalesforceApiError).code).toBe('REQUEST_LIMIT_EXCEEDED');
    expect((spent as SalesforceApiError).retryable).toBe(true);
    expect(await apiCalls(client, 'query', 'rate_limited')).toBe(1);
    await expect(client.query('SELECT Id FROM Lead LIMIT 1')).rejects.toBeInstanceOf(ApiReserveReachedError);
    expect((await client.readiness()).ok).toBe(false);
  });
});

describe('reads in bulk', () => {
  it('reads records by id in chunks of at most 200 ids, accepting 15-character ids', async () => {
    const client = emulatorClient(emulator);
    const ids = insertLeads(emulator, 450, 'byid');
    const asked = [...ids.slice(0, 10).map((id) => id.slice(0, 15)), ...ids.slice(10)];
    const before = emulator.apiUsage().byKind.query ?? 0;
    const records = await client.retrieve('Lead', [...asked, '00Q000000000000EAA'], ['Email', 'LeadSource']);
    expect(records.size).toBe(450);
    expect(records.get(ids[3]!)).toMatchObject({
      Id: ids[3],
      Email: 'byid3@example.com',
      LeadSource: 'Partner Referral',
    });
    expect(records.get(ids[3]!)).not.toHaveProperty('attributes');
    expect((emulator.apiUsage().byKind.query ?? 0) - before).toBe(3);
  });

  it('converts 15-character ids to their 18-character form', () => {
    const [id] = insertLeads(emulator, 1, 'id15');
    expect(toId18(id!.slice(0, 15))).toBe(id);
  });

  it('follows every page of a query (queryMore)', async () => {
    const client = emulatorClient(emulator);
    insertLeads(emulator, 450, 'paged');
    const pages: number[] = [];
    for await (const page of client.queryPages("SELECT Id FROM Lead WHERE LastName LIKE 'paged%'", {
      batchSize: 200,
    })) {
      pages.push(page.length);
    }
    expect(pages).toEqual([200, 200, 50]);
    expect(await apiCalls(client, 'query.more')).toBe(2);
  });

  it('reads large results through Bulk API 2.0 pages, typed like REST records with parents nested', async () => {
    const client = emulatorClient(emulator);
    const [accountId] = emulator.insert('Account', [{ Name: 'Bulk Read Co' }]);
    emulator.insert(
      'Contact',
      Array.from({ length: 25 }, (_, i) => ({
        LastName: `bulkread${i}`,
        Email: `bulkread${i}@example.com`,
        AccountId: i < 20 ? accountId! : null,
        HasOptedOutOfEmail: i % 5 === 0,
      })),
    );
    const pages: Array<Array<Record<string, unknown>>> = [];
    for await (const page of client.bulkQuery(
      "SELECT Id, LastName, HasOptedOutOfEmail, Account.Name FROM Contact WHERE LastName LIKE 'bulkread%' ORDER BY LastName",
      { pageSize: 10 },
    )) {
      pages.push(page);
    }
    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    const all = pages.flat();
    expect(new Set(all.map((record) => record.Id)).size).toBe(25);
    const first = all.find((record) => record.LastName === 'bulkread0')!;
    expect(first).toMatchObject({ HasOptedOutOfEmail: true, Account: { Name: 'Bulk Read Co' } });
    expect(all.find((record) => record.LastName === 'bulkread1')).toMatchObject({
      HasOptedOutOfEmail: false,
    });
    expect(all.find((record) => record.LastName === 'bulkread21')).toMatchObject({ Account: null });
    expect(await apiCalls(client, 'bulk2.query.results')).toBe(3);
  });

  it('reads a smaller first Bulk API page when asked, then pages of the usual size, losing no record', async () => {
    const client = emulatorClient(emulator);
    emulator.insert(
      'Contact',
      Array.from({ length: 23 }, (_, i) => ({
        LastName: `firstpage${i}`,
        Email: `firstpage${i}@example.com`,
      })),
    );
    const pages: Array<Array<Record<string, unknown>>> = [];
    for await (const page of client.bulkQuery(
      "SELECT Id, LastName FROM Contact WHERE LastName LIKE 'firstpage%'",
      { pageSize: 10, firstPageSize: 3 },
    )) {
      pages.push(page);
    }
    expect(pages.map((page) => page.length)).toEqual([3, 10, 10]);
    expect(new Set(pages.flat().map((record) => record.Id)).size).toBe(23);
  });
});

describe('writes with one answer per record', () => {
  it('updates through sObject Collections, 200 per call, and one bad record fails alone', async () => {
    const client = emulatorClient(emulator);
    const ids = insertLeads(emulator, 250, 'coll');
    const records = ids.map((Id, i) => ({
      Id,
      Title: `Title ${i}`,
      ...(i === 7 ? { Email: 'not-an-email' } : {}),
    }));
    const results = await client.update('Lead', records, { correlationIds: ids.map((_, i) => `corr-${i}`) });
    expect(results).toHaveLength(250);
    expect(results.map((result) => result.index)).toEqual(ids.map((_, i) => i));
    expect(results[7]).toMatchObject({
      success: false,
      retryable: false,
      id: ids[7],
      correlationId: 'corr-7',
      errors: [{ code: 'INVALID_EMAIL_ADDRESS' }],
    });
    expect(results.filter((result) => result.success)).toHaveLength(249);
    expect(
      emulator.query<{ Title: string }>(`SELECT Title FROM Lead WHERE Id = '${ids[200]}'`)[0]!.Title,
    ).toBe('Title 200');
    expect(await apiCalls(client, 'collections.update')).toBe(2);
  });

  it('sends records that could not be locked again until they go through', async () => {
    const client = emulatorClient(emulator);
    const ids = insertLeads(emulator, 40, 'locked');
    emulator.org.faults.add({
      method: 'PATCH',
      path: '/services/data/*/composite/sobjects',
      times: 2,
      fault: { type: 'UNABLE_TO_LOCK_ROW', params: { recordRate: 0.5 } },
    });
    const results = await client.update(
      'Lead',
      ids.map((Id) => ({ Id, Rating: 'Hot' })),
    );
    expect(results.every((result) => result.success)).toBe(true);
    expect(await apiCalls(client, 'collections.update')).toBe(3);
    expect(
      emulator.query(`SELECT Id FROM Lead WHERE LastName LIKE 'locked%' AND Rating = 'Hot'`),
    ).toHaveLength(40);
  });

  it('reports a record still locked after every retry as retryable', async () => {
    const client = emulatorClient(emulator);
    const [id] = insertLeads(emulator, 1, 'alwayslocked');
    emulator.org.faults.add({
      method: 'PATCH',
      path: '/services/data/*/composite/sobjects',
      fault: { type: 'UNABLE_TO_LOCK_ROW' },
    });
    const [result] = await client.update('Lead', [{ Id: id!, Rating: 'Cold' }]);
    expect(result).toMatchObject({
      success: false,
      retryable: true,
      errors: [{ code: 'UNABLE_TO_LOCK_ROW' }],
    });
    expect(await apiCalls(client, 'collections.update')).toBe(4);
  });

  it('isolates a value Salesforce cannot read, which fails the whole request, so the others still go in', async () => {
    const client = emulatorClient(emulator);
    const records = Array.from({ length: 8 }, (_, i) => ({
      LastName: `parse${i}`,
      Company: 'Parse Co',
      ...(i === 5 ? { AnnualRevenue: 'lots' } : {}),
    }));
    const results = await client.create('Lead', records);
    expect(results.map((result) => result.success)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      true,
      true,
    ]);
    expect(results[5]).toMatchObject({ retryable: false, errors: [{ code: 'JSON_PARSER_ERROR' }] });
    expect(emulator.query("SELECT Id FROM Lead WHERE Company = 'Parse Co'")).toHaveLength(7);
  });

  it('upserts by external id through collections and says which records were created', async () => {
    const client = emulatorClient(emulator);
    const [existing] = insertLeads(emulator, 1, 'upsert');
    emulator.update([{ Id: existing!, Responsys_RIID__c: '9001' }]);
    const results = await client.upsert('Lead', 'Responsys_RIID__c', [
      { Responsys_RIID__c: '9001', Title: 'Updated' },
      { Responsys_RIID__c: '9002', LastName: 'New', Company: 'Upsert Co' },
      { Title: 'no key' },
    ]);
    expect(results[0]).toMatchObject({ success: true, created: false, id: existing });
    expect(results[1]).toMatchObject({ success: true, created: true });
    expect(results[2]).toMatchObject({
      success: false,
      retryable: false,
      errors: [{ code: 'MISSING_EXTERNAL_ID' }],
    });
  });

  it('refuses an update without an Id before calling Salesforce', async () => {
    const client = emulatorClient(emulator);
    const [result] = await client.update('Lead', [{ Title: 'x' }]);
    expect(result).toMatchObject({ success: false, retryable: false, errors: [{ code: 'MISSING_ID' }] });
    expect(await apiCalls(client, 'collections.update')).toBe(0);
  });

  it('uses Bulk API 2.0 above the threshold and maps each result row back to its record', async () => {
    const client = emulatorClient(emulator, { bulkThreshold: 200 });
    const ids = insertLeads(emulator, 260, 'bulkw');
    const records = ids.map((Id, i) => ({
      Id,
      Title: `Bulk ${i}`,
      Rating: i === 3 ? null : 'Warm',
      ...(i === 42 ? { Email: 'broken' } : {}),
    }));
    emulator.update([{ Id: ids[3]!, Rating: 'Hot' }]);
    const results = await client.update('Lead', records);
    expect(results).toHaveLength(260);
    expect(results.map((result) => result.index)).toEqual(ids.map((_, i) => i));
    expect(results[42]).toMatchObject({
      success: false,
      retryable: false,
      id: ids[42],
      errors: [{ code: 'INVALID_EMAIL_ADDRESS' }],
    });
    expect(results.filter((result) => result.success)).toHaveLength(259);
    expect(results[100]).toMatchObject({ success: true, id: ids[100] });
    expect(await apiCalls(client, 'collections.update')).toBe(0);
    expect(await apiCalls(client, 'bulk2.ingest.create')).toBe(1);
    const [third] = emulator.query<{ Title: string; Rating: string | null }>(
      `SELECT Title, Rating FROM Lead WHERE Id = '${ids[3]}'`,
    );
    expect(third).toMatchObject({ Title: 'Bulk 3', Rating: null });
  });

  it('inserts through Bulk API 2.0 and gives every created record its new id', async () => {
    const client = emulatorClient(emulator, { bulkThreshold: 200 });
    const records = Array.from({ length: 230 }, (_, i) => ({
      LastName: `bulkins${i}`,
      Company: 'Bulk Insert Co',
      Email: i === 9 ? 'nope' : `bulkins${i}@example.com`,
    }));
    const results = await client.create('Lead', records);
    expect(results[9]).toMatchObject({ success: false, errors: [{ code: 'INVALID_EMAIL_ADDRESS' }] });
    const created = emulator.query<{ Id: string; LastName: string }>(
      "SELECT Id, LastName FROM Lead WHERE Company = 'Bulk Insert Co'",
    );
    expect(created).toHaveLength(229);
    const byName = new Map(created.map((lead) => [lead.LastName, lead.Id]));
    for (const result of results) {
      if (result.index === 9) continue;
      expect(result).toMatchObject({
        success: true,
        created: true,
        id: byName.get(`bulkins${result.index}`),
      });
    }
  });
});

import { getPriority } from 'node:os';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../bridge/src/cli/program.js';
import { startResponsysEmulator, type ResponsysEmulator } from '../emulators/responsys/index.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '../emulators/salesforce/index.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { packageWithFieldMaps, type EditedPackage } from '../bridge/flows/support/package-copy.js';
import { outboundModules } from './outbound-harness.js';
import { bridgeEnv } from './support.js';

// `responsys-bridge backfill` end to end: every Contact read through Bulk API 2.0, merged in calls of
// 200, a progress bar, bad records reported alone with their reason, the RIID written back on request.

let salesforce: SalesforceEmulator;
let responsys: ResponsysEmulator;
let database: TestDatabase;
let edited: EditedPackage;
let env: Record<string, string>;
const COUNT = 450;

beforeAll(async () => {
  edited = packageWithFieldMaps({
    Contact_LeadSource: { Transform__c: 'map:Web=WEB,Phone Inquiry=PHONE,Partner Referral=PARTNER' },
  });
  salesforce = await startSalesforceEmulator({ seed: 41, forceAppDir: edited.dir, packageTriggers: false });
  responsys = await startResponsysEmulator({ sftp: false });
  database = await createTestDatabase('e2e_backfill');
  env = bridgeEnv({ salesforce, responsys, close: async () => undefined }, database.url, {
    SALESFORCE_BULK_THRESHOLD: '200',
    BRIDGE_LOG_LEVEL: 'warn',
  });
  salesforce.insert(
    'Contact',
    Array.from({ length: COUNT }, (_, i) => ({
      FirstName: `Back${i}`,
      LastName: `Fill${i}`,
      Email: i === 7 ? 'twin@example.com' : i === 8 ? 'Twin@Example.com' : `backfill${i}@example.com`,
      LeadSource: i === 3 ? 'Other' : 'Web',
      Department: 'Sales',
    })),
  );
}, 90_000);

afterAll(async () => {
  await database?.drop();
  await Promise.allSettled([salesforce?.close(), responsys?.close()]);
  edited?.remove();
});

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const writable = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        append(chunk.toString('utf8'));
        callback();
      },
    });
  const result = await runCli(
    args,
    {
      out: writable((text) => (out += text)),
      err: writable((text) => (err += text)),
      env,
      cwd: process.cwd(),
    },
    outboundModules(),
  );
  return { ...result, out, err };
}

const contactIds = () =>
  salesforce.query<{ Id: string; Email: string }>('SELECT Id, Email FROM Contact ORDER BY Id');

describe('responsys-bridge backfill', () => {
  it('loads every Contact through Bulk API 2.0 in ceil(N/200) merge calls, with progress and a summary', async () => {
    const usageBefore = salesforce.apiUsage().byKind;
    const run = await cli(['backfill', '--object', 'Contact', '--json']);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.out) as {
      read: number;
      merged: number;
      failed: number;
      skipped: number;
      failures: Record<string, number>;
      skips: Record<string, number>;
      readWith: string;
      responsysCalls: Record<string, number>;
    };
    expect(result).toMatchObject({ read: COUNT, merged: COUNT - 2, failed: 1, skipped: 1, readWith: 'bulk' });
    expect(result.failures).toEqual({ UNMAPPED_VALUE: 1 });
    expect(result.skips).toEqual({ AMBIGUOUS_SALESFORCE: 1 });
    expect(result.responsysCalls.mergeListRecipients).toBe(Math.ceil((COUNT - 2) / 200));
    expect(run.err).toMatch(/Backfilling Contacts: 450\/450 \(100%\)/);
    const usage = salesforce.apiUsage().byKind;
    expect((usage['bulk2.query.create'] ?? 0) - (usageBefore['bulk2.query.create'] ?? 0)).toBe(1);
    expect(responsys.control.state(['lists']).lists!.CONTACTS_LIST!.memberCount).toBe(COUNT - 2);

    // Each record that did not go has its reason in the sync log (`explain`).
    const ids = contactIds();
    const bad = ids.find((contact) => contact.Email === 'backfill3@example.com')!;
    const explain = await cli(['explain', bad.Id, '--json']);
    expect(explain.out).toContain('UNMAPPED_VALUE');
    expect(explain.out).toContain('Other');
  });

  it('writes the RIID and Synced status back with --write-back, and merges the same recipients again', async () => {
    const run = await cli(['backfill', '--object', 'Contact', '--write-back', '--limit', '300']);
    expect(run.exitCode).toBe(0);
    expect(run.out).toMatch(/Backfill done: 300 Contact record\(s\) read/);
    expect(run.out).toContain('merged into Responsys');
    const synced = salesforce.query<{
      Responsys_RIID__c: string | null;
      Responsys_Sync_Status__c: string | null;
    }>(
      "SELECT Responsys_RIID__c, Responsys_Sync_Status__c FROM Contact WHERE Responsys_Sync_Status__c = 'Synced'",
    );
    expect(synced.length).toBeGreaterThanOrEqual(290);
    expect(synced.every((contact) => contact.Responsys_RIID__c)).toBe(true);
    // A second run adopts the recipients of the first: no new members.
    expect(responsys.control.state(['lists']).lists!.CONTACTS_LIST!.memberCount).toBe(COUNT - 2);
  });

  it('finishes and accounts for every record with the reason Responsys gave when every merge call is refused', async () => {
    responsys.control.addFault({
      path: '/rest/api/v1.3/lists/*/members',
      fault: {
        type: 'status',
        status: 403,
        body: {
          type: '',
          title: 'Forbidden',
          errorCode: 'ACCESS_DENIED',
          detail: 'Not allowed',
          errorDetails: [],
        },
      },
    });
    try {
      const run = await cli(['backfill', '--object', 'Contact']);
      expect(run.exitCode).toBe(0);
      expect(run.out).toMatch(/merged into Responsys +0/);
      expect(run.out).toMatch(/failed +449 \(ACCESS_DENIED 448, UNMAPPED_VALUE 1; 0 queued again\)/);
      expect(run.out).toMatch(/mergeListRecipients 3/);
    } finally {
      responsys.control.faults.clear();
    }
  }, 60_000);

  it('runs at a lower CPU priority while it loads, then gives the priority back', async () => {
    const before = getPriority();
    const seen = new Set<number>();
    const watch = setInterval(() => seen.add(getPriority()), 5);
    try {
      const run = await cli(['backfill', '--object', 'Contact', '--limit', '300']);
      expect(run.exitCode).toBe(0);
    } finally {
      clearInterval(watch);
    }
    expect([...seen], 'nice 10 during the load').toContain(10);
    expect(getPriority(), 'the priority it had before').toBe(before);
  }, 60_000);

  it('explains a configuration without Salesforce or Responsys clearly', async () => {
    const saved = env;
    env = { ...env, SALESFORCE_LOGIN_URL: 'not a url' };
    try {
      const run = await cli(['backfill']);
      expect(run.exitCode).toBe(1);
      expect(run.err).toContain('SALESFORCE_LOGIN_URL');
    } finally {
      env = saved;
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError } from '../../bridge/src/shared/errors.js';
import { coreMigrations, runMigrations } from '../../bridge/src/store/migrations.js';
import type { Store } from '../../bridge/src/store/store.js';
import { hashEmail } from '../../bridge/src/store/identity-links.js';
import { storeBackends } from './support/stores.js';

const LEAD = '00Q000000000001AAA';
const CONTACT = '003000000000001AAA';

describe.each(storeBackends)('store on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
  });
  afterAll(async () => {
    await cleanup?.();
  });

  describe('migrations', () => {
    it('records every core migration once and applies nothing on a second run', async () => {
      const { rows } = await store.db.query<{ id: string }>(
        'SELECT id FROM bridge.schema_migrations ORDER BY id',
      );
      expect(rows.map((row) => row.id)).toEqual(coreMigrations().map((migration) => migration.id));
      const again = await runMigrations(store.db, coreMigrations());
      expect(again.applied).toEqual([]);
    });

    it('applies a module migration after the core ones and refuses one whose text changed later', async () => {
      const migration = {
        id: 'test-module/0001_extra',
        sql: 'CREATE TABLE bridge.test_extra (id int PRIMARY KEY);',
      };
      const first = await runMigrations(store.db, [...coreMigrations(), migration]);
      expect(first.applied).toEqual(['test-module/0001_extra']);
      await expect(
        runMigrations(store.db, [...coreMigrations(), { ...migration, sql: `${migration.sql} -- edited` }]),
      ).rejects.toThrow(/was changed after it was applied/);
    });

    it('refuses to run on a database migrated by a newer version', async () => {
      await store.db.query(`INSERT INTO bridge.schema_migrations (id, checksum) VALUES ('9999_future', 'x')`);
      const error = await runMigrations(store.db, coreMigrations()).catch((caught: unknown) => caught);
      await store.db.query(`DELETE FROM bridge.schema_migrations WHERE id = '9999_future'`);
      expect(error).toBeInstanceOf(BridgeError);
      expect((error as BridgeError).message).toMatch(/newer bridge version.*9999_future/);
    });

    it('rolls a failing migration back completely', async () => {
      const broken = {
        id: 'test-module/0002_broken',
        sql: 'CREATE TABLE bridge.half_done (id int); SELECT 1/0;',
      };
      await expect(runMigrations(store.db, [...coreMigrations(), broken])).rejects.toThrow(
        /0002_broken failed/,
      );
      const { rows } = await store.db.query(`SELECT to_regclass('bridge.half_done') AS name`);
      expect(rows[0]).toEqual({ name: null });
    });

    it('moves a sync ledger kept one row per field to one row per record, keeping hashes and echo counts, with the latest write’s time and correlation id', async () => {
      const perRecord = coreMigrations().find((migration) => migration.id === '0002_sync_ledger_per_record')!;
      const rollback = new Error('rolled back on purpose');
      let moved: unknown[] = [];
      // The ledger as 0001 made it, rebuilt inside a transaction that is rolled back afterwards.
      const outcome = await store.db
        .transaction(async (tx) => {
          await tx.query(`DROP TABLE bridge.sync_ledger`);
          await tx.query(`
            CREATE TABLE bridge.sync_ledger (
              direction text NOT NULL, record_key text NOT NULL, target text NOT NULL,
              value_hash text NOT NULL, written_at timestamptz NOT NULL, correlation_id text,
              suppressed_count integer NOT NULL DEFAULT 0, last_suppressed_at timestamptz,
              PRIMARY KEY (direction, record_key, target))`);
          await tx.query(`
            INSERT INTO bridge.sync_ledger VALUES
              ('salesforce_to_responsys', '7001', 'PROFILE_LIST.CITY_', 'h-city', '2026-01-02T03:04:05.678Z', 'corr-a', 2, '2026-01-03T00:00:00Z'),
              ('salesforce_to_responsys', '7001', 'PROFILE_LIST.FIRST_NAME', 'h-first', '2026-01-05T00:00:00Z', 'corr-c', 0, NULL),
              ('responsys_to_salesforce', '7001', 'Title', 'h-title', '2026-02-01T00:00:00Z', 'corr-b', 0, NULL)`);
          await tx.exec(perRecord.sql);
          ({ rows: moved } = await tx.query(
            `SELECT direction, record_key, written, written_at, correlation_id, suppressed
             FROM bridge.sync_ledger ORDER BY direction`,
          ));
          throw rollback;
        })
        .catch((error: unknown) => error);
      expect(outcome).toBe(rollback);
      expect(moved).toEqual([
        {
          direction: 'responsys_to_salesforce',
          record_key: '7001',
          written: { Title: 'h-title' },
          written_at: new Date('2026-02-01T00:00:00Z'),
          correlation_id: 'corr-b',
          suppressed: {},
        },
        {
          direction: 'salesforce_to_responsys',
          record_key: '7001',
          written: { 'PROFILE_LIST.CITY_': 'h-city', 'PROFILE_LIST.FIRST_NAME': 'h-first' },
          written_at: new Date('2026-01-05T00:00:00Z'),
          correlation_id: 'corr-c',
          suppressed: { 'PROFILE_LIST.CITY_': [2, Date.parse('2026-01-03T00:00:00Z')] },
        },
      ]);
    });
  });

  describe('replay cursors', () => {
    it('saves, loads, never moves back, and resets', async () => {
      expect(await store.replayCursors.load('/event/Responsys_Sync__e')).toBeUndefined();
      await store.replayCursors.save('/event/Responsys_Sync__e', 120);
      await store.replayCursors.save('/event/Responsys_Sync__e', 118);
      const cursor = await store.replayCursors.load('/event/Responsys_Sync__e');
      expect(cursor?.replayId).toBe(120);
      expect(cursor?.updatedBy).toMatch(/^test-/);
      await store.replayCursors.reset('/event/Responsys_Sync__e');
      expect(await store.replayCursors.load('/event/Responsys_Sync__e')).toBeUndefined();
    });
  });

  describe('identity links', () => {
    it('links both ways, finds by email hash and keeps one RIID per Salesforce record', async () => {
      await store.identityLinks.link([
        { salesforceId: LEAD, objectType: 'Lead', riid: '5001', email: ' Ann@Example.com ' },
        { salesforceId: CONTACT, objectType: 'Contact', riid: '5001', email: 'ann@example.com' },
      ]);
      const bySalesforce = await store.identityLinks.forSalesforceIds([LEAD, 'unknown']);
      expect(bySalesforce.get(LEAD)).toMatchObject({
        riid: '5001',
        objectType: 'Lead',
        emailHash: hashEmail('ann@example.com'),
      });
      expect(bySalesforce.has('unknown')).toBe(false);
      const byRiid = await store.identityLinks.forRiids(['5001']);
      expect(byRiid.get('5001')?.map((link) => link.salesforceId)).toEqual([CONTACT, LEAD]);
      expect((await store.identityLinks.forEmail('ANN@example.com')).length).toBe(2);

      await store.identityLinks.link({ salesforceId: LEAD, objectType: 'Lead', riid: '5002' });
      expect((await store.identityLinks.forSalesforceIds([LEAD])).get(LEAD)?.riid).toBe('5002');
      expect(await store.identityLinks.unlink([LEAD, CONTACT])).toBe(2);
    });
  });

  describe('sync ledger', () => {
    it('recognises the bridge’s own write coming back as an echo and counts it', async () => {
      await store.syncLedger.recordWrites(
        'responsys_to_salesforce',
        [
          { recordKey: LEAD, target: 'Title', value: 'CTO' },
          { recordKey: LEAD, target: 'Phone', value: null },
        ],
        'corr-ledger',
      );
      const check = await store.syncLedger.suppressEchoes('responsys_to_salesforce', [
        { recordKey: LEAD, target: 'Title', value: 'CTO' },
        { recordKey: LEAD, target: 'Phone', value: '' },
        { recordKey: LEAD, target: 'City', value: 'Paris' },
        { recordKey: CONTACT, target: 'Title', value: 'CTO' },
      ]);
      expect(check.echoes.map((echo) => echo.target)).toEqual(['Title', 'Phone']);
      expect(check.fresh.map((value) => `${value.recordKey}/${value.target}`)).toEqual([
        `${LEAD}/City`,
        `${CONTACT}/Title`,
      ]);
      const changed = await store.syncLedger.suppressEchoes('responsys_to_salesforce', [
        { recordKey: LEAD, target: 'Title', value: 'CEO' },
      ]);
      expect(changed.echoes).toEqual([]);
      const entries = await store.syncLedger.forRecords([LEAD]);
      expect(entries.find((entry) => entry.target === 'Title')).toMatchObject({
        suppressedCount: 1,
        correlationId: 'corr-ledger',
        direction: 'responsys_to_salesforce',
      });
    });

    it('keeps each field’s value and echo count when a later write touches other fields of the record', async () => {
      const key = '7002';
      await store.syncLedger.recordWrites(
        'salesforce_to_responsys',
        [
          { recordKey: key, target: 'PROFILE_LIST.CITY_', value: 'Oslo' },
          { recordKey: key, target: 'PROFILE_LIST.FIRST_NAME', value: 'Ada' },
        ],
        'corr-first',
      );
      await Promise.all([
        store.syncLedger.suppressEchoes('salesforce_to_responsys', [
          { recordKey: key, target: 'PROFILE_LIST.CITY_', value: 'Oslo' },
        ]),
        store.syncLedger.suppressEchoes('salesforce_to_responsys', [
          { recordKey: key, target: 'PROFILE_LIST.CITY_', value: 'Oslo' },
        ]),
      ]);
      const before = await store.syncLedger.forRecords([key]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.syncLedger.recordWrites(
        'salesforce_to_responsys',
        [{ recordKey: key, target: 'PROFILE_LIST.FIRST_NAME', value: 'Grace' }],
        'corr-later',
      );
      const after = await store.syncLedger.forRecords([key]);
      const city = (entries: typeof after) => entries.find((entry) => entry.target === 'PROFILE_LIST.CITY_')!;
      const first = (entries: typeof after) =>
        entries.find((entry) => entry.target === 'PROFILE_LIST.FIRST_NAME')!;
      expect(city(before).suppressedCount, 'two echo checks at once both count').toBe(2);
      expect(city(after).valueHash, 'the untouched field keeps its value').toBe(city(before).valueHash);
      expect(city(after).suppressedCount, 'and its echo count').toBe(2);
      expect(first(after).valueHash).not.toBe(first(before).valueHash);
      expect(after[0]!.writtenAt.getTime(), 'the record’s last write').toBeGreaterThan(
        before[0]!.writtenAt.getTime(),
      );
      expect(after[0]!.correlationId).toBe('corr-later');
      const echoes = await store.syncLedger.suppressEchoes('salesforce_to_responsys', [
        { recordKey: key, target: 'PROFILE_LIST.CITY_', value: 'Oslo' },
        { recordKey: key, target: 'PROFILE_LIST.FIRST_NAME', value: 'Ada' },
      ]);
      expect(
        echoes.echoes.map((echo) => echo.target),
        'the untouched value is still an echo, the replaced one no longer',
      ).toEqual(['PROFILE_LIST.CITY_']);
    });

    it('keeps the two directions apart', async () => {
      await store.syncLedger.recordWrites('salesforce_to_responsys', [
        { recordKey: '7001', target: 'CITY_', value: 'Oslo' },
      ]);
      const check = await store.syncLedger.suppressEchoes('responsys_to_salesforce', [
        { recordKey: '7001', target: 'CITY_', value: 'Oslo' },
      ]);
      expect(check.echoes).toEqual([]);
    });
  });

  describe('program enrollments', () => {
    const candidate = {
      recipientKey: 'riid:900',
      program: 'WELCOME',
      cooldownDays: 30,
      changeKey: 'change-1',
      salesforceId: LEAD,
      correlationId: 'corr-enrol',
    };

    it('reserves, confirms, refuses a second change within the cooldown and never enrols one change twice', async () => {
      const [first] = await store.enrollments.reserve([candidate]);
      expect(first?.status).toBe('reserved');
      await store.enrollments.confirm([first!.status === 'reserved' ? first!.id : -1]);
      const [again] = await store.enrollments.reserve([candidate]);
      expect(again?.status).toBe('duplicate');
      const [other] = await store.enrollments.reserve([{ ...candidate, changeKey: 'change-2' }]);
      expect(other?.status).toBe('cooldown');
      const [noCooldown] = await store.enrollments.reserve([
        { ...candidate, changeKey: 'change-3', cooldownDays: 0 },
      ]);
      expect(noCooldown?.status).toBe('reserved');
      const [otherProgram] = await store.enrollments.reserve([{ ...candidate, program: 'NURTURE' }]);
      expect(otherProgram?.status).toBe('reserved');
    });

    it('resumes a pending reservation of the same change and frees a released one', async () => {
      const pending = { ...candidate, recipientKey: 'riid:901' };
      const [first] = await store.enrollments.reserve([pending]);
      const [resumed] = await store.enrollments.reserve([pending]);
      expect(resumed).toMatchObject({ status: 'reserved' });
      expect(resumed?.status === 'reserved' && first?.status === 'reserved' && resumed.id === first.id).toBe(
        true,
      );
      await store.enrollments.release([first!.status === 'reserved' ? first!.id : -1]);
      const [afterRelease] = await store.enrollments.reserve([{ ...pending, changeKey: 'change-9' }]);
      expect(afterRelease?.status).toBe('reserved');
    });

    it('lets only one of several concurrent reservations for one recipient through', async () => {
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) =>
          store.enrollments.reserve([{ ...candidate, recipientKey: 'riid:902', changeKey: `race-${n}` }]),
        ),
      );
      expect(results.flat().filter((result) => result.status === 'reserved')).toHaveLength(1);
      expect(results.flat().filter((result) => result.status === 'cooldown')).toHaveLength(3);
    });
  });

  describe('sync log', () => {
    it('finds a record’s entries by 18- or 15-character id, RIID, email in any case, or correlation id', async () => {
      await store.syncLog.record([
        {
          correlationId: 'corr-log-1',
          flow: 'f1-lead-to-program',
          direction: 'salesforce_to_responsys',
          outcome: 'retrying',
          objectType: 'Lead',
          salesforceId: LEAD,
          email: 'Bob@Example.com',
          reason: 'Responsys answered 503',
          attempt: 1,
          startedAt: new Date(Date.now() - 250),
          details: { fields: ['Email'] },
        },
        {
          correlationId: 'corr-log-1',
          flow: 'f1-lead-to-program',
          direction: 'salesforce_to_responsys',
          outcome: 'succeeded',
          objectType: 'Lead',
          salesforceId: LEAD,
          riid: '6001',
          email: 'bob@example.com',
          attempt: 2,
        },
      ]);
      const byId = await store.syncLog.historyFor(LEAD);
      expect(byId.map((entry) => entry.outcome)).toEqual(['succeeded', 'retrying']);
      expect(byId[1]).toMatchObject({ reason: 'Responsys answered 503', details: { fields: ['Email'] } });
      expect(byId[1]!.durationMs).toBeGreaterThanOrEqual(200);
      expect(await store.syncLog.historyFor(LEAD.slice(0, 15))).toHaveLength(2);
      expect(await store.syncLog.historyFor('6001')).toHaveLength(1);
      expect(await store.syncLog.historyFor('BOB@example.COM')).toHaveLength(2);
      expect(await store.syncLog.historyFor('corr-log-1')).toHaveLength(2);
      expect(await store.syncLog.historyFor('nobody@example.com')).toEqual([]);
    });

    it('purges entries older than the retention cutoff and keeps newer ones', async () => {
      const old = new Date(Date.now() - 40 * 86_400_000);
      await store.syncLog.record(
        Array.from({ length: 7 }, (_, n) => ({
          correlationId: `corr-old-${n}`,
          flow: 'f4-profile-sync',
          direction: 'salesforce_to_responsys' as const,
          outcome: 'succeeded' as const,
          salesforceId: CONTACT,
          finishedAt: old,
        })),
      );
      const purged = await store.syncLog.purgeOlderThan(new Date(Date.now() - 30 * 86_400_000), 3);
      expect(purged).toBe(7);
      expect(await store.syncLog.historyFor(CONTACT)).toEqual([]);
      expect(await store.syncLog.historyFor(LEAD)).toHaveLength(2);
    });
  });

  describe('inbound files', () => {
    it('resumes a file where it stopped and remembers the files read completely', async () => {
      const begun = await store.inboundFiles.begin('events', 'OPEN_2024.txt', 1234);
      expect(begun).toMatchObject({ linesDone: 0, status: 'reading', fileSize: 1234 });
      await store.inboundFiles.advance('events', 'OPEN_2024.txt', { linesDone: 400, byteOffset: 900 });
      await store.inboundFiles.advance('events', 'OPEN_2024.txt', { linesDone: 200, byteOffset: 300 });
      const resumed = await store.inboundFiles.begin('events', 'OPEN_2024.txt');
      expect(resumed).toMatchObject({ linesDone: 400, byteOffset: 900, fileSize: 1234 });
      await store.inboundFiles.fail('events', 'OPEN_2024.txt', 'disk full');
      expect((await store.inboundFiles.get('events', 'OPEN_2024.txt'))?.status).toBe('failed');
      expect((await store.inboundFiles.begin('events', 'OPEN_2024.txt')).status).toBe('reading');
      await store.inboundFiles.complete('events', 'OPEN_2024.txt');
      expect(await store.inboundFiles.doneFileNames('events')).toEqual(new Set(['OPEN_2024.txt']));
      expect(await store.inboundFiles.doneFileNames('profiles')).toEqual(new Set());
    });
  });

  describe('dead letters', () => {
    it('keeps reason and payload, turns one job into at most one dead letter, and hands each out once', async () => {
      const input = {
        flow: 'f1-lead-to-program',
        queue: 'f1-lead-to-program',
        recordKey: LEAD,
        correlationId: 'corr-dead',
        payload: { change: { recordId: LEAD, changeType: 'UPDATE' } },
        reason: 'INVALID_EMAIL: not an address',
        errorCode: 'INVALID_EMAIL',
        attempts: 3,
        sourceJobId: 'job-1',
      };
      const [id] = await store.deadLetters.add(input);
      expect(await store.deadLetters.add(input)).toEqual([]);
      await store.deadLetters.add({ ...input, flow: 'f4-profile-sync', sourceJobId: 'job-2' });
      expect(await store.deadLetters.countOpen()).toEqual([
        { flow: 'f1-lead-to-program', count: 1 },
        { flow: 'f4-profile-sync', count: 1 },
      ]);
      const listed = await store.deadLetters.list({ flow: 'f1-lead-to-program' });
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({
        id,
        payload: input.payload,
        reason: input.reason,
        attempts: 3,
        status: 'open',
      });
      expect(await store.deadLetters.markHandled([id!], 'retried', 'cli')).toHaveLength(1);
      expect(await store.deadLetters.markHandled([id!], 'retried', 'cli')).toHaveLength(0);
      expect((await store.deadLetters.get(id!))?.handledBy).toBe('cli');
      expect((await store.deadLetters.forRecords([LEAD])).length).toBe(2);
      expect(await store.deadLetters.purgeHandledBefore(new Date(Date.now() + 60_000))).toBe(1);
      expect(await store.deadLetters.openIds()).toHaveLength(1);
    });
  });

  describe('leases', () => {
    it('gives a lease to one holder, renews it, and lets another take it once it expires', async () => {
      expect(await store.leases.tryAcquire('stream', 'a', 1)).toMatchObject({ holder: 'a' });
      expect(await store.leases.tryAcquire('stream', 'b', 1)).toBeUndefined();
      expect(await store.leases.renew('stream', 'a', 1)).toBe(true);
      expect((await store.leases.current('stream'))?.holder).toBe('a');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await store.leases.current('stream')).toBeUndefined();
      expect(await store.leases.tryAcquire('stream', 'b', 30)).toMatchObject({ holder: 'b' });
      expect(await store.leases.renew('stream', 'a', 1)).toBe(false);
      await store.leases.release('stream', 'a');
      expect((await store.leases.current('stream'))?.holder).toBe('b');
      await store.leases.release('stream', 'b');
      expect(await store.leases.list()).toEqual([]);
    });
  });

  describe('watermarks and instances', () => {
    it('stores named positions and lists live instances', async () => {
      await store.watermarks.set('f4.reconcile.Lead', '2024-01-01T00:00:00Z');
      await store.watermarks.set('f4.reconcile.Lead', '2024-02-01T00:00:00Z');
      expect(await store.watermarks.get('f4.reconcile.Lead')).toBe('2024-02-01T00:00:00Z');
      expect(await store.watermarks.get('missing')).toBeUndefined();
      await store.instances.heartbeat({
        instanceId: 'one',
        host: 'h',
        pid: 1,
        version: '0.1.0',
        startedAt: new Date(),
      });
      expect((await store.instances.alive(60)).map((instance) => instance.instanceId)).toEqual(['one']);
    });
  });

  describe('transactions', () => {
    it('rolls every repository write back when the work throws', async () => {
      await expect(
        store.transaction(async (repos) => {
          await repos.watermarks.set('tx-test', 'written');
          await repos.deadLetters.add({
            flow: 'f',
            queue: 'q',
            recordKey: 'r',
            payload: {},
            reason: 'x',
            attempts: 1,
            sourceJobId: 'tx-job',
          });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.watermarks.get('tx-test')).toBeUndefined();
      const committed = await store.transaction(async (repos) => {
        await repos.watermarks.set('tx-test', 'committed');
        const [reserved] = await repos.enrollments.reserve([
          { recipientKey: 'tx', program: 'P', cooldownDays: 1, changeKey: 'c' },
        ]);
        return reserved?.status;
      });
      expect(committed).toBe('reserved');
      expect(await store.watermarks.get('tx-test')).toBe('committed');
    });
  });
});

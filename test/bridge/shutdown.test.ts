import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge } from '../../bridge/src/app.js';
import { moduleMigrations } from '../../bridge/src/module.js';
import { openStore, type Store } from '../../bridge/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { killIfRunning, spawnBridge, type ChildBridge } from './support/child-bridge.js';
import { CLUSTER_FLOW, clusterTestModule } from './support/cluster-module.js';
import { testConfig } from './support/config.js';
import { createWorkQueue, eventually } from './support/queue-harness.js';
import { freshEmbeddedDataDir } from './support/stores.js';

// Graceful shutdown of a real bridge process: on SIGTERM, intake stops, a batch in flight finishes
// (or, past the shutdown timeout, its records go back to the queue), the store is closed and the
// process exits by itself.

const records = Array.from({ length: 10 }, (_, n) => ({
  objectType: 'Lead',
  recordId: `00Q${String(n).padStart(12, '0')}AAA`,
  changeType: 'UPDATE' as const,
}));

async function openTestStore(location: { dataDir?: string; databaseUrl?: string }): Promise<Store> {
  return openStore({
    dataDir: location.dataDir ?? 'unused',
    databaseUrl: location.databaseUrl,
    instanceId: 'shutdown-test',
    extraMigrations: moduleMigrations([clusterTestModule()]),
  });
}

/** Queues the ten records (creating the queue schema), then closes the store again. */
async function enqueueRecords(location: { dataDir?: string; databaseUrl?: string }): Promise<void> {
  const store = await openTestStore(location);
  const queue = createWorkQueue(store);
  queue.defineFlow({
    name: CLUSTER_FLOW,
    direction: 'salesforce_to_responsys',
    handle: async () => new Map(),
  });
  await queue.start({ workers: false });
  await queue.enqueue(CLUSTER_FLOW, records);
  await queue.stop(1000);
  await store.close();
}

async function processed(store: Store): Promise<string[]> {
  const { rows } = await store.db.query<{ record_id: string }>(
    'SELECT record_id FROM bridge.test_processed ORDER BY record_id',
  );
  return rows.map((row) => row.record_id);
}

describe('graceful shutdown of a bridge process', () => {
  let child: ChildBridge | undefined;
  let dataDir: string | undefined;
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await killIfRunning(child);
    child = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
    await database?.drop();
    database = undefined;
  });

  it(
    'lets the batch in flight finish on SIGTERM, closes the embedded store and exits 0',
    { timeout: 120_000 },
    async () => {
      dataDir = await freshEmbeddedDataDir();
      await enqueueRecords({ dataDir });
      child = spawnBridge({
        BRIDGE_DATA_DIR: dataDir,
        TEST_HANDLER_DELAY_MS: '1500',
        BRIDGE_SHUTDOWN_TIMEOUT_SECONDS: '20',
      });
      await child.waitForLine((line) => line.msg === 'test batch started');
      expect(existsSync(join(dataDir, 'bridge.lock'))).toBe(true);
      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      const messages = child.lines.map((line) => line.msg);
      expect(messages).toContain('bridge stopped');
      expect(messages.indexOf('shutdown requested')).toBeLessThan(messages.indexOf('bridge stopped'));
      expect(existsSync(join(dataDir, 'bridge.lock'))).toBe(false);

      const store = await openTestStore({ dataDir });
      try {
        expect(await processed(store)).toHaveLength(10);
        const { rows } = await store.db.query<{ state: string; count: number }>(
          `SELECT state::text, count(*)::int AS count FROM pgboss.job WHERE name = $1 GROUP BY state`,
          [CLUSTER_FLOW],
        );
        expect(rows).toEqual([{ state: 'completed', count: 10 }]);
      } finally {
        await store.close();
      }
    },
  );

  it(
    'returns records still in flight after the shutdown timeout to the queue, for the next process',
    { timeout: 120_000 },
    async () => {
      database = await createTestDatabase('shutdown');
      await enqueueRecords({ databaseUrl: database.url });
      child = spawnBridge({
        DATABASE_URL: database.url,
        TEST_HANDLER_DELAY_MS: '60000',
        BRIDGE_SHUTDOWN_TIMEOUT_SECONDS: '1',
        BRIDGE_QUEUE_RETRY_BASE_SECONDS: '1',
      });
      await child.waitForLine((line) => line.msg === 'test batch started');
      const signalledAt = Date.now();
      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(10_000);

      const next = await startBridge(testConfig({ DATABASE_URL: database.url, BRIDGE_INSTANCE_ID: 'next' }), {
        modules: [clusterTestModule()],
        http: false,
      });
      try {
        const done = await eventually('the next process to sync all ten records', async () => {
          const ids = await processed(next.context.store);
          return ids.length === 10 && ids;
        });
        expect(new Set(done).size).toBe(10);
        const retrying = await next.context.store.syncLog.recent({ flow: CLUSTER_FLOW, outcome: 'retrying' });
        expect(retrying.length).toBe(10);
        expect(retrying[0]!.reason).toBe('the bridge shut down before this record was sent');
      } finally {
        await next.stop();
      }
    },
  );

  it(
    'stops gracefully with exit code 1 after an unhandled promise rejection',
    { timeout: 60_000 },
    async () => {
      database = await createTestDatabase('shutdown');
      child = spawnBridge({ DATABASE_URL: database.url, TEST_UNHANDLED_REJECTION_AFTER_MS: '200' });
      expect(await child.exited).toBe(1);
      const fatal = child.lines.find((line) => line.level === 'fatal');
      expect(fatal?.msg).toBe('unhandled promise rejection: a bug nobody caught');
      expect(child.lines.map((line) => line.msg)).toContain('bridge stopped');
    },
  );
});

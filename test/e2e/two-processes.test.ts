import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../bridge/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  bridgeEnv,
  CHANNEL,
  eventually,
  killIfRunning,
  recipientsByCustomerId,
  repCreatesLeads,
  spawnCli,
  type BridgeProcess,
  type Emulators,
} from './support.js';
import { startResponsysEmulator } from '../emulators/responsys/index.js';
import { startSalesforceEmulator } from '../emulators/salesforce/index.js';

// Two bridge processes on one PostgreSQL server: one holds the Streaming API subscription, both
// work the profile-sync queue, and every Lead is synced by exactly one of them, once.

let emulators: Emulators;
let database: TestDatabase;
let store: Store;
const children: BridgeProcess[] = [];

beforeAll(async () => {
  // Responsys answers slowly enough that work piles up and both processes take batches.
  const salesforce = await startSalesforceEmulator({ seed: 22, streaming: { longPollTimeoutMs: 1000 } });
  const responsys = await startResponsysEmulator({ sftp: false, latencyMs: 150 });
  emulators = {
    salesforce,
    responsys,
    close: async () => {
      await Promise.allSettled([responsys.close(), salesforce.close()]);
    },
  };
  database = await createTestDatabase('e2e_pair');
});

afterAll(async () => {
  await Promise.all(children.map(killIfRunning));
  await store?.close();
  await database?.drop();
  await emulators?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function mergedBy(child: BridgeProcess): number {
  return child.lines
    .filter((line) => String(line.msg).startsWith('profile sync:'))
    .reduce((sum, line) => sum + Number(line.succeeded ?? 0), 0);
}

describe('two bridge processes on one PostgreSQL server', () => {
  it(
    'split the queue: every Lead synced once, by one of them, and one subscription between them',
    { timeout: 180_000 },
    async () => {
      const env = bridgeEnv(emulators, database.url, { BRIDGE_QUEUE_BATCH_SIZE: '20' });
      // Both at once, as two replicas of a deployment start.
      const first = spawnCli(['start'], { ...env, BRIDGE_INSTANCE_ID: 'bridge-a' });
      const second = spawnCli(['start'], { ...env, BRIDGE_INSTANCE_ID: 'bridge-b' });
      children.push(first, second);
      await Promise.all(
        [first, second].map((child) => child.waitForLine((line) => line.msg === 'bridge started', 90_000)),
      );
      await eventually('one subscription', () =>
        [first, second].some((child) => child.lines.some((line) => line.msg === `subscribed to ${CHANNEL}`)),
      );

      const ids: string[] = [];
      for (let wave = 0; wave < 12; wave += 1) {
        ids.push(...repCreatesLeads(emulators, 20, `pair-w${wave}-`));
        await sleep(100);
      }

      store = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'e2e-test' });
      const synced = await eventually(
        `all ${ids.length} Leads recorded as synced`,
        async () => {
          const { rows } = await store.db.query<{ salesforce_id: string; count: number }>(
            `SELECT salesforce_id, count(*)::int AS count FROM bridge.sync_log
           WHERE flow = 'profile-sync' AND outcome = 'succeeded' GROUP BY salesforce_id`,
          );
          return rows.length === ids.length && rows;
        },
        150_000,
      );
      expect(synced.filter((row) => row.count !== 1)).toEqual([]);
      const recipients = recipientsByCustomerId(emulators, ids);
      for (const id of ids) expect(recipients.get(id), id).toHaveLength(1);

      expect(mergedBy(first) + mergedBy(second)).toBe(ids.length);
      expect(mergedBy(first)).toBeGreaterThan(0);
      expect(mergedBy(second)).toBeGreaterThan(0);
      const subscribers = [first, second].filter((child) =>
        child.lines.some((line) => line.msg === `subscribed to ${CHANNEL}`),
      );
      expect(subscribers).toHaveLength(1);

      first.process.kill('SIGTERM');
      second.process.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(await second.exited).toBe(0);
    },
  );
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkQueue } from '../../bridge/src/queue/work-queue.js';
import { openStore, type Store } from '../../bridge/src/store/store.js';
import { createWorkQueue } from '../bridge/support/queue-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  bridgeEnv,
  CHANNEL,
  eventually,
  killIfRunning,
  recipientsByCustomerId,
  repCreatesLeads,
  spawnCli,
  startEmulators,
  type BridgeProcess,
  type Emulators,
} from './support.js';

// A bridge process killed with SIGKILL in the middle of a stream of rep saves, then started again:
// the new process resumes the subscription from the replay id the killed one saved, the events it
// had received but not queued come again, the batch it had in flight is retried, and in the end every
// Lead is in Responsys once and synced once.

let emulators: Emulators;
let database: TestDatabase;
let store: Store;
let janitor: WorkQueue;
const children: BridgeProcess[] = [];

beforeAll(async () => {
  emulators = await startEmulators();
  database = await createTestDatabase('e2e_kill');
});

afterAll(async () => {
  await Promise.all(children.map(killIfRunning));
  await janitor?.stop(1000);
  await store?.close();
  await database?.drop();
  await emulators?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function syncStatuses(ids: readonly string[]): Map<string, string | null> {
  const rows = emulators.salesforce.query<{ Id: string; Responsys_Sync_Status__c: string | null }>(
    `SELECT Id, Responsys_Sync_Status__c FROM Lead WHERE Id IN (${ids.map((id) => `'${id}'`).join(',')})`,
  );
  return new Map(rows.map((row) => [row.Id, row.Responsys_Sync_Status__c]));
}

describe('a bridge killed mid-stream and started again', () => {
  it(
    'resumes from the saved replay id: every Lead in Responsys once, recorded as synced once, no event queued twice',
    { timeout: 240_000 },
    async () => {
      const env = bridgeEnv(emulators, database.url, { BRIDGE_QUEUE_JOB_TIMEOUT_SECONDS: '30' });
      const first = spawnCli(['start'], { ...env, BRIDGE_INSTANCE_ID: 'bridge-a' });
      children.push(first);
      await first.waitForLine((line) => line.msg === `subscribed to ${CHANNEL}`, 90_000);

      const ids: string[] = [];
      const saves = (async () => {
        for (let wave = 0; wave < 16; wave += 1) {
          ids.push(...repCreatesLeads(emulators, 8, `kill-w${wave}-`));
          await sleep(200);
        }
      })();
      await first.waitForLine((line) => typeof line.succeeded === 'number' && line.succeeded > 0, 60_000);
      first.process.kill('SIGKILL');
      await first.exited;

      store = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'e2e-test' });
      const saved = await store.replayCursors.load(CHANNEL);
      expect(saved?.replayId).toBeGreaterThan(0);
      await saves;

      // Expires the jobs the killed process held as soon as their timeout passes (as any supervising
      // bridge does, every maintenance interval).
      janitor = createWorkQueue(store, { maintenanceIntervalSeconds: 1 });
      await janitor.start({ workers: true });

      const second = spawnCli(['start'], { ...env, BRIDGE_INSTANCE_ID: 'bridge-b' });
      children.push(second);
      const opening = await second.waitForLine(
        (line) => String(line.msg).startsWith('opening the Streaming API subscription'),
        90_000,
      );
      expect(opening.replayFrom).toBe(saved!.replayId);

      // Done means recorded as done: the batch the killed process had in flight may have reached
      // Salesforce already, but it counts once its outcome is committed (here, by bridge-b).
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
      expect([...syncStatuses(ids).values()].every((status) => status === 'Synced')).toBe(true);

      const recipients = recipientsByCustomerId(emulators, ids);
      expect(recipients.size).toBe(ids.length);
      for (const id of ids) expect(recipients.get(id), id).toHaveLength(1);

      // Each event was queued once: resuming from the saved replay id repeats nothing already queued.
      const { rows: queued } = await store.db.query<{ record_id: string; count: number }>(
        `SELECT data->'change'->>'recordId' AS record_id, count(*)::int AS count
         FROM (SELECT data FROM pgboss.job WHERE name = 'profile-sync'
               UNION ALL SELECT data FROM pgboss.archive WHERE name = 'profile-sync') jobs
         GROUP BY 1`,
      );
      expect(queued).toHaveLength(ids.length);
      expect(queued.filter((row) => row.count !== 1)).toEqual([]);

      second.process.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    },
  );
});

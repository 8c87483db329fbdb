import { afterEach, describe, expect, it } from 'vitest';
import { startBridge, type RunningBridge } from '../../bridge/src/app.js';
import { moduleMigrations } from '../../bridge/src/module.js';
import type { RecordChangeInput } from '../../bridge/src/queue/record-change.js';
import type { WorkQueue } from '../../bridge/src/queue/work-queue.js';
import { openStore, type Store } from '../../bridge/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { killIfRunning, spawnBridge, type ChildBridge } from './support/child-bridge.js';
import { CLUSTER_FLOW, CLUSTER_LOCK, clusterTestModule } from './support/cluster-module.js';
import { testConfig } from './support/config.js';
import { createWorkQueue, eventually } from './support/queue-harness.js';

// Several bridge processes on one PostgreSQL server share the work (each job runs once) and elect one
// holder of the Streaming API subscription, which another process takes over when the holder dies.

const changes = (count: number): RecordChangeInput[] =>
  Array.from({ length: count }, (_, n) => ({
    objectType: 'Contact',
    recordId: `003${String(n).padStart(12, '0')}AAA`,
    changeType: 'UPDATE',
    changedFields: ['Email'],
  }));

async function producerFor(
  databaseUrl: string,
): Promise<{ store: Store; queue: WorkQueue; close(): Promise<void> }> {
  const store = await openStore({
    databaseUrl,
    dataDir: 'unused',
    instanceId: 'producer',
    extraMigrations: moduleMigrations([clusterTestModule()]),
  });
  const queue = createWorkQueue(store);
  queue.defineFlow({
    name: CLUSTER_FLOW,
    direction: 'salesforce_to_responsys',
    handle: async () => new Map(),
  });
  await queue.start({ workers: false });
  return {
    store,
    queue,
    async close() {
      await queue.stop(1000);
      await store.close();
    },
  };
}

async function processedSummary(store: Store) {
  const { rows: totals } = await store.db.query<{ distinct_records: number; total: number }>(
    'SELECT count(DISTINCT record_id)::int AS distinct_records, count(*)::int AS total FROM bridge.test_processed',
  );
  const { rows: perInstance } = await store.db.query<{ instance: string; count: number }>(
    'SELECT instance, count(*)::int AS count FROM bridge.test_processed GROUP BY instance ORDER BY instance',
  );
  return { ...totals[0]!, perInstance };
}

async function leadershipEvents(store: Store) {
  const { rows } = await store.db.query<{ instance: string; event: string; at: Date }>(
    'SELECT instance, event, at FROM bridge.test_leadership ORDER BY at',
  );
  return rows;
}

describe('several bridge processes on one PostgreSQL server', () => {
  let database: TestDatabase | undefined;
  const children: ChildBridge[] = [];
  const bridges: RunningBridge[] = [];
  const closers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    await Promise.all(children.splice(0).map(killIfRunning));
    await Promise.all(bridges.splice(0).map((bridge) => bridge.stop()));
    for (const close of closers.splice(0)) await close();
    await database?.drop();
    database = undefined;
  });

  it(
    'split one queue between two separate processes, every record handled exactly once',
    { timeout: 120_000 },
    async () => {
      database = await createTestDatabase('cluster');
      const env = {
        DATABASE_URL: database.url,
        TEST_HANDLER_DELAY_MS: '40',
        BRIDGE_LEADER_LEASE_SECONDS: '5',
      };
      const first = spawnBridge({ ...env, BRIDGE_INSTANCE_ID: 'bridge-a' });
      const second = spawnBridge({ ...env, BRIDGE_INSTANCE_ID: 'bridge-b' });
      children.push(first, second);
      await Promise.all(
        [first, second].map((child) => child.waitForLine((line) => line.msg === 'bridge started')),
      );

      const producer = await producerFor(database.url);
      closers.push(() => producer.close());
      const result = await producer.queue.enqueue(CLUSTER_FLOW, changes(1000));
      expect(result.queued).toBe(1000);

      const summary = await eventually(
        'all 1000 records to be processed',
        async () => {
          const current = await processedSummary(producer.store);
          return current.distinct_records === 1000 && current;
        },
        90_000,
      );
      expect(summary.total).toBe(1000);
      expect(summary.perInstance.map((entry) => entry.instance)).toEqual(['bridge-a', 'bridge-b']);
      for (const entry of summary.perInstance) expect(entry.count).toBeGreaterThan(0);

      const leaders = (await leadershipEvents(producer.store)).filter((event) => event.event === 'elected');
      expect(leaders).toHaveLength(1);

      first.process.kill('SIGTERM');
      second.process.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(await second.exited).toBe(0);
    },
  );

  it(
    'split one queue between two runtimes in one process, each with its own pg-boss and pool',
    { timeout: 60_000 },
    async () => {
      database = await createTestDatabase('cluster');
      for (const instance of ['runtime-a', 'runtime-b']) {
        bridges.push(
          await startBridge(testConfig({ DATABASE_URL: database.url, BRIDGE_INSTANCE_ID: instance }), {
            modules: [clusterTestModule({ handlerDelayMs: 30 })],
            http: false,
          }),
        );
      }
      const producer = await producerFor(database.url);
      closers.push(() => producer.close());
      await producer.queue.enqueue(CLUSTER_FLOW, changes(600));
      const summary = await eventually('all 600 records', async () => {
        const current = await processedSummary(producer.store);
        return current.distinct_records === 600 && current;
      });
      expect(summary.total).toBe(600);
      expect(summary.perInstance).toHaveLength(2);
    },
  );

  it(
    'lets another process take the subscription lease once its holder is killed',
    { timeout: 120_000 },
    async () => {
      database = await createTestDatabase('cluster');
      const holder = spawnBridge({
        DATABASE_URL: database.url,
        BRIDGE_INSTANCE_ID: 'holder',
        BRIDGE_LEADER_LEASE_SECONDS: '2',
      });
      children.push(holder);
      await holder.waitForLine((line) => line.msg === 'leadership acquired');

      const standby = await startBridge(
        testConfig({
          DATABASE_URL: database.url,
          BRIDGE_INSTANCE_ID: 'standby',
          BRIDGE_LEADER_LEASE_SECONDS: '2',
        }),
        { modules: [clusterTestModule()], http: false },
      );
      bridges.push(standby);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await standby.context.store.leases.current(CLUSTER_LOCK))?.holder).toBe('holder');
      expect((await leadershipEvents(standby.context.store)).map((event) => event.instance)).toEqual([
        'holder',
      ]);

      const killedAt = Date.now();
      holder.process.kill('SIGKILL');
      await holder.exited;
      const lease = await eventually('the standby to take over', async () => {
        const current = await standby.context.store.leases.current(CLUSTER_LOCK);
        return current?.holder === 'standby' && current;
      });
      const takeoverMs = Date.now() - killedAt;
      // At most one lease lifetime (2 s) plus one polling interval (2/3 s), with slack for a busy machine.
      expect(takeoverMs).toBeLessThan(5000);
      expect(lease.holder).toBe('standby');
      const events = await eventually('the standby’s election', async () => {
        const current = await leadershipEvents(standby.context.store);
        return current.length === 2 && current;
      });
      expect(events.map((event) => `${event.instance}:${event.event}`)).toEqual([
        'holder:elected',
        'standby:elected',
      ]);
    },
  );

  it('hands the lease over at once when its holder stops gracefully', { timeout: 60_000 }, async () => {
    database = await createTestDatabase('cluster');
    const config = (instance: string) =>
      testConfig({
        DATABASE_URL: database!.url,
        BRIDGE_INSTANCE_ID: instance,
        BRIDGE_LEADER_LEASE_SECONDS: '30',
      });
    const leader = await startBridge(config('leader'), { modules: [clusterTestModule()], http: false });
    await eventually(
      'the leader',
      async () => (await leader.context.store.leases.current(CLUSTER_LOCK))?.holder === 'leader',
    );
    const follower = await startBridge(config('follower'), { modules: [clusterTestModule()], http: false });
    bridges.push(follower);
    const stoppedAt = Date.now();
    await leader.stop();
    await eventually(
      'the follower to lead',
      async () => (await follower.context.store.leases.current(CLUSTER_LOCK))?.holder === 'follower',
    );
    // Far sooner than the 30 s lease: the leaving holder released it.
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    const events = await eventually('the follower’s election', async () => {
      const current = await leadershipEvents(follower.context.store);
      return current.length === 3 && current;
    });
    expect(events.map((event) => `${event.instance}:${event.event}`)).toEqual([
      'leader:elected',
      'leader:demoted',
      'follower:elected',
    ]);
  });
  it(
    'lets processes that start at the same moment on a fresh database all set up the queue schema',
    { timeout: 90_000 },
    async () => {
      // pg-boss's schema and queue-partition DDL races between processes (a duplicate schema, or a
      // deadlock); a few rounds make the race all but certain without the setup lock.
      for (let round = 0; round < 3; round += 1) {
        database = await createTestDatabase('cluster');
        const url = database.url;
        const stores = await Promise.all(
          ['a', 'b', 'c'].map((id) => openStore({ databaseUrl: url, dataDir: 'unused', instanceId: id })),
        );
        const queues = stores.map((store) => {
          const queue = createWorkQueue(store);
          for (let flow = 0; flow < 6; flow += 1) {
            queue.defineFlow({
              name: `simultaneous-${flow}`,
              direction: 'salesforce_to_responsys',
              expressLane: true,
              handle: async () => new Map(),
            });
          }
          return queue;
        });
        const started = await Promise.allSettled(queues.map((queue) => queue.start({ workers: false })));
        await Promise.all(queues.map((queue) => queue.stop(100)));
        await Promise.all(stores.map((store) => store.close()));
        await database.drop();
        database = undefined;
        expect(
          started.map((result) => (result.status === 'rejected' ? String(result.reason) : 'started')),
          `round ${round}`,
        ).toEqual(['started', 'started', 'started']);
      }
    },
  );
});

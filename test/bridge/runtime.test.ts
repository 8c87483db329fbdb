import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge } from '../../bridge/src/app.js';
import type { BridgeModule } from '../../bridge/src/module.js';
import { Leadership } from '../../bridge/src/queue/leadership.js';
import { OutcomeCollector } from '../../bridge/src/queue/outcomes.js';
import { silentLogger } from '../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../bridge/src/shared/metrics.js';
import type { Lease, Leases } from '../../bridge/src/store/leases.js';
import { openStore } from '../../bridge/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { testConfig } from './support/config.js';
import { eventually } from './support/queue-harness.js';

describe('bridge runtime lifecycle', () => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it('purges sync-log entries past the retention period and keeps a heartbeat while running', async () => {
    database = await createTestDatabase('runtime');
    const seed = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'seed' });
    const day = 86_400_000;
    await seed.syncLog.record([
      {
        correlationId: 'old',
        flow: 'f',
        direction: 'salesforce_to_responsys',
        outcome: 'succeeded',
        finishedAt: new Date(Date.now() - 31 * day),
      },
      {
        correlationId: 'recent',
        flow: 'f',
        direction: 'salesforce_to_responsys',
        outcome: 'succeeded',
        finishedAt: new Date(Date.now() - 29 * day),
      },
    ]);
    await seed.close();

    const bridge = await startBridge(
      testConfig({ DATABASE_URL: database.url, BRIDGE_INSTANCE_ID: 'keeper' }),
      {
        modules: [],
        http: false,
      },
    );
    try {
      await eventually(
        'the purge',
        async () => (await bridge.context.store.syncLog.historyFor('old')).length === 0,
      );
      expect(await bridge.context.store.syncLog.historyFor('recent')).toHaveLength(1);
      const alive = await bridge.context.store.instances.alive(60);
      expect(alive.map((instance) => instance.instanceId)).toEqual(['keeper']);
    } finally {
      await bridge.stop();
    }
    const after = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'check' });
    expect(await after.instances.alive(60)).toEqual([]);
    await after.close();
  });

  it('records processed records, latency and batch sizes in the metrics', async () => {
    database = await createTestDatabase('runtime');
    const metrics = new BridgeMetrics();
    const module: BridgeModule = {
      name: 'metrics-test',
      register(context) {
        context.queue.defineFlow({
          name: 'f-metrics',
          direction: 'responsys_to_salesforce',
          async handle(batch) {
            const outcomes = new OutcomeCollector();
            for (const item of batch.items) {
              if (item.recordId === 'skip') outcomes.skipped(item, 'opted out', { code: 'OPTED_OUT' });
              else outcomes.succeeded(item);
            }
            context.metrics.echoSuppressed({ flow: 'f-metrics', direction: 'responsys_to_salesforce' }, 2);
            return outcomes.outcomes;
          },
        });
      },
    };
    const bridge = await startBridge(testConfig({ DATABASE_URL: database.url }), {
      modules: [module],
      http: false,
      metrics,
    });
    try {
      await bridge.context.queue.enqueue('f-metrics', [
        {
          objectType: 'Event',
          recordId: 'e1',
          changeType: 'CREATE',
          occurredAt: new Date(Date.now() - 2000).toISOString(),
        },
        { objectType: 'Event', recordId: 'skip', changeType: 'CREATE' },
      ]);
      const text = await eventually('the metrics', async () => {
        const body = (await metrics.render()).body;
        return body.includes('outcome="skipped"') && body;
      });
      expect(text).toContain(
        'responsys_bridge_records_processed_total{flow="f-metrics",outcome="succeeded"} 1',
      );
      expect(text).toContain(
        'responsys_bridge_records_processed_total{flow="f-metrics",outcome="skipped"} 1',
      );
      expect(text).toContain('responsys_bridge_end_to_end_latency_seconds_count{flow="f-metrics"} 1');
      expect(text).toMatch(/responsys_bridge_end_to_end_latency_seconds_bucket\{le="1",flow="f-metrics"\} 0/);
      expect(text).toContain(
        'responsys_bridge_echoes_suppressed_total{flow="f-metrics",direction="responsys_to_salesforce"} 2',
      );
      expect(text).toContain('responsys_bridge_batch_size_count{flow="f-metrics"}');
    } finally {
      await bridge.stop();
    }
  });

  it('runs module hooks in order and lets configure adjust the configuration every part sees', async () => {
    database = await createTestDatabase('runtime');
    const calls: string[] = [];
    const module = (name: string): BridgeModule => ({
      name,
      configure(config) {
        calls.push(`${name}:configure`);
        return { ...config, salesforce: { ...config.salesforce, loginUrl: `http://127.0.0.1:4010/${name}` } };
      },
      register(context) {
        calls.push(`${name}:register:${context.config.salesforce.loginUrl}`);
        context.onShutdown(() => void calls.push(`${name}:onShutdown`));
      },
      start: () => void calls.push(`${name}:start`),
      stop: () => void calls.push(`${name}:stop`),
    });
    const bridge = await startBridge(testConfig({ DATABASE_URL: database.url }), {
      modules: [module('sandbox'), module('flows')],
      http: false,
    });
    expect(bridge.config.salesforce.loginUrl).toBe('http://127.0.0.1:4010/flows');
    await bridge.stop();
    await bridge.stop();
    expect(calls).toEqual([
      'sandbox:configure',
      'flows:configure',
      'sandbox:register:http://127.0.0.1:4010/flows',
      'flows:register:http://127.0.0.1:4010/flows',
      'sandbox:start',
      'flows:start',
      'flows:onShutdown',
      'sandbox:onShutdown',
      'flows:stop',
      'sandbox:stop',
    ]);
  });

  it('runs a one-shot command’s bridge (workers off) without intake or a heartbeat, so it neither takes leases nor counts as a running bridge', async () => {
    database = await createTestDatabase('runtime');
    const calls: string[] = [];
    const bridge = await startBridge(
      testConfig({ DATABASE_URL: database.url, BRIDGE_INSTANCE_ID: 'one-shot' }),
      {
        modules: [
          {
            name: 'flows',
            register: () => void calls.push('register'),
            start: () => void calls.push('start'),
          },
        ],
        http: false,
        workers: false,
        housekeepingIntervalMs: 50,
      },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(calls, 'services are registered, intake never starts').toEqual(['register']);
      expect(await bridge.context.store.instances.alive(60), 'not listed as a running bridge').toEqual([]);
    } finally {
      await bridge.stop();
    }
  });

  it('cleans up after a module fails to register, and reports the module’s error', async () => {
    database = await createTestDatabase('runtime');
    const broken: BridgeModule = {
      name: 'broken',
      register() {
        throw new Error('the mapping metadata could not be loaded');
      },
    };
    await expect(
      startBridge(testConfig({ DATABASE_URL: database.url }), { modules: [broken] }),
    ).rejects.toThrow('the mapping metadata could not be loaded');
    // The store opened before the failure was closed again: no connection of ours is left behind.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      expect(rows[0]!.count).toBe(0);
    } finally {
      await client.end();
    }
  });
});

describe('leadership lease', () => {
  function fakeLeases(behaviour: { renew: () => Promise<boolean> }): Leases {
    const lease: Lease = {
      name: 'x',
      holder: 'me',
      acquiredAt: new Date(),
      renewedAt: new Date(),
      expiresAt: new Date(),
    };
    return {
      tryAcquire: async () => lease,
      renew: behaviour.renew,
      release: async () => undefined,
      current: async () => lease,
      list: async () => [lease],
    } as unknown as Leases;
  }

  it('steps down before its lease could expire when the database stops answering', async () => {
    const events: string[] = [];
    let failing = false;
    const leadership = new Leadership({
      name: 'salesforce-streaming',
      holder: 'me',
      ttlSeconds: 1,
      logger: silentLogger(),
      leases: fakeLeases({
        renew: async () => {
          if (failing) throw new Error('connection terminated');
          return true;
        },
      }),
      onElected: () => void events.push('elected'),
      onDemoted: () => void events.push('demoted'),
    });
    leadership.start();
    await eventually('election', () => leadership.isLeader);
    failing = true;
    const failedAt = Date.now();
    await eventually('stepping down', () => !leadership.isLeader);
    expect(Date.now() - failedAt).toBeLessThan(1000);
    expect(events).toEqual(['elected', 'demoted']);
    await leadership.stop();
  });

  it('releases the lease again when the leader work fails to start', async () => {
    const released: string[] = [];
    const leases = fakeLeases({ renew: async () => true });
    (leases as unknown as { release: (name: string) => Promise<void> }).release = async (name: string) => {
      released.push(name);
    };
    const leadership = new Leadership({
      name: 'salesforce-streaming',
      holder: 'me',
      ttlSeconds: 1,
      logger: silentLogger(),
      leases,
      onElected: () => {
        throw new Error('handshake refused');
      },
      onDemoted: () => undefined,
    });
    leadership.start();
    await eventually('the release', () => released.length > 0);
    expect(leadership.isLeader).toBe(false);
    await leadership.stop();
  });
});

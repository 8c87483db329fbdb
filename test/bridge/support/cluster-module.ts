import type { BridgeModule } from '../../../bridge/src/module.js';
import { OutcomeCollector } from '../../../bridge/src/queue/outcomes.js';
import { sleep } from '../../../bridge/src/shared/clock.js';

// A bridge module for multi-process and shutdown tests: a flow that records which process handled
// which record (in its own table, created by a module migration), optionally slowly, and a
// leadership campaign that records elections.

export const CLUSTER_FLOW = 'f-cluster';
export const CLUSTER_LOCK = 'salesforce-streaming';

export function clusterTestModule(
  options: { handlerDelayMs?: number; unhandledRejectionAfterMs?: number } = {},
): BridgeModule {
  const delayMs = options.handlerDelayMs ?? 0;
  return {
    name: 'cluster-test',
    migrations: [
      {
        id: '0001_test_tables',
        sql: `CREATE TABLE bridge.test_processed (record_id text NOT NULL, instance text NOT NULL, attempt int NOT NULL,
                at timestamptz NOT NULL DEFAULT clock_timestamp());
              CREATE TABLE bridge.test_started (instance text NOT NULL, records int NOT NULL,
                at timestamptz NOT NULL DEFAULT clock_timestamp());
              CREATE TABLE bridge.test_leadership (instance text NOT NULL, event text NOT NULL,
                at timestamptz NOT NULL DEFAULT clock_timestamp());`,
      },
    ],
    start() {
      if (options.unhandledRejectionAfterMs !== undefined) {
        // A bug somewhere: a promise nobody awaits rejects.
        setTimeout(
          () => void Promise.reject(new Error('a bug nobody caught')),
          options.unhandledRejectionAfterMs,
        );
      }
    },
    register(context) {
      const instance = context.config.instanceId;
      context.queue.defineFlow({
        name: CLUSTER_FLOW,
        direction: 'salesforce_to_responsys',
        batchSize: 50,
        async handle(batch) {
          await context.store.db.query(
            'INSERT INTO bridge.test_started (instance, records) VALUES ($1, $2)',
            [instance, batch.items.length],
          );
          batch.log.info({ records: batch.items.length }, 'test batch started');
          await sleep(delayMs, batch.signal);
          const outcomes = new OutcomeCollector();
          if (batch.signal.aborted) {
            return outcomes.rest(batch.items, {
              status: 'failed',
              error: 'the bridge shut down before this record was sent',
            }).outcomes;
          }
          await context.store.db.query(
            `INSERT INTO bridge.test_processed (record_id, instance, attempt)
             SELECT unnest($1::text[]), $2, unnest($3::int[])`,
            [batch.items.map((item) => item.recordId), instance, batch.items.map((item) => item.attempt)],
          );
          return outcomes.rest(batch.items, { status: 'succeeded' }).outcomes;
        },
      });
      context.leadership.campaign(CLUSTER_LOCK, {
        onElected: async () => {
          await context.store.db.query(
            `INSERT INTO bridge.test_leadership (instance, event) VALUES ($1, 'elected')`,
            [instance],
          );
        },
        onDemoted: async () => {
          await context.store.db
            .query(`INSERT INTO bridge.test_leadership (instance, event) VALUES ($1, 'demoted')`, [instance])
            .catch(() => undefined);
        },
      });
    },
  };
}

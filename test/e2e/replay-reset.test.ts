import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECONCILE_TASK } from '../../bridge/src/salesforce/reconciliation.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  bridgeEnv,
  CHANNEL,
  eventually,
  repCreatesLeads,
  startEmulators,
  startInProcessBridge,
  type Emulators,
  type InProcessBridge,
} from './support.js';

// A bridge that was down longer than Salesforce keeps events (the saved replay id expired): it raises
// the alert, resumes from the oldest retained event, and the reconciliation it schedules syncs the
// changes whose events are gone, so nothing is silently skipped.

let emulators: Emulators;
let database: TestDatabase;
let running: InProcessBridge | undefined;

beforeAll(async () => {
  emulators = await startEmulators();
  database = await createTestDatabase('e2e_replay');
});

afterAll(async () => {
  await running?.stop();
  await database?.drop();
  await emulators?.close();
});

function statuses(ids: readonly string[]): Array<string | null> {
  return emulators.salesforce
    .query<{ Responsys_Sync_Status__c: string | null }>(
      `SELECT Responsys_Sync_Status__c FROM Lead WHERE Id IN (${ids.map((id) => `'${id}'`).join(',')})`,
    )
    .map((row) => row.Responsys_Sync_Status__c);
}

async function counter(bridge: InProcessBridge, name: string): Promise<number> {
  const metric = await bridge.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.reduce((sum, value) => sum + value.value, 0) ?? 0;
}

describe('a saved replay id past the retention window', () => {
  it(
    'alerts, resumes from the oldest retained event and reconciles the changes whose events expired',
    { timeout: 90_000 },
    async () => {
      const env = bridgeEnv(emulators, database.url);
      running = await startInProcessBridge(env);
      const first = running;
      await eventually('the subscription', () =>
        first.lines.some((line) => line.msg === `subscribed to ${CHANNEL}`),
      );
      const [before] = repCreatesLeads(emulators, 1, 'replay-before-');
      await eventually('the first sync', () => statuses([before!])[0] === 'Synced');
      await running.stop();
      running = undefined;

      // While the bridge is down: changes whose events Salesforce no longer keeps, then one it keeps.
      const lost = repCreatesLeads(emulators, 3, 'replay-lost-');
      emulators.salesforce.streaming.expireEvents();
      const retained = repCreatesLeads(emulators, 1, 'replay-kept-');

      running = await startInProcessBridge(env);
      const bridge = running;
      await eventually('the alert', () =>
        bridge.lines.find(
          (line) =>
            line.level === 'error' && String(line.msg).startsWith('ALERT: Salesforce refused replay id'),
        ),
      );
      expect(await counter(bridge, 'responsys_bridge_stream_replay_resets_total')).toBe(1);
      await eventually('the subscription from -2', () =>
        bridge.lines.some(
          (line) => line.msg === 'subscribing to the Streaming API' && line.replayFrom === -2,
        ),
      );
      await eventually('the retained and the lost Leads synced', () =>
        statuses([...retained, ...lost]).every((status) => status === 'Synced'),
      );

      // The Salesforce write-back comes before the outcome is logged: wait for the sync log too.
      const synced = [...lost, ...retained];
      await eventually('the sync-log lines of the retained and the lost Leads', async () => {
        const { rows } = await bridge.bridge.context.store.db.query<{ salesforce_id: string }>(
          `SELECT salesforce_id FROM bridge.sync_log
           WHERE flow = 'profile-sync' AND outcome = 'succeeded' AND salesforce_id = ANY($1::text[])`,
          [synced],
        );
        return synced.every((id) => rows.some((row) => row.salesforce_id === id));
      });
      await eventually('the reconciliation to finish', () =>
        bridge.lines.some((line) => line.task === RECONCILE_TASK && line.msg === 'task finished'),
      );
      const scheduled = bridge.lines.find((line) =>
        String(line.msg).startsWith('reconciliation scheduled from'),
      );
      expect(scheduled).toBeDefined();
    },
  );
});

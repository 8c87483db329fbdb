import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OutcomeCollector, type FlowBatch, type WorkItem } from '../../../bridge/src/queue/outcomes.js';
import type { WorkQueue } from '../../../bridge/src/queue/work-queue.js';
import { SalesforceFieldMapSource } from '../../../bridge/src/salesforce/field-maps.js';
import {
  reconcileWatermark,
  SalesforceChangeReconciler,
} from '../../../bridge/src/salesforce/reconciliation.js';
import { silentLogger } from '../../../bridge/src/shared/logger.js';
import type { SalesforceEmulator } from '../../emulators/salesforce/index.js';
import { createWorkQueue, eventually } from '../support/queue-harness.js';
import { serverBackend, type OpenedStore } from '../support/stores.js';
import { apiCalls, emulatorClient, startEmulator } from './support.js';

// The reconciliation task re-reads what changed since its watermark and queues it, so changes the
// stream missed are synced anyway; and the field-map source hands the mapping engine the admins'
// metadata records and the objects' fields.

let emulator: SalesforceEmulator;
let opened: OpenedStore;
let queue: WorkQueue;
let received: WorkItem[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ packageTriggers: false });
  opened = await serverBackend.open();
  queue = createWorkQueue(opened.store);
  queue.defineFlow({
    name: 'test-reconciled',
    direction: 'salesforce_to_responsys',
    accepts: () => true,
    async handle(batch: FlowBatch) {
      received.push(...batch.items);
      return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
    },
  });
  await queue.start({ workers: true });
});

afterAll(async () => {
  await queue.stop(2000);
  await opened.cleanup();
  await emulator.close();
});

beforeEach(async () => {
  received = [];
  await opened.store.db.query(
    "DELETE FROM bridge.watermarks WHERE name LIKE 'reconcile-salesforce-changes:%'",
  );
});

function reconciler() {
  const client = emulatorClient(emulator);
  return {
    client,
    reconciler: new SalesforceChangeReconciler({
      client,
      store: opened.store,
      dispatch: (changes, options) => queue.dispatch(changes, options),
      logger: silentLogger(),
      pageSize: 200,
    }),
  };
}

function advanceClock(ms: number) {
  emulator.org.clock.set(new Date(emulator.org.clock.now().getTime() + ms), false);
}

describe('reconcile-salesforce-changes', () => {
  it('only sets its watermark on the first run', async () => {
    const { reconciler: target } = reconciler();
    const result = await target.run();
    expect(result.objects.Lead).toMatchObject({ queued: 0, initialized: true });
    expect(await opened.store.watermarks.get(reconcileWatermark('Lead'))).toBeTruthy();
  });

  it('queues the Leads and Contacts people changed since the watermark, and moves the watermark', async () => {
    const { reconciler: target, client } = reconciler();
    await target.run();
    advanceClock(2000);
    const leads = emulator.insert(
      'Lead',
      Array.from({ length: 250 }, (_, i) => ({ LastName: `recon${i}`, Company: 'Recon Co' })),
    );
    const [contact] = emulator.insert('Contact', [{ LastName: 'Recon Contact' }]);
    const [deleted] = emulator.insert('Lead', [{ LastName: 'to delete', Company: 'Recon Co' }]);
    emulator.delete([deleted!]);
    const [bridgeWrite] = emulator.insert('Lead', [{ LastName: 'bridge wrote me', Company: 'Recon Co' }], {
      asUser: 'bridge@example.com',
    });
    const result = await target.run({ reason: 'operator' });
    expect(result.objects.Lead?.queued).toBe(251);
    expect(result.objects.Contact?.queued).toBe(1);
    expect(result.objects.Lead?.pages).toBe(2);
    await eventually('the queued changes', () => received.length === 252);
    const byId = new Map(received.map((item) => [item.recordId, item]));
    expect(byId.get(leads[0]!)).toMatchObject({
      objectType: 'Lead',
      changeType: 'UPDATE',
      source: 'reconciliation',
    });
    expect(byId.get(contact!)).toMatchObject({ objectType: 'Contact', changeType: 'UPDATE' });
    expect(byId.get(deleted!)).toMatchObject({ changeType: 'DELETE' });
    expect(byId.has(bridgeWrite!)).toBe(false);
    expect(await apiCalls(client, 'query.more')).toBe(1);

    const again = await target.run();
    expect(again.objects.Lead?.queued).toBe(0);
    expect(again.objects.Contact?.queued).toBe(0);
  });

  it('re-reads from an explicit time after a replay reset, a minute early', async () => {
    const { reconciler: target } = reconciler();
    await target.run();
    const gapStart = emulator.org.clock.now();
    advanceClock(5000);
    emulator.insert('Lead', [{ LastName: 'in the gap', Company: 'Gap Co' }]);
    await opened.store.watermarks.set(
      reconcileWatermark('Lead'),
      new Date(gapStart.getTime() + 60_000).toISOString(),
    );
    const result = await target.run({
      since: gapStart.toISOString(),
      reason: 'replay_id_invalid',
      objects: ['Lead'],
    });
    expect(result.objects.Lead?.from).toBe(new Date(gapStart.getTime() - 60_000).toISOString());
    expect(result.objects.Lead?.queued).toBeGreaterThanOrEqual(1);
    expect(result.objects.Contact).toBeUndefined();
  });

  it('pauses inside the API reserve and continues from the watermark later', async () => {
    const { reconciler: target, client } = reconciler();
    await target.run();
    advanceClock(2000);
    emulator.insert('Lead', [{ LastName: 'later', Company: 'Reserve Co' }]);
    emulator.org.limits.setUsed('DailyApiRequests', 99_000);
    await client.query('SELECT Id FROM Lead LIMIT 1');
    const paused = await target.run();
    expect(paused.paused).toMatch(/inside the reserve/);
    expect(paused.objects.Lead).toBeUndefined();
    emulator.org.limits.setUsed('DailyApiRequests', 0);
    await client.query('SELECT Id FROM Lead LIMIT 1');
    const resumed = await target.run();
    expect(resumed.objects.Lead?.queued).toBeGreaterThanOrEqual(1);
  });
});

describe('the field-map source for the mapping engine', () => {
  it('reads every Responsys_Field_Map__mdt record of the package with one query', async () => {
    const client = emulatorClient(emulator);
    const maps = await new SalesforceFieldMapSource(client).loadFieldMaps();
    const shipped = readdirSync(
      new URL('../../../force-app/main/default/customMetadata/', import.meta.url),
    ).filter((file) => file.startsWith('Responsys_Field_Map.'));
    expect(maps).toHaveLength(shipped.length);
    expect(maps.find((map) => map.name === 'Lead_Email')).toEqual({
      name: 'Lead_Email',
      label: 'Lead Email',
      object: 'Lead',
      salesforceField: 'Email',
      responsysColumn: 'EMAIL_ADDRESS_',
      target: 'PROFILE_LIST',
      direction: 'Outbound',
      transform: 'trim|lower',
      active: true,
    });
    expect(maps.find((map) => map.name === 'Contact_Account_Name')).toMatchObject({
      object: 'Contact',
      salesforceField: 'Account.Name',
    });
    expect(await apiCalls(client, 'query')).toBe(1);
  });

  it('describes an object once and serves the fields from its cache', async () => {
    const client = emulatorClient(emulator);
    const source = new SalesforceFieldMapSource(client);
    const fields = (await source.describeFields('Lead'))!;
    await source.describeFields('Lead');
    expect(fields.find((field) => field.name === 'Email')).toMatchObject({ type: 'email', updateable: true });
    expect(fields.find((field) => field.name === 'Responsys_RIID__c')).toMatchObject({
      externalId: true,
      length: 30,
    });
    expect(fields.find((field) => field.name === 'LeadSource')?.picklistValues).toContain('Web');
    expect(await apiCalls(client, 'describe')).toBe(1);
  });

  it('answers undefined for an object the org does not have, so the engine can name the bad record', async () => {
    const source = new SalesforceFieldMapSource(emulatorClient(emulator));
    await expect(source.describeFields('Leed')).resolves.toBeUndefined();
  });
});

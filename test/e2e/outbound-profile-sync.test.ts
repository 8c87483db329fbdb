import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILE_IMPORT_TASK } from '../../bridge/src/flows/profile-sync/module.js';
import { eventually, members, record, startOutboundRig, type OutboundRig } from './outbound-harness.js';

// F4 and the outbound half of F7 end to end: Contact changes keep the profile (and PET) current, only
// changed records are sent; a marketer's edit in Responsys comes back through the profile-list export
// and does not bounce back (echo suppressed and counted); the scheduled reconciliation catches a
// change whose event was lost; an opt-out overtakes queued work for the same person.

let rig: OutboundRig;

beforeAll(async () => {
  rig = await startOutboundRig();
  // The reconciliation's first run only sets its watermark (the stream covers what happens next).
  await rig.bridge.context.services.get('salesforceReconciler').run({ reason: 'test' });
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

const sf = () => rig.emulators.salesforce;

/** How long the backlog's first merge is held: far longer than an opt-out takes to reach Responsys. */
const BACKLOG_HOLD_MS = 5000;

const processed = async (flow: string): Promise<number> => {
  const metric = await rig.metrics.registry
    .getSingleMetric('responsys_bridge_records_processed_total')!
    .get();
  return metric.values
    .filter((value) => value.labels.flow === flow && value.labels.outcome === 'succeeded')
    .reduce((sum, value) => sum + value.value, 0);
};

const contactsByRep = (count: number, prefix: string) =>
  sf().insert(
    'Contact',
    Array.from({ length: count }, (_, i) => ({
      FirstName: `First${i}`,
      LastName: `${prefix}${i}`,
      Email: `${prefix}${i}@example.com`,
      Title: 'Analyst',
      Department: 'Finance',
    })),
    { asUser: 'rep@example.com' },
  );

const syncedStatus = (id: string) =>
  record<{ Responsys_Sync_Status__c: string | null }>(rig, 'Contact', id, 'Responsys_Sync_Status__c')
    .Responsys_Sync_Status__c;

describe('Contact changes keep the Responsys profile current', () => {
  it('sends only the changed records, in one batch, with their profile and PET columns', async () => {
    const ids = contactsByRep(10, 'keep');
    await eventually('the first sync', () => ids.every((id) => syncedStatus(id) === 'Synced'));
    const untouched = members(rig, ids[9]!)[0]!;
    const callsBefore = rig.responsysCalls().mergeListRecipients ?? 0;
    await eventually('the first outcomes', async () => (await processed('profile-sync')) >= 10);
    const processedBefore = await processed('profile-sync');

    sf().update(
      ids.slice(0, 3).map((Id) => ({ Id, Title: 'Manager', Department: 'Operations' })),
      { asUser: 'rep@example.com' },
    );
    await eventually('the three updates', () =>
      ids.slice(0, 3).every((id) => members(rig, id)[0]?.TITLE === 'Manager'),
    );
    await eventually('their outcomes', async () => (await processed('profile-sync')) >= processedBefore + 3);
    expect(await processed('profile-sync')).toBe(processedBefore + 3);
    expect((rig.responsysCalls().mergeListRecipients ?? 0) - callsBefore).toBe(1);
    const riid = members(rig, ids[0]!)[0]!.RIID_;
    const pet = rig.emulators.responsys.control.state(['lists']).lists!.CONTACTS_LIST!.extensions
      .SF_SALES_PET!;
    expect(pet.find((row) => row.RIID_ === riid)).toMatchObject({ DEPARTMENT: 'Operations' });
    expect(members(rig, ids[9]!)[0]).toEqual(untouched);
  });

  it("brings a marketer's edit back into Salesforce once, without an echo going out again", async () => {
    const [id] = contactsByRep(1, 'marketer');
    await eventually('the first sync', () => syncedStatus(id!) === 'Synced');
    const riid = members(rig, id!)[0]!.RIID_!;
    // The export of the bridge's own merge: nothing to bring back.
    await rig.emulators.responsys.control.exportEventFiles();
    await rig.bridge.context.queue.runTask(PROFILE_IMPORT_TASK);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    rig.emulators.responsys.control.updateProfile({
      recipient: { riid },
      fields: { TITLE: 'Head of Marketing Ops' },
    });
    await rig.emulators.responsys.control.exportEventFiles();
    const mergesBefore = rig.responsysCalls().mergeListRecipients ?? 0;
    await rig.bridge.context.queue.runTask(PROFILE_IMPORT_TASK);
    await eventually(
      'Title in Salesforce',
      () => record<{ Title: string }>(rig, 'Contact', id!, 'Title').Title === 'Head of Marketing Ops',
    );
    // The integration user's write published nothing, so nothing was merged back.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(rig.responsysCalls().mergeListRecipients ?? 0).toBe(mergesBefore);
    const echoes = await rig.metrics.registry
      .getSingleMetric('responsys_bridge_echoes_suppressed_total')!
      .get();
    expect(echoes.values.reduce((sum, value) => sum + value.value, 0)).toBeGreaterThan(0);
    const line = (await rig.history(id!)).find((entry) => entry.direction === 'responsys_to_salesforce');
    expect(line?.reason).toContain('Title updated from Responsys');
  });

  it('catches a change whose event was lost with the SystemModstamp reconciliation', async () => {
    const [id] = contactsByRep(1, 'lost');
    await eventually('the first sync', () => syncedStatus(id!) === 'Synced');
    // The hourly platform event allocation is spent: the save stands, its event is refused.
    const publishLimit = (body: object) =>
      fetch(`${sf().url}/__control/limits`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'HourlyPublishedPlatformEvents', ...body }),
      });
    expect((await publishLimit({ max: 1, used: 1 })).status).toBe(200);
    try {
      sf().update([{ Id: id!, Title: 'Changed While Nobody Listened' }], { asUser: 'rep@example.com' });
    } finally {
      await publishLimit({ max: 250_000, used: 0 });
    }
    expect(
      sf()
        .triggers!.refused()
        .some((event) => event.recordId === id),
    ).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(members(rig, id!)[0]?.TITLE).toBe('Analyst');

    const result = await rig.bridge.context.services.get('salesforceReconciler').run({ reason: 'test' });
    expect(result.objects.Contact?.queued).toBeGreaterThan(0);
    await eventually(
      'the reconciled change',
      () => members(rig, id!)[0]?.TITLE === 'Changed While Nobody Listened',
    );
    await fetch(`${sf().url}/__control/limits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'HourlyPublishedPlatformEvents', max: 250_000, used: 0 }),
    });
  });
});

describe('a deleted Contact', () => {
  it('loses its link while its recipient and history stay in Responsys', async () => {
    const [id] = contactsByRep(1, 'deleted');
    await eventually('the first sync', () => syncedStatus(id!) === 'Synced');
    const { identityLinks } = rig.bridge.context.store;
    expect((await identityLinks.forSalesforceIds([id!])).size).toBe(1);
    sf().delete([id!], { asUser: 'rep@example.com' });
    const line = await eventually('the deletion line', async () =>
      (await rig.history(id!)).find((entry) => entry.changeType === 'DELETE'),
    );
    expect(line.reason).toContain('deleted in Salesforce');
    expect((await identityLinks.forSalesforceIds([id!])).size).toBe(0);
    expect(members(rig, id!)).toHaveLength(1);
  });
});

describe('an opt-out leaves Salesforce at once', () => {
  it('reaches Responsys as O ahead of the queued work for the same person, with its source and time', async () => {
    const [id] = contactsByRep(1, 'optout');
    await eventually('the first sync', () => syncedStatus(id!) === 'Synced');
    // A backlog: 600 Contacts the bridge is asked to sync again, then this person's own update, queued
    // after them (one batch of 200 at a time in the flow's queue). The backlog's first profile merge is
    // held, so the backlog and the update behind it are surely still waiting when the opt-out arrives.
    const responsys = rig.emulators.responsys.control;
    const hold = responsys.addFault({
      method: 'POST',
      path: '/rest/api/v1.3/lists/*/members',
      times: 1,
      fault: { type: 'delay', ms: BACKLOG_HOLD_MS },
    });
    const others = sf().insert(
      'Contact',
      Array.from({ length: 600 }, (_, i) => ({ LastName: `Backlog${i}`, Email: `backlog${i}@example.com` })),
      { asUser: 'bridge@example.com' },
    );
    const { queue } = rig.bridge.context;
    await queue.dispatch(
      others.map((recordId) => ({
        objectType: 'Contact',
        recordId,
        changeType: 'UPDATE' as const,
        source: 'test',
      })),
    );
    const queuedUpdate = `queued-update-${id!}`;
    await queue.dispatch([
      {
        objectType: 'Contact',
        recordId: id!,
        changeType: 'UPDATE',
        source: 'test',
        correlationId: queuedUpdate,
      },
    ]);
    await eventually(
      'the backlog held at its first merge',
      () => responsys.faults.list().find((rule) => rule.id === hold.id)?.fired === 1,
    );
    sf().update([{ Id: id!, HasOptedOutOfEmail: true }], { asUser: 'rep@example.com' });
    await eventually('O in Responsys', () => members(rig, id!)[0]?.EMAIL_PERMISSION_STATUS_ === 'O', 30_000);

    const lines = await eventually(
      'both lines',
      async () => {
        const history = (await rig.history(id!)).filter((line) => line.flow === 'profile-sync');
        const optOut = history.find((line) => line.changeType === 'OPT_OUT');
        const update = history.find((line) => line.correlationId === queuedUpdate);
        return optOut && update && { optOut, update };
      },
      60_000,
    );
    expect(lines.update).toMatchObject({ changeType: 'UPDATE', outcome: 'succeeded' });
    expect(lines.optOut.finishedAt.getTime()).toBeLessThan(lines.update.finishedAt.getTime());
    expect(lines.optOut.reason).toMatch(/permission status O \(opted out in Salesforce at /);
    const state = record<{ Responsys_Opt_Out_Source__c: string; Responsys_Opt_Out_At__c: string }>(
      rig,
      'Contact',
      id!,
      'Responsys_Opt_Out_Source__c, Responsys_Opt_Out_At__c',
    );
    expect(state.Responsys_Opt_Out_Source__c).toBe('Salesforce');
    expect(state.Responsys_Opt_Out_At__c).toBeTruthy();
    // The update queued before the opt-out read the current value: Responsys stays at O.
    expect(members(rig, id!)[0]?.EMAIL_PERMISSION_STATUS_).toBe('O');
  }, 90_000);
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PersonChange } from '../../../bridge/src/flows/person-sync/person-sync.js';
import { ProfileImporter } from '../../../bridge/src/flows/profile-sync/profile-import.js';
import type { RecordChangeInput } from '../../../bridge/src/queue/record-change.js';
import { DirectoryLocation } from '../../../bridge/src/responsys/files/index.js';
import { systemClock } from '../../../bridge/src/shared/clock.js';
import { silentLogger } from '../../../bridge/src/shared/logger.js';
import { startPersonSyncRig, type PersonSyncRig } from './support/rigs.js';

// F4 inbound: the Responsys emulator writes profile-list export files (its Connect job) into a
// directory; the importer reads them and brings two-way fields back into Salesforce.

let sequence = 0;
const contactChange = (recordId: string): PersonChange => ({
  key: `Contact:${recordId}`,
  objectType: 'Contact',
  recordId,
  changedFields: [],
  correlationId: `corr-${++sequence}`,
  occurredAt: new Date().toISOString(),
  finalAttempt: false,
});

const seconds = (n: number) => new Promise((resolve) => setTimeout(resolve, n * 1000));

describe('reading Responsys profile-list exports back into Salesforce', () => {
  let rig: PersonSyncRig;
  const queued: RecordChangeInput[] = [];
  let importer: ProfileImporter;

  beforeAll(async () => {
    rig = await startPersonSyncRig();
    importer = new ProfileImporter({
      location: new DirectoryLocation(rig.responsys.emulator.eventFilesDir),
      store: rig.stores.store,
      salesforce: rig.salesforce.client,
      mapping: rig.mapping,
      identity: rig.identity,
      dispatch: async (changes) => void queued.push(...changes),
      listName: rig.responsys.emulator.profileList.name,
      readyMarkers: 'off',
      settleSeconds: 0,
      afterRead: 'move',
      metrics: rig.metrics,
      clock: systemClock,
      logger: silentLogger(),
    });
  });
  afterAll(async () => {
    await rig?.close();
  });
  beforeEach(() => {
    queued.length = 0;
  });

  const contact = (id: string) =>
    rig.salesforce.emulator.query<Record<string, unknown>>(
      `SELECT FirstName, LastName, Title, Phone, LastModifiedById FROM Contact WHERE Id = '${id}'`,
    )[0]!;

  async function syncedContact(fields: Record<string, string>): Promise<{ id: string; riid: string }> {
    const [id] = rig.salesforce.emulator.insert('Contact', [{ LastName: 'Person', ...fields }]);
    const result = (await rig.personSync.sync([contactChange(id!)], { flow: 'profile-sync' })).get(
      `Contact:${id}`,
    )!;
    if (result.status !== 'merged') throw new Error(`not merged: ${JSON.stringify(result)}`);
    return { id: id!, riid: result.riid! };
  }

  it("recognises the bridge's own merges in the export as echoes, counts them and writes nothing", async () => {
    const { id } = await syncedContact({ FirstName: 'Echo', Email: 'echo@example.com', Title: 'Analyst' });
    await rig.responsys.emulator.control.exportEventFiles();
    const before = contact(id);
    const report = await importer.importNow();
    expect(report).toMatchObject({ updated: 0, failed: 0 });
    expect(report.echoes).toBeGreaterThanOrEqual(1);
    expect(contact(id)).toEqual(before);
    const echoes = await rig.metrics.registry
      .getSingleMetric('responsys_bridge_echoes_suppressed_total')!
      .get();
    expect(
      echoes.values.find((value) => value.labels.direction === 'responsys_to_salesforce')?.value,
    ).toBeGreaterThan(0);
    const ledger = await rig.stores.store.syncLedger.forRecords([
      (await rig.stores.store.identityLinks.forSalesforceIds([id])).get(id)!.riid,
    ]);
    expect(ledger.some((entry) => entry.suppressedCount > 0)).toBe(true);
  });

  it("writes a marketer's edit of a two-way field to Salesforce as the integration user, once", async () => {
    const { id, riid } = await syncedContact({
      FirstName: 'Kathrine',
      Email: 'kathrine@example.com',
      Title: 'Engineer',
    });
    await rig.responsys.emulator.control.exportEventFiles();
    await importer.importNow();
    await seconds(1.1);
    rig.responsys.emulator.control.updateProfile({
      recipient: { riid },
      fields: { FIRST_NAME: 'Katherine' },
    });
    await rig.responsys.emulator.control.exportEventFiles();
    const report = await importer.importNow();
    expect(report.updated).toBe(1);
    const after = contact(id);
    expect(after.FirstName).toBe('Katherine');
    const bridgeUser = rig.salesforce.emulator.query<{ Id: string }>(
      "SELECT Id FROM User WHERE Username = 'bridge@example.com'",
    )[0]!.Id;
    expect(after.LastModifiedById).toBe(bridgeUser);
    const [line] = await rig.stores.store.syncLog.historyFor(id);
    expect(line).toMatchObject({
      flow: 'profile-sync',
      direction: 'responsys_to_salesforce',
      outcome: 'succeeded',
    });
    expect(line!.reason).toContain('FirstName updated from Responsys');

    // The same export read again (a second file with the same member) is now an echo.
    rig.responsys.emulator.control.updateProfile({
      recipient: { riid },
      fields: { FIRST_NAME: 'Katherine' },
    });
    await rig.responsys.emulator.control.exportEventFiles();
    expect(await importer.importNow()).toMatchObject({ updated: 0 });
  });

  it("keeps Salesforce's value when Salesforce changed the field after Responsys did, and sends it out again", async () => {
    const { id, riid } = await syncedContact({
      FirstName: 'Ada',
      Email: 'ada.k@example.com',
      Title: 'Analyst',
    });
    await rig.responsys.emulator.control.exportEventFiles();
    await importer.importNow();
    rig.responsys.emulator.control.updateProfile({
      recipient: { riid },
      fields: { TITLE: 'Responsys Title' },
    });
    await seconds(1.1);
    rig.salesforce.emulator.update([{ Id: id, Title: 'Salesforce Title' }]);
    await rig.responsys.emulator.control.exportEventFiles();
    const report = await importer.importNow();
    expect(report).toMatchObject({ updated: 0, keptSalesforce: 1 });
    expect(contact(id).Title).toBe('Salesforce Title');
    expect(queued).toEqual([
      expect.objectContaining({ objectType: 'Contact', recordId: id, changedFields: ['Title'] }),
    ]);
    const [line] = await rig.stores.store.syncLog.historyFor(id);
    expect(line).toMatchObject({ outcome: 'skipped', errorCode: 'SALESFORCE_NEWER' });
  });

  it('applies a Responsys change made after a Salesforce change of the same field (most recent wins)', async () => {
    const { id, riid } = await syncedContact({
      FirstName: 'Barbara',
      Email: 'barbara@example.com',
      Title: 'Analyst',
    });
    await rig.responsys.emulator.control.exportEventFiles();
    await importer.importNow();
    rig.salesforce.emulator.update([{ Id: id, Title: 'Director' }]);
    await seconds(1.1);
    rig.responsys.emulator.control.updateProfile({ recipient: { riid }, fields: { TITLE: 'VP' } });
    await rig.responsys.emulator.control.exportEventFiles();
    expect(await importer.importNow()).toMatchObject({ updated: 1 });
    expect(contact(id).Title).toBe('VP');
  });

  it('reports members without a Salesforce record and reads each file once', async () => {
    await rig.responsys.client.mergeProfileMembers(
      [{ EMAIL_ADDRESS_: 'stranger@example.com', FIRST_NAME: 'Stranger', EMAIL_PERMISSION_STATUS_: 'I' }],
      { matchColumn: 'EMAIL_ADDRESS_', defaultPermissionStatus: 'OPTIN' },
    );
    await rig.responsys.emulator.control.exportEventFiles();
    const report = await importer.importNow();
    expect(report.unmatched).toBe(1);
    expect(report.files.every((file) => file.status === 'done')).toBe(true);
    expect((await importer.importNow()).files).toEqual([]);
  });
});

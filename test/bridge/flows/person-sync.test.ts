import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PersonChange, PersonSyncResult } from '../../../bridge/src/flows/person-sync/person-sync.js';
import { packageWithFieldMaps, type EditedPackage } from './support/package-copy.js';
import { startPersonSyncRig, type PersonSyncRig } from './support/rigs.js';

// The shared outbound step against both emulators: read, map, match, merge, PET, links, write-back.

let sequence = 0;
const change = (
  objectType: 'Lead' | 'Contact',
  recordId: string,
  overrides: Partial<PersonChange> = {},
): PersonChange => ({
  key: `${objectType}:${recordId}`,
  objectType,
  recordId,
  changedFields: [],
  correlationId: `corr-${++sequence}`,
  occurredAt: new Date().toISOString(),
  finalAttempt: false,
  ...overrides,
});

describe('merging Salesforce people into the profile list', () => {
  let rig: PersonSyncRig;
  let edited: EditedPackage;

  beforeAll(async () => {
    // An admin removed the fallback of the LeadSource map and the truncation of the Title map, so an
    // unmapped lead source and a long title are errors for that record.
    edited = packageWithFieldMaps({
      Lead_LeadSource: { Transform__c: 'map:Web=WEB,Phone Inquiry=PHONE,Partner Referral=PARTNER' },
      Lead_Title: { Transform__c: 'trim' },
    });
    rig = await startPersonSyncRig({ salesforce: { forceAppDir: edited.dir } });
  });
  afterAll(async () => {
    await rig?.close();
    edited?.remove();
  });
  beforeEach(() => {
    rig.responsys.emulator.control.reset();
  });

  const member = (customerId: string) =>
    rig.responsys.emulator.control
      .state(['lists'])
      .lists!.CONTACTS_LIST!.members.find((m) => m.CUSTOMER_ID_ === customerId) as
      Record<string, string | null> | undefined;
  const lead = (id: string) =>
    rig.salesforce.emulator.query<Record<string, unknown>>(
      `SELECT Id, Responsys_RIID__c, Responsys_Sync_Status__c, Responsys_Sync_Error__c, Responsys_Last_Synced_At__c FROM Lead WHERE Id = '${id}'`,
    )[0]!;

  it('merges a new Lead with mapped and normalised values, links it and writes the RIID and status back', async () => {
    const [id] = rig.salesforce.emulator.insert('Lead', [
      {
        FirstName: ' Ada ',
        LastName: 'Lovelace',
        Company: 'Analytical Engines',
        Email: 'Ada.Lovelace@Example.COM',
        LeadSource: 'Web',
        Status: 'Open - Not Contacted',
        Title: 'Countess',
      },
    ]);
    const results = await rig.personSync.sync([change('Lead', id!)], { flow: 'test-flow' });
    const result = results.get(`Lead:${id}`)!;
    expect(result).toMatchObject({ status: 'merged', created: true, email: 'ada.lovelace@example.com' });
    const riid = (result as Extract<PersonSyncResult, { status: 'merged' }>).riid;
    expect(member(id!)).toMatchObject({
      RIID_: riid,
      EMAIL_ADDRESS_: 'ada.lovelace@example.com',
      FIRST_NAME: 'Ada',
      LAST_NAME: 'Lovelace',
      COMPANY_NAME: 'Analytical Engines',
      LEAD_SOURCE: 'WEB',
      EMAIL_PERMISSION_STATUS_: 'I',
    });
    const pet = rig.responsys.emulator.control.state(['lists']).lists!.CONTACTS_LIST!.extensions
      .SF_SALES_PET!;
    expect(pet.find((row) => String(row.RIID_) === riid)).toMatchObject({
      LEAD_STATUS: 'Open - Not Contacted',
    });
    expect(lead(id!)).toMatchObject({
      Responsys_RIID__c: riid,
      Responsys_Sync_Status__c: 'Synced',
      Responsys_Sync_Error__c: null,
    });
    expect(lead(id!).Responsys_Last_Synced_At__c).toBeTruthy();
    expect((await rig.stores.store.identityLinks.forSalesforceIds([id!])).get(id!)?.riid).toBe(riid);
  });

  it('sends an opted-out person with permission status O', async () => {
    const [id] = rig.salesforce.emulator.insert('Lead', [
      { LastName: 'Quiet', Company: 'Q', Email: 'quiet@example.com', HasOptedOutOfEmail: true },
    ]);
    const result = (await rig.personSync.sync([change('Lead', id!)], { flow: 'test-flow' })).get(
      `Lead:${id}`,
    )!;
    expect(result).toMatchObject({ status: 'merged', optedOut: true });
    expect(member(id!)?.EMAIL_PERMISSION_STATUS_).toBe('O');
  });

  it('fails bad records alone with the reason on the record, and merges the rest of the batch in one call', async () => {
    const ids = rig.salesforce.emulator.insert('Lead', [
      { LastName: 'Good', Company: 'G', Email: 'good@example.com', LeadSource: 'Web' },
      { LastName: 'Unmapped', Company: 'U', Email: 'unmapped@example.com', LeadSource: 'Other' },
      { LastName: 'Long', Company: 'L', Email: 'long@example.com', Title: 'Head of '.repeat(8) + 'Things' },
      { LastName: 'Fine', Company: 'F', Email: 'fine@example.com', LeadSource: 'Partner Referral' },
    ]);
    const before = rig.responsys.emulator.control.state(['calls']).calls!.total.mergeListRecipients ?? 0;
    const results = await rig.personSync.sync(
      ids.map((id) => change('Lead', id)),
      { flow: 'test-flow' },
    );
    expect(ids.map((id) => results.get(`Lead:${id}`)!.status)).toEqual([
      'merged',
      'failed',
      'failed',
      'merged',
    ]);
    expect(results.get(`Lead:${ids[1]}`)).toMatchObject({ code: 'UNMAPPED_VALUE', retryable: false });
    expect(results.get(`Lead:${ids[2]}`)).toMatchObject({ code: 'VALUE_TOO_LONG', retryable: false });
    expect(lead(ids[1]!)).toMatchObject({ Responsys_Sync_Status__c: 'Failed' });
    expect(String(lead(ids[1]!).Responsys_Sync_Error__c)).toContain('Other');
    expect(String(lead(ids[2]!).Responsys_Sync_Error__c)).toContain('TITLE holds 50');
    expect(member(ids[1]!)).toBeUndefined();
    expect(
      (rig.responsys.emulator.control.state(['calls']).calls!.total.mergeListRecipients ?? 0) - before,
    ).toBe(1);
  });

  it('leaves a Lead alone when a Contact with the same email owns the recipient', async () => {
    rig.salesforce.emulator.insert('Contact', [{ LastName: 'Owner', Email: 'shared@example.com' }]);
    const [id] = rig.salesforce.emulator.insert('Lead', [
      { LastName: 'Dup', Company: 'D', Email: 'Shared@example.com' },
    ]);
    const result = (await rig.personSync.sync([change('Lead', id!)], { flow: 'test-flow' })).get(
      `Lead:${id}`,
    )!;
    expect(result).toMatchObject({ status: 'skipped', code: 'CONTACT_WINS' });
    expect(lead(id!)).toMatchObject({ Responsys_Sync_Status__c: 'Skipped' });
    expect(member(id!)).toBeUndefined();
  });

  it('reports a record deleted since the change as skipped', async () => {
    const [id] = rig.salesforce.emulator.insert('Lead', [
      { LastName: 'Gone', Company: 'G', Email: 'gone@example.com' },
    ]);
    rig.salesforce.emulator.delete([id!]);
    const result = (await rig.personSync.sync([change('Lead', id!)], { flow: 'test-flow' })).get(
      `Lead:${id}`,
    )!;
    expect(result).toMatchObject({ status: 'skipped', code: 'RECORD_NOT_FOUND' });
  });

  describe('two-way columns of an existing recipient', () => {
    it('sends only the changed two-way column, leaving the others to Responsys', async () => {
      const [id] = rig.salesforce.emulator.insert('Contact', [
        { FirstName: 'Grace', LastName: 'Hopper', Email: 'grace@example.com', Title: 'Rear Admiral' },
      ]);
      await rig.personSync.sync([change('Contact', id!)], { flow: 'test-flow' });
      // A marketer corrects FIRST_NAME in Responsys; then a rep changes the Title in Salesforce.
      rig.responsys.emulator.control.updateProfile({
        recipient: { customerId: id! },
        fields: { FIRST_NAME: 'Amazing Grace' },
      });
      rig.salesforce.emulator.update([{ Id: id!, Title: 'Commodore' }]);
      const result = (
        await rig.personSync.sync([change('Contact', id!, { changedFields: ['Title'] })], {
          flow: 'test-flow',
        })
      ).get(`Contact:${id}`)!;
      expect(result.status).toBe('merged');
      expect(member(id!)).toMatchObject({ FIRST_NAME: 'Amazing Grace', TITLE: 'Commodore' });
    });

    it('keeps a two-way value Responsys changed later than Salesforce (most recent change wins)', async () => {
      const [id] = rig.salesforce.emulator.insert('Contact', [
        { FirstName: 'Alan', LastName: 'Turing', Email: 'alan@example.com', Title: 'Fellow' },
      ]);
      await rig.personSync.sync([change('Contact', id!)], { flow: 'test-flow' });
      rig.salesforce.emulator.update([{ Id: id!, Title: 'Reader' }]);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      rig.responsys.emulator.control.updateProfile({
        recipient: { customerId: id! },
        fields: { TITLE: 'Professor' },
      });
      // The reconciliation re-reads the record without knowing what changed.
      const result = (await rig.personSync.sync([change('Contact', id!)], { flow: 'test-flow' })).get(
        `Contact:${id}`,
      )!;
      expect(result).toMatchObject({ status: 'merged', keptInResponsys: ['TITLE'] });
      expect(member(id!)?.TITLE).toBe('Professor');
    });

    it('recognises the bridge own inbound write coming back and counts the echo', async () => {
      const [id] = rig.salesforce.emulator.insert('Contact', [
        { FirstName: 'Edsger', LastName: 'Dijkstra', Email: 'edsger@example.com', Title: 'Professor' },
      ]);
      await rig.personSync.sync([change('Contact', id!)], { flow: 'test-flow' });
      // The inbound side wrote Title from Responsys into Salesforce and remembered it.
      rig.salesforce.emulator.update([{ Id: id!, Title: 'Emeritus' }], { asUser: 'bridge@example.com' });
      await rig.stores.store.syncLedger.recordWrites('responsys_to_salesforce', [
        { recordKey: id!, target: 'Title', value: 'Emeritus' },
      ]);
      const result = (await rig.personSync.sync([change('Contact', id!)], { flow: 'profile-sync' })).get(
        `Contact:${id}`,
      )!;
      expect(result).toMatchObject({ status: 'merged', echoes: ['TITLE'] });
      expect(member(id!)?.TITLE).toBe('Professor');
      const echoes = await rig.metrics.registry
        .getSingleMetric('responsys_bridge_echoes_suppressed_total')!
        .get();
      expect(echoes.values.find((value) => value.labels.flow === 'profile-sync')?.value).toBe(1);
      const [entry] = await rig.stores.store.syncLedger.forRecords([id!]);
      expect(entry).toMatchObject({ target: 'Title', suppressedCount: 1 });
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageWithFieldMaps, type EditedPackage } from '../bridge/flows/support/package-copy.js';
import {
  eventually,
  members,
  programEntries,
  record,
  startOutboundRig,
  type OutboundRig,
} from './outbound-harness.js';

// F1 end to end: a rep's save -> the trigger publishes Responsys_Sync__e -> the bridge merges the Lead
// within seconds, writes its RIID, status and time back, and enters it into the program of the
// matching route, with the eligibility rules applied and every decision in the sync log.

let rig: OutboundRig;
let edited: EditedPackage;

beforeAll(async () => {
  // The admin's mapping has no fallback for unknown lead sources and no truncation of titles, so a
  // Lead with either fails on its own.
  edited = packageWithFieldMaps({
    Lead_LeadSource: { Transform__c: 'map:Web=WEB,Phone Inquiry=PHONE,Partner Referral=PARTNER' },
    Lead_Title: { Transform__c: 'trim' },
  });
  rig = await startOutboundRig({ salesforce: { forceAppDir: edited.dir } });
}, 90_000);

afterAll(async () => {
  await rig?.close();
  edited?.remove();
});

interface LeadState {
  Responsys_RIID__c: string | null;
  Responsys_Sync_Status__c: string | null;
  Responsys_Sync_Error__c: string | null;
  Responsys_Last_Synced_At__c: string | null;
  Responsys_Opt_Out_Source__c: string | null;
}

const leadState = (id: string) =>
  record<LeadState>(
    rig,
    'Lead',
    id,
    'Responsys_RIID__c, Responsys_Sync_Status__c, Responsys_Sync_Error__c, Responsys_Last_Synced_At__c, Responsys_Opt_Out_Source__c',
  );

const repCreates = (leads: Array<Record<string, string | boolean>>) =>
  rig.emulators.salesforce.insert(
    'Lead',
    leads.map((lead, i) => ({ LastName: `Lead${i}`, Company: 'Acme', ...lead })),
    { asUser: 'rep@example.com' },
  );

const synced = (id: string) =>
  eventually(`Lead ${id} synced`, () => {
    const state = leadState(id);
    return state.Responsys_Sync_Status__c !== 'Pending' && state;
  });

describe('a new Lead into its Responsys program', () => {
  it('merges a web Lead within seconds, writes back RIID, status and time, and enters SF_NEW_WEB_LEAD', async () => {
    const [id] = repCreates([{ FirstName: 'Wendy', Email: 'Wendy.Web@Example.com', LeadSource: 'Web' }]);
    const state = await synced(id!);
    expect(state).toMatchObject({ Responsys_Sync_Status__c: 'Synced', Responsys_Sync_Error__c: null });
    const [member] = members(rig, id!);
    expect(member).toMatchObject({
      CUSTOMER_ID_: id,
      EMAIL_ADDRESS_: 'wendy.web@example.com',
      FIRST_NAME: 'Wendy',
      LEAD_SOURCE: 'WEB',
      EMAIL_PERMISSION_STATUS_: 'I',
    });
    expect(state.Responsys_RIID__c).toBe(member!.RIID_);
    await eventually('the program entry', () =>
      programEntries(rig, member!.RIID_).includes('SF_NEW_WEB_LEAD'),
    );
    // The queue writes the profile-sync line when the job completes, after the flow's own writes.
    const history = await eventually('the profile-sync and lead-programs lines', async () => {
      const lines = await rig.history(id!);
      return lines.some((line) => line.flow === 'profile-sync') && lines;
    });
    expect(history.map((line) => [line.flow, line.outcome])).toEqual(
      expect.arrayContaining([
        ['profile-sync', 'succeeded'],
        ['lead-programs', 'succeeded'],
      ]),
    );
  });

  it('enters no program for a Lead no route matches', async () => {
    const [id] = repCreates([{ Email: 'phone.lead@example.com', LeadSource: 'Phone Inquiry' }]);
    const state = await synced(id!);
    expect(state.Responsys_Sync_Status__c).toBe('Synced');
    expect(programEntries(rig, state.Responsys_RIID__c)).toEqual([]);
  });

  it('merges an opted-out web Lead with permission O and skips the program, saying why', async () => {
    const [id] = repCreates([{ Email: 'no.mail@example.com', LeadSource: 'Web', HasOptedOutOfEmail: true }]);
    const state = await synced(id!);
    expect(members(rig, id!)[0]?.EMAIL_PERMISSION_STATUS_).toBe('O');
    expect(state.Responsys_Opt_Out_Source__c).toBe('Salesforce');
    const skip = await eventually('the skip line', async () =>
      (await rig.history(id!)).find((line) => line.flow === 'lead-programs' && line.outcome === 'skipped'),
    );
    expect(skip).toMatchObject({ errorCode: 'OPTED_OUT' });
    expect(skip.reason).toContain('not entered into SF_NEW_WEB_LEAD: opted out of email');
    expect(programEntries(rig, state.Responsys_RIID__c)).toEqual([]);
  });

  it('does not enter a Lead again within the cooldown when it becomes a web Lead again', async () => {
    const [id] = repCreates([{ Email: 'cool.down@example.com', LeadSource: 'Web' }]);
    const state = await synced(id!);
    await eventually('the first entry', () => programEntries(rig, state.Responsys_RIID__c).length === 1);
    rig.emulators.salesforce.update([{ Id: id!, LeadSource: 'Partner Referral' }], {
      asUser: 'rep@example.com',
    });
    await eventually(
      'the second sync',
      async () => (await rig.history(id!)).filter((l) => l.flow === 'profile-sync').length >= 2,
    );
    rig.emulators.salesforce.update([{ Id: id!, LeadSource: 'Web' }], { asUser: 'rep@example.com' });
    const skip = await eventually('the cooldown skip', async () =>
      (await rig.history(id!)).find((line) => line.flow === 'lead-programs' && line.errorCode === 'COOLDOWN'),
    );
    expect(skip.reason).toMatch(/cooldown 30 days/);
    expect(programEntries(rig, state.Responsys_RIID__c)).toEqual(['SF_NEW_WEB_LEAD']);
  });

  it('never enters twice for one change: a replayed creation event finds its entry', async () => {
    const [id] = repCreates([{ Email: 'replayed@example.com', LeadSource: 'Web' }]);
    const state = await synced(id!);
    await eventually('the entry', () => programEntries(rig, state.Responsys_RIID__c).length === 1);
    await rig.bridge.context.queue.dispatch([
      { objectType: 'Lead', recordId: id!, changeType: 'CREATE', source: 'replay' },
    ]);
    const skip = await eventually('the duplicate skip', async () =>
      (await rig.history(id!)).find(
        (line) => line.flow === 'lead-programs' && line.errorCode === 'ALREADY_ENTERED',
      ),
    );
    expect(skip.reason).toContain('this change entered it');
    expect(programEntries(rig, state.Responsys_RIID__c)).toEqual(['SF_NEW_WEB_LEAD']);
  });

  it('fails bad records of a batch alone, with the reason on each Lead, and merges the others', async () => {
    const before = rig.responsysCalls().mergeListRecipients ?? 0;
    const ids = repCreates([
      { Email: 'batch.good1@example.com', LeadSource: 'Web' },
      { Email: 'batch.unmapped@example.com', LeadSource: 'Other' },
      {
        Email: 'batch.long@example.com',
        Title: 'Senior Vice President of Global Strategic Partnerships and Alliances',
      },
      { Email: 'batch.good2@example.com', LeadSource: 'Partner Referral' },
    ]);
    const states = await Promise.all(ids.map((id) => synced(id)));
    expect(states.map((state) => state.Responsys_Sync_Status__c)).toEqual([
      'Synced',
      'Failed',
      'Failed',
      'Synced',
    ]);
    expect(states[1]!.Responsys_Sync_Error__c).toContain('"Other"');
    expect(states[2]!.Responsys_Sync_Error__c).toContain('TITLE holds 50');
    expect(members(rig, ids[1]!)).toEqual([]);
    expect(members(rig, ids[2]!)).toEqual([]);
    expect((rig.responsysCalls().mergeListRecipients ?? 0) - before).toBe(1);
    const failure = await eventually('the dead letter line', async () =>
      (await rig.history(ids[1]!)).find((line) => line.flow === 'profile-sync'),
    );
    expect(failure).toMatchObject({ outcome: 'dead_lettered', errorCode: 'UNMAPPED_VALUE' });
  });
});

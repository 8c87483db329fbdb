import type { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PublishedPlatformEvent, SalesforceEmulator } from '../index.js';
import { FIELD_MAP_TYPE } from '../triggers/watched-fields.js';
import { api, control, jwtConnection, startEmulator } from './helpers.js';
import { subscribed, waitFor } from './streaming-support.js';

// The model of the package's triggers (docs/salesforce-package.md, "How changes are published"):
// the same Responsys_Sync__e events after the same changes, whatever API made them, the before-save
// stamps, and nothing for the bridge's integration user.

const REP = 'rep@example.com';
const BRIDGE = 'bridge@example.com';

let emulator: SalesforceEmulator;
let rep: Connection;
let bridge: Connection;
let published: PublishedPlatformEvent[] = [];

/** Published events without the per-event parts (correlation id, dates), for exact comparisons. */
function sent() {
  return published.map((e) => {
    const p = e.payload;
    const out: Record<string, unknown> = {
      Object_Type__c: p.Object_Type__c,
      Change_Type__c: p.Change_Type__c,
    };
    for (const field of [
      'Record_Id__c',
      'Changed_Fields__c',
      'Related_Id__c',
      'Previous_Value__c',
      'New_Value__c',
    ]) {
      if (p[field] !== null) out[field] = p[field];
    }
    return out;
  });
}

function row(id: string): Record<string, unknown> {
  return emulator.query(
    `SELECT FIELDS(ALL) FROM ${id.startsWith('00Q') ? 'Lead' : 'Contact'} WHERE Id = '${id}' LIMIT 1`,
  )[0]!;
}

beforeAll(async () => {
  emulator = await startEmulator();
  rep = await jwtConnection(emulator, REP);
  bridge = await jwtConnection(emulator, BRIDGE);
  emulator.org.events.subscribe((event) => published.push(event));
});

beforeEach(() => {
  published = [];
});

afterAll(async () => {
  await emulator.close();
});

describe('Lead and Contact', () => {
  it('publishes CREATE with the watched fields that have a value, sorted, and stamps the record Pending', async () => {
    const result = await rep.sobject('Lead').create({
      LastName: 'Lovelace',
      Company: 'Analytical Engines',
      Email: 'ada@example.com',
      LeadSource: 'Web',
      Description: 'not watched',
    });
    expect(sent()).toEqual([
      {
        Object_Type__c: 'Lead',
        Change_Type__c: 'CREATE',
        Record_Id__c: result.id,
        Changed_Fields__c: 'Company,Email,LastName,LeadSource,Status',
      },
    ]);
    expect(published[0]!.payload.CreatedById).toBe(rep.userInfo!.id);
    expect(published[0]!.payload.Correlation_Id__c).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(row(result.id!)).toMatchObject({
      Responsys_Sync_Status__c: 'Pending',
      Responsys_Opt_Out_Source__c: null,
    });
  });

  it('publishes UPDATE only for watched fields: a case fix of the email is a change, a description is not', async () => {
    const [id] = emulator.insert('Contact', [{ LastName: 'Hopper', Email: 'Grace@Example.com' }], {
      asUser: BRIDGE,
    });
    await rep.sobject('Contact').update({ Id: id!, Description: 'met at the conference' });
    expect(sent()).toEqual([]);
    expect(row(id!).Responsys_Sync_Status__c).toBeNull();
    await rep.sobject('Contact').update({ Id: id!, Email: 'grace@example.com', Title: 'Rear Admiral' });
    expect(sent()).toEqual([
      {
        Object_Type__c: 'Contact',
        Change_Type__c: 'UPDATE',
        Record_Id__c: id,
        Changed_Fields__c: 'Email,Title',
      },
    ]);
    expect(row(id!).Responsys_Sync_Status__c).toBe('Pending');
  });

  it('watches Account.Name on Contact through AccountId', async () => {
    const [accountId] = emulator.insert('Account', [{ Name: 'Navy' }]);
    const [id] = emulator.insert('Contact', [{ LastName: 'Hopper' }], { asUser: BRIDGE });
    published = [];
    emulator.update([{ Id: id!, AccountId: accountId! }]);
    emulator.update([{ Id: accountId!, Name: 'US Navy' }]);
    expect(sent()).toEqual([
      {
        Object_Type__c: 'Contact',
        Change_Type__c: 'UPDATE',
        Record_Id__c: id,
        Changed_Fields__c: 'AccountId',
      },
    ]);
  });

  it('publishes OPT_OUT and OPT_IN for the opt-out flag instead of UPDATE, after the UPDATEs of the same trigger run, and stamps the source and time', async () => {
    const leadId = emulator.insert('Lead', [{ LastName: 'A', Company: 'C' }], { asUser: BRIDGE })[0]!;
    const contactIds = emulator.insert('Contact', [{ LastName: 'B' }, { LastName: 'C' }], { asUser: BRIDGE });
    const results = await rep
      .sobject('Lead')
      .update([{ Id: leadId, HasOptedOutOfEmail: true, Phone: '555-0100' }]);
    expect(results[0]!.success).toBe(true);
    await api(emulator, rep.accessToken!, 'PATCH', '/composite/sobjects', {
      records: [
        { attributes: { type: 'Contact' }, Id: contactIds[0], HasOptedOutOfEmail: true },
        { attributes: { type: 'Contact' }, Id: contactIds[1], Title: 'Engineer' },
      ],
    });
    expect(sent()).toEqual([
      { Object_Type__c: 'Lead', Change_Type__c: 'UPDATE', Record_Id__c: leadId, Changed_Fields__c: 'Phone' },
      {
        Object_Type__c: 'Lead',
        Change_Type__c: 'OPT_OUT',
        Record_Id__c: leadId,
        Changed_Fields__c: 'HasOptedOutOfEmail',
      },
      {
        Object_Type__c: 'Contact',
        Change_Type__c: 'UPDATE',
        Record_Id__c: contactIds[1],
        Changed_Fields__c: 'Title',
      },
      {
        Object_Type__c: 'Contact',
        Change_Type__c: 'OPT_OUT',
        Record_Id__c: contactIds[0],
        Changed_Fields__c: 'HasOptedOutOfEmail',
      },
    ]);
    const optedOut = row(leadId);
    expect(optedOut.Responsys_Opt_Out_Source__c).toBe('Salesforce');
    expect(optedOut.Responsys_Opt_Out_At__c).toBe(optedOut.LastModifiedDate);

    published = [];
    await rep.sobject('Lead').update({ Id: leadId, HasOptedOutOfEmail: false });
    expect(sent()).toEqual([
      {
        Object_Type__c: 'Lead',
        Change_Type__c: 'OPT_IN',
        Record_Id__c: leadId,
        Changed_Fields__c: 'HasOptedOutOfEmail',
      },
    ]);
    expect(row(leadId)).toMatchObject({ Responsys_Opt_Out_Source__c: null, Responsys_Opt_Out_At__c: null });
  });

  it('publishes DELETE and UNDELETE, but nothing for the campaign members a Lead delete cascades to', async () => {
    const [campaignId] = emulator.insert('Campaign', [{ Name: 'Spring' }]);
    const [leadId] = emulator.insert('Lead', [{ LastName: 'A', Company: 'C' }]);
    emulator.insert('CampaignMember', [{ CampaignId: campaignId!, LeadId: leadId! }]);
    published = [];
    await rep.sobject('Lead').delete(leadId!);
    await api(emulator, rep.accessToken!, 'POST', '/__control/records/undelete', { ids: [leadId] });
    expect(sent()).toEqual([
      { Object_Type__c: 'Lead', Change_Type__c: 'DELETE', Record_Id__c: leadId },
      { Object_Type__c: 'Lead', Change_Type__c: 'UNDELETE', Record_Id__c: leadId },
    ]);
  });

  it('follows lead conversion: the new Contact, the moved campaign member and the Lead status', async () => {
    const [campaignId] = emulator.insert('Campaign', [{ Name: 'Convert' }]);
    const [leadId] = emulator.insert('Lead', [
      { LastName: 'Turing', Company: 'Bletchley', Email: 'at@example.com' },
    ]);
    const [memberId] = emulator.insert('CampaignMember', [{ CampaignId: campaignId!, LeadId: leadId! }]);
    published = [];
    const converted = emulator.convertLead(leadId!, { doNotCreateOpportunity: true });
    expect(sent()).toEqual(
      expect.arrayContaining([
        {
          Object_Type__c: 'Contact',
          Change_Type__c: 'CREATE',
          Record_Id__c: converted.contactId,
          Changed_Fields__c: 'AccountId,Email,LastName',
        },
        {
          Object_Type__c: 'CampaignMember',
          Change_Type__c: 'UPDATE',
          Record_Id__c: memberId,
          Related_Id__c: campaignId,
          Changed_Fields__c: 'ContactId',
        },
        {
          Object_Type__c: 'Lead',
          Change_Type__c: 'UPDATE',
          Record_Id__c: leadId,
          Changed_Fields__c: 'Status',
        },
      ]),
    );
    expect(sent()).toHaveLength(3);
  });

  it('stops watching a field whose field map is switched off, and keeps watching Email and the opt-out flag', async () => {
    const [map] = emulator.query<{ Id: string }>(
      `SELECT Id FROM ${FIELD_MAP_TYPE} WHERE DeveloperName = 'Lead_Phone'`,
    );
    const [leadId] = emulator.insert('Lead', [{ LastName: 'A', Company: 'C' }], { asUser: BRIDGE });
    emulator.org.pipeline.run(
      { user: { id: emulator.org.adminUserId, username: 'admin@example.com' }, api: 'control', client: null },
      (unit) => unit.update(FIELD_MAP_TYPE, map!.Id, { Active__c: false }, { trusted: true }),
    );
    try {
      emulator.update([{ Id: leadId!, Phone: '555-0199' }]);
      expect(sent()).toEqual([]);
      emulator.update([{ Id: leadId!, Email: 'new@example.com' }]);
      expect(sent()).toEqual([
        {
          Object_Type__c: 'Lead',
          Change_Type__c: 'UPDATE',
          Record_Id__c: leadId,
          Changed_Fields__c: 'Email',
        },
      ]);
    } finally {
      emulator.org.pipeline.run(
        {
          user: { id: emulator.org.adminUserId, username: 'admin@example.com' },
          api: 'control',
          client: null,
        },
        (unit) => unit.update(FIELD_MAP_TYPE, map!.Id, { Active__c: true }, { trusted: true }),
      );
    }
  });
});

describe('Opportunity and CampaignMember', () => {
  it('publishes nothing when an Opportunity is created, and STAGE_CHANGE with both stages when the stage moves', async () => {
    const created = await rep
      .sobject('Opportunity')
      .create({ Name: 'Deal', StageName: 'Proposal/Price Quote', CloseDate: '2030-01-31' });
    await rep.sobject('Opportunity').update({ Id: created.id!, Amount: 1000 });
    expect(sent()).toEqual([]);
    await rep.sobject('Opportunity').update({ Id: created.id!, StageName: 'Closed Won' });
    expect(sent()).toEqual([
      {
        Object_Type__c: 'Opportunity',
        Change_Type__c: 'STAGE_CHANGE',
        Record_Id__c: created.id,
        Previous_Value__c: 'Proposal/Price Quote',
        New_Value__c: 'Closed Won',
      },
    ]);
  });

  it('publishes campaign member CREATE, UPDATE of watched fields only, and DELETE, each with the CampaignId', async () => {
    const [campaignId] = emulator.insert('Campaign', [{ Name: 'Webinar' }]);
    const [contactId] = emulator.insert('Contact', [{ LastName: 'M' }]);
    published = [];
    const created = await rep
      .sobject('CampaignMember')
      .create({ CampaignId: campaignId, ContactId: contactId });
    await rep.sobject('CampaignMember').update({ Id: created.id!, Status: 'Sent' });
    await rep.sobject('CampaignMember').update({ Id: created.id!, Status: 'Responded' });
    await rep.sobject('CampaignMember').delete(created.id!);
    expect(sent()).toEqual([
      {
        Object_Type__c: 'CampaignMember',
        Change_Type__c: 'CREATE',
        Record_Id__c: created.id,
        Related_Id__c: campaignId,
      },
      {
        Object_Type__c: 'CampaignMember',
        Change_Type__c: 'UPDATE',
        Record_Id__c: created.id,
        Related_Id__c: campaignId,
        Changed_Fields__c: 'HasResponded,Status',
      },
      {
        Object_Type__c: 'CampaignMember',
        Change_Type__c: 'DELETE',
        Record_Id__c: created.id,
        Related_Id__c: campaignId,
      },
    ]);
  });
});

describe('who made the change, and how', () => {
  it('publishes nothing and stamps nothing for the integration user, who may set the opt-out source itself', async () => {
    const [leadId] = emulator.insert('Lead', [{ LastName: 'Synced', Company: 'C' }], { asUser: BRIDGE });
    await bridge.sobject('Lead').update({
      Id: leadId!,
      Email: 'synced@example.com',
      HasOptedOutOfEmail: true,
      Responsys_Opt_Out_Source__c: 'Responsys',
      Responsys_Sync_Status__c: 'Synced',
    });
    await bridge
      .sobject('Opportunity')
      .create({ Name: 'D', StageName: 'Prospecting', CloseDate: '2030-01-01' });
    expect(sent()).toEqual([]);
    expect(row(leadId!)).toMatchObject({
      Responsys_Opt_Out_Source__c: 'Responsys',
      Responsys_Sync_Status__c: 'Synced',
    });
  });

  it('publishes after commit only: a rolled-back allOrNone collection publishes nothing', async () => {
    const response = await api<Array<{ success: boolean }>>(
      emulator,
      rep.accessToken!,
      'POST',
      '/composite/sobjects',
      {
        allOrNone: true,
        records: [
          { attributes: { type: 'Lead' }, LastName: 'Good', Company: 'C' },
          { attributes: { type: 'Lead' }, LastName: 'No company' },
        ],
      },
    );
    expect(response.body.map((r) => r.success)).toEqual([false, false]);
    expect(sent()).toEqual([]);
  });

  it('publishes for the good records of a partly failed collection, one event each', async () => {
    const response = await api<Array<{ success: boolean; id?: string }>>(
      emulator,
      rep.accessToken!,
      'POST',
      '/composite/sobjects',
      {
        records: [
          { attributes: { type: 'Lead' }, LastName: 'One', Company: 'C' },
          { attributes: { type: 'Lead' }, LastName: 'No company' },
          { attributes: { type: 'Lead' }, LastName: 'Three', Company: 'C' },
        ],
      },
    );
    expect(response.body.map((r) => r.success)).toEqual([true, false, true]);
    expect(sent().map((e) => e.Record_Id__c)).toEqual([response.body[0]!.id, response.body[2]!.id]);
  });

  it('publishes for Bulk API 2.0 loads by a person, as Apex triggers fire for Bulk, and not for the integration user', async () => {
    const records = Array.from({ length: 250 }, (_, i) => ({ LastName: `Bulk ${i}`, Company: 'Loaded' }));
    const repResults = await rep.bulk2.loadAndWaitForResults({
      object: 'Lead',
      operation: 'insert',
      input: records,
    });
    expect(repResults.successfulResults).toHaveLength(250);
    await emulator.bulkIdle();
    expect(published).toHaveLength(250);
    expect(new Set(published.map((e) => e.payload.Record_Id__c))).toEqual(
      new Set(repResults.successfulResults.map((r) => r.sf__Id)),
    );
    expect(new Set(published.map((e) => e.payload.Correlation_Id__c)).size).toBe(250);

    published = [];
    await bridge.bulk2.loadAndWaitForResults({
      object: 'Lead',
      operation: 'insert',
      input: records.slice(0, 10),
    });
    await emulator.bulkIdle();
    expect(published).toEqual([]);
  });

  it('refuses events once the hourly publishing allocation is spent, and the save still succeeds', async () => {
    await control(emulator, 'POST', '/limits', { name: 'HourlyPublishedPlatformEvents', used: 250_000 });
    try {
      const created = await rep.sobject('Lead').create({ LastName: 'Quiet', Company: 'C' });
      expect(created.success).toBe(true);
      expect(sent()).toEqual([]);
      expect(emulator.triggers!.refused().at(-1)).toEqual({
        changeType: 'CREATE',
        objectType: 'Lead',
        recordId: created.id,
        reason: 'LIMIT_EXCEEDED: HourlyPublishedPlatformEvents',
      });
    } finally {
      await control(emulator, 'POST', '/limits', { name: 'HourlyPublishedPlatformEvents', used: 0 });
    }
  });
});

describe('end to end through the Streaming API', () => {
  it('delivers the rep’s change to a jsforce subscriber, and never the integration user’s', async () => {
    const streaming = await startEmulator({ streaming: { longPollTimeoutMs: 500 } });
    try {
      const repConn = await jwtConnection(streaming, REP);
      const bridgeConn = await jwtConnection(streaming, BRIDGE);
      const subscriber = await subscribed(bridgeConn);
      try {
        await bridgeConn.sobject('Lead').create({ LastName: 'By the bridge', Company: 'C' });
        const byRep = await repConn.sobject('Lead').create({ LastName: 'By the rep', Company: 'C' });
        const [event] = await subscriber.waitForEvents(1);
        expect(event!.payload).toMatchObject({
          Object_Type__c: 'Lead',
          Record_Id__c: byRep.id,
          Change_Type__c: 'CREATE',
          CreatedById: repConn.userInfo!.id,
        });
        await waitFor('a quiet moment', () => streaming.streaming.state().clients[0]?.connected);
        expect(subscriber.events).toHaveLength(1);
      } finally {
        await subscriber.close();
      }
    } finally {
      await streaming.close();
    }
  });

  it('models nothing when switched off', async () => {
    const plain = await startEmulator({ packageTriggers: false });
    try {
      const events: PublishedPlatformEvent[] = [];
      plain.org.events.subscribe((e) => events.push(e));
      const [id] = plain.insert('Lead', [{ LastName: 'Raw', Company: 'C', Email: 'raw@example.com' }]);
      expect(events).toEqual([]);
      expect(plain.query(`SELECT Responsys_Sync_Status__c FROM Lead WHERE Id = '${id}'`)[0]).toMatchObject({
        Responsys_Sync_Status__c: null,
      });
    } finally {
      await plain.close();
    }
  });
});

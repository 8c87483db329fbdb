import type { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CommittedTransaction, SalesforceEmulator } from '../index.js';
import { api, control, jwtConnection, startEmulator } from './helpers.js';

let emulator: SalesforceEmulator;
let conn: Connection;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator();
  conn = await jwtConnection(emulator);
  token = conn.accessToken!;
});

beforeEach(() => emulator.reset());

afterAll(async () => {
  await emulator.close();
});

function newCampaign(name = 'Webinar') {
  return emulator.insert('Campaign', [{ Name: name }])[0]!;
}

describe('converted leads', () => {
  it('converts a lead through the control API and then rejects updates with CANNOT_UPDATE_CONVERTED_LEAD', async () => {
    const leadId = emulator.insert('Lead', [
      {
        FirstName: 'Ava',
        LastName: 'Garcia',
        Company: 'Contoso',
        Email: 'ava@contoso.example',
        City: 'Boston',
      },
    ])[0]!;
    const converted = await control<{ accountId: string; contactId: string; opportunityId: string }>(
      emulator,
      'POST',
      `/leads/${leadId}/convert`,
      { opportunityName: 'Contoso - Pilot' },
    );
    expect(converted.status).toBe(200);
    const lead = emulator.query<Record<string, unknown>>(
      `SELECT IsConverted, Status, ConvertedContactId, ConvertedAccountId, ConvertedOpportunityId, ConvertedDate FROM Lead WHERE Id = '${leadId}'`,
    )[0]!;
    expect(lead).toMatchObject({
      IsConverted: true,
      Status: 'Closed - Converted',
      ConvertedContactId: converted.body.contactId,
      ConvertedAccountId: converted.body.accountId,
      ConvertedOpportunityId: converted.body.opportunityId,
    });
    const contact = emulator.query<Record<string, unknown>>(
      `SELECT FirstName, Email, MailingCity, Account.Name FROM Contact WHERE Id = '${converted.body.contactId}'`,
    )[0]!;
    expect(contact).toMatchObject({
      FirstName: 'Ava',
      Email: 'ava@contoso.example',
      MailingCity: 'Boston',
      Account: { Name: 'Contoso' },
    });

    const update = await api(emulator, token, 'PATCH', `/sobjects/Lead/${leadId}`, { Title: 'CEO' });
    expect(update).toMatchObject({
      status: 400,
      body: [
        { errorCode: 'CANNOT_UPDATE_CONVERTED_LEAD', message: 'cannot reference converted lead', fields: [] },
      ],
    });
    await expect(conn.sobject('Lead').update({ Id: leadId, Title: 'CEO' })).rejects.toMatchObject({
      errorCode: 'CANNOT_UPDATE_CONVERTED_LEAD',
    });
  });

  it('rejects a Task on a converted lead and a Task whose WhoId is not a Lead or Contact', async () => {
    const [leadId, accountId] = [
      emulator.insert('Lead', [{ LastName: 'L', Company: 'C' }])[0]!,
      emulator.insert('Account', [{ Name: 'A' }])[0]!,
    ];
    const ok = await conn.sobject('Task').create({ WhoId: leadId, Subject: 'Call' });
    expect(ok.success).toBe(true);
    emulator.convertLead(leadId);
    const onConverted = await api(emulator, token, 'POST', '/sobjects/Task', {
      WhoId: leadId,
      Subject: 'Call',
    });
    expect(onConverted.body).toEqual([
      { errorCode: 'CANNOT_UPDATE_CONVERTED_LEAD', message: 'cannot reference converted lead', fields: [] },
    ]);
    const onAccount = await api(emulator, token, 'POST', '/sobjects/Task', {
      WhoId: accountId,
      Subject: 'Call',
    });
    expect(onAccount.body).toEqual([
      {
        errorCode: 'FIELD_INTEGRITY_EXCEPTION',
        message: `Name ID: id value of incorrect type: ${accountId}`,
        fields: ['WhoId'],
      },
    ]);
    const task = emulator.query<Record<string, unknown>>(
      `SELECT Status, Priority, IsClosed, TaskSubtype, WhoId FROM Task WHERE Id = '${ok.id}'`,
    )[0]!;
    // Conversion moved the task to the new contact.
    expect(task).toMatchObject({
      Status: 'Not Started',
      Priority: 'Normal',
      IsClosed: false,
      TaskSubtype: 'Task',
    });
    expect(String(task.WhoId).startsWith('003')).toBe(true);
  });
});

describe('campaign members', () => {
  it('falls back to the campaign default status for an unknown status, and derives HasResponded', async () => {
    const campaignId = newCampaign();
    const [a, b] = emulator.insert('Lead', [
      { LastName: 'A', Company: 'C' },
      { LastName: 'B', Company: 'C' },
    ]);
    const members = await conn.sobject('CampaignMember').create([
      { CampaignId: campaignId, LeadId: a, Status: 'Clicked Pricing' },
      { CampaignId: campaignId, LeadId: b, Status: 'Responded' },
    ]);
    expect(members.every((m) => m.success)).toBe(true);
    const rows = emulator.query<{
      LeadId: string;
      Status: string;
      HasResponded: boolean;
      FirstRespondedDate: string | null;
    }>(
      `SELECT LeadId, Status, HasResponded, FirstRespondedDate FROM CampaignMember WHERE CampaignId = '${campaignId}' ORDER BY LastName`,
    );
    expect(rows).toMatchObject([
      { LeadId: a, Status: 'Sent', HasResponded: false, FirstRespondedDate: null },
      { LeadId: b, Status: 'Responded', HasResponded: true },
    ]);
    expect(rows[1]!.FirstRespondedDate).toMatch(/^\d{4}-\d\d-\d\d$/);
  });

  it('keeps an unknown status when the campaign has no default status', async () => {
    const campaignId = newCampaign();
    const statuses = emulator.query<{ Id: string }>(
      `SELECT Id FROM CampaignMemberStatus WHERE CampaignId = '${campaignId}'`,
    );
    expect(statuses).toHaveLength(2);
    emulator.update(statuses.map((s) => ({ Id: s.Id, IsDefault: false })));
    const leadId = emulator.insert('Lead', [{ LastName: 'A', Company: 'C' }])[0]!;
    const member = await conn
      .sobject('CampaignMember')
      .create({ CampaignId: campaignId, LeadId: leadId, Status: 'Webinar Attended' });
    const row = emulator.query<{ Status: string; HasResponded: boolean }>(
      `SELECT Status, HasResponded FROM CampaignMember WHERE Id = '${member.id}'`,
    )[0]!;
    expect(row).toEqual(expect.objectContaining({ Status: 'Webinar Attended', HasResponded: false }));
  });

  it('refuses HasResponded on write and a second membership of the same person with DUPLICATE_VALUE', async () => {
    const campaignId = newCampaign();
    const contactId = emulator.insert('Contact', [{ LastName: 'C' }])[0]!;
    const readOnly = await api(emulator, token, 'POST', '/sobjects/CampaignMember', {
      CampaignId: campaignId,
      ContactId: contactId,
      HasResponded: true,
    });
    expect(readOnly.body).toMatchObject([
      { errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['HasResponded'] },
    ]);
    expect(
      (
        await api(emulator, token, 'POST', '/sobjects/CampaignMember', {
          CampaignId: campaignId,
          ContactId: contactId,
        })
      ).status,
    ).toBe(201);
    const again = await api(emulator, token, 'POST', '/sobjects/CampaignMember', {
      CampaignId: campaignId,
      ContactId: contactId,
    });
    expect(again.body).toEqual([
      { errorCode: 'DUPLICATE_VALUE', message: 'Already a campaign member.', fields: [] },
    ]);
    const campaign = emulator.query<{ NumberOfContacts: number }>(
      `SELECT NumberOfContacts FROM Campaign WHERE Id = '${campaignId}'`,
    )[0]!;
    expect(campaign.NumberOfContacts).toBe(1);
  });

  it('keeps only the contact when a member names both a lead and a contact, and makes LeadId create-only', async () => {
    const campaignId = newCampaign();
    const [leadId] = emulator.insert('Lead', [{ LastName: 'L', Company: 'C' }]);
    const [contactId] = emulator.insert('Contact', [{ LastName: 'C' }]);
    const member = await conn
      .sobject('CampaignMember')
      .create({ CampaignId: campaignId, LeadId: leadId, ContactId: contactId });
    const row = emulator.query<{ LeadId: string | null; ContactId: string; Type: string }>(
      `SELECT LeadId, ContactId, Type FROM CampaignMember WHERE Id = '${member.id}'`,
    )[0]!;
    expect(row).toMatchObject({ LeadId: null, ContactId: contactId, Type: 'Contact' });
    const update = await api(emulator, token, 'PATCH', `/sobjects/CampaignMember/${member.id}`, {
      LeadId: leadId,
    });
    expect(update.body).toMatchObject([{ errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['LeadId'] }]);
  });
});

describe('opportunities', () => {
  it('creates the primary contact role from ContactId on insert and refuses ContactId on update', async () => {
    const [contactId, other] = emulator.insert('Contact', [{ LastName: 'Primary' }, { LastName: 'Other' }]);
    const opp = await conn.sobject('Opportunity').create({
      Name: 'Deal',
      StageName: 'Proposal/Price Quote',
      CloseDate: '2030-01-31',
      Amount: 1000,
      ContactId: contactId,
    });
    const row = emulator.query<Record<string, unknown>>(
      `SELECT Probability, ExpectedRevenue, IsClosed, ForecastCategoryName, FiscalYear, FiscalQuarter, (SELECT ContactId, IsPrimary FROM OpportunityContactRoles) FROM Opportunity WHERE Id = '${opp.id}'`,
    )[0]!;
    expect(row).toMatchObject({
      Probability: 75,
      ExpectedRevenue: 750,
      IsClosed: false,
      ForecastCategoryName: 'Pipeline',
      FiscalYear: 2030,
      FiscalQuarter: 1,
    });
    expect((row.OpportunityContactRoles as { records: unknown[] }).records).toEqual([
      expect.objectContaining({ ContactId: contactId, IsPrimary: true }),
    ]);
    const update = await api(emulator, token, 'PATCH', `/sobjects/Opportunity/${opp.id}`, {
      ContactId: other,
    });
    expect(update.body).toMatchObject([
      { errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE', fields: ['ContactId'] },
    ]);

    await conn
      .sobject('OpportunityContactRole')
      .create({ OpportunityId: opp.id, ContactId: other, IsPrimary: true });
    const roles = emulator.query<{ ContactId: string; IsPrimary: boolean }>(
      `SELECT ContactId, IsPrimary FROM OpportunityContactRole WHERE OpportunityId = '${opp.id}' AND IsPrimary = true`,
    );
    expect(roles).toEqual([expect.objectContaining({ ContactId: other })]);

    await conn.sobject('Opportunity').update({ Id: opp.id!, StageName: 'Closed Won' });
    const won = emulator.query<Record<string, unknown>>(
      `SELECT IsClosed, IsWon, Probability, LastStageChangeDate FROM Opportunity WHERE Id = '${opp.id}'`,
    )[0]!;
    expect(won).toMatchObject({ IsClosed: true, IsWon: true, Probability: 100 });
    expect(won.LastStageChangeDate).not.toBeNull();
  });
});

describe('deletes', () => {
  it('cascades an account delete to its contacts and their campaign memberships; queryAll still sees them', async () => {
    const accountId = emulator.insert('Account', [{ Name: 'Gone Inc' }])[0]!;
    const contactId = emulator.insert('Contact', [{ LastName: 'C', AccountId: accountId }])[0]!;
    emulator.insert('CampaignMember', [{ CampaignId: newCampaign(), ContactId: contactId }]);
    await conn.sobject('Account').destroy(accountId);
    expect(emulator.query(`SELECT Id FROM Contact WHERE Id = '${contactId}'`)).toEqual([]);
    expect(emulator.query(`SELECT Id FROM CampaignMember WHERE ContactId = '${contactId}'`)).toEqual([]);
    const all = await conn.query<{ IsDeleted: boolean }>(
      `SELECT Id, IsDeleted FROM Contact WHERE Id = '${contactId}'`,
      { scanAll: true },
    );
    expect(all.records).toEqual([expect.objectContaining({ IsDeleted: true })]);
    const undeleted = await control(emulator, 'POST', '/records/undelete', { ids: [accountId] });
    expect(undeleted.status).toBe(200);
    expect(emulator.query(`SELECT Id FROM Contact WHERE Id = '${contactId}'`)).toHaveLength(1);
  });
});

describe('after-commit hook', () => {
  it('reports each committed change with before and after values and the acting user with its custom permissions', async () => {
    const seen: CommittedTransaction[] = [];
    const stop = emulator.onAfterCommit((tx) => seen.push(tx));
    try {
      const leadId = emulator.insert('Lead', [
        { LastName: 'Hook', Company: 'C', Email: 'old@example.com' },
      ])[0]!;
      await conn.sobject('Lead').update({ Id: leadId, Email: 'new@example.com' });
      const failed = await api(emulator, token, 'PATCH', `/sobjects/Lead/${leadId}`, { Email: 'bad' });
      expect(failed.status).toBe(400);

      expect(seen).toHaveLength(2);
      const [insert, update] = seen as [CommittedTransaction, CommittedTransaction];
      expect(insert.user).toMatchObject({ username: 'rep@example.com', customPermissions: [] });
      expect(insert.changes).toEqual([
        expect.objectContaining({ object: 'Lead', id: leadId, kind: 'insert', before: undefined }),
      ]);
      expect(update).toMatchObject({
        api: 'rest',
        user: {
          username: 'bridge@example.com',
          permissionSets: ['Responsys_Bridge_Integration'],
          customPermissions: ['Responsys_Bridge_Integration'],
        },
      });
      const change = update.changes[0]!;
      expect(change).toMatchObject({
        kind: 'update',
        before: { Email: 'old@example.com' },
        after: { Email: 'new@example.com' },
      });
      expect(change.changedFields).toEqual(
        expect.arrayContaining(['Email', 'LastModifiedDate', 'SystemModstamp', 'LastModifiedById']),
      );
      expect(change.changedFields).not.toContain('LastName');
    } finally {
      stop();
    }
  });

  it('reports nothing for a rolled-back allOrNone collection and carries the Sforce-Call-Options client', async () => {
    const seen: CommittedTransaction[] = [];
    const stop = emulator.onAfterCommit((tx) => seen.push(tx));
    try {
      const rolledBack = await api<Array<{ success: boolean }>>(
        emulator,
        token,
        'POST',
        '/composite/sobjects',
        {
          allOrNone: true,
          records: [
            { attributes: { type: 'Lead' }, LastName: 'Ok', Company: 'C' },
            { attributes: { type: 'Lead' }, LastName: 'Missing company' },
          ],
        },
      );
      expect(rolledBack.body.map((r) => r.success)).toEqual([false, false]);
      expect(seen).toEqual([]);
      await api(
        emulator,
        token,
        'POST',
        '/sobjects/Lead',
        { LastName: 'X', Company: 'C' },
        { 'Sforce-Call-Options': 'client=responsys-bridge' },
      );
      expect(seen.map((t) => t.client)).toEqual(['responsys-bridge']);
    } finally {
      stop();
    }
  });
});

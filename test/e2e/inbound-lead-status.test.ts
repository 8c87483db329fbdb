import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEAD_STATUS_FLOW } from '../../bridge/src/flows/engagement/names.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  engagementOf,
  inboundEnv,
  makePeople,
  recordOf,
  startInboundBridge,
  startInboundEmulators,
  type InboundBridge,
  type InboundEmulators,
  type Person,
} from './inbound-support.js';
import { eventually } from './support.js';

// F5 end to end with the package's default status rules (Responsys_Status_Rule__mdt): a click on a
// /pricing link (priority 10), a conversion (20), a score of 60 or more (30), each moving the Lead to
// "Working - Contacted" and creating a Task; the first two also set the campaign member to Responded.

let emulators: InboundEmulators;
let database: TestDatabase;
let running: InboundBridge;

beforeAll(async () => {
  emulators = await startInboundEmulators();
  database = await createTestDatabase('e2e_inbound_lead_status');
  running = await startInboundBridge(inboundEnv(emulators, database.url));
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await database?.drop();
  await emulators?.close();
});

const base = Math.floor(Date.now() / 1000) * 1000;
const ago = (minutes: number) => new Date(base - minutes * 60_000).toISOString();
const repId = () =>
  emulators.salesforce.query<{ Id: string }>("SELECT Id FROM User WHERE Username = 'rep@example.com'")[0]!.Id;

interface TaskRow {
  Id: string;
  Subject: string;
  Description: string;
  OwnerId: string;
  WhoId: string;
  Priority: string;
}
const tasksOf = (leadId: string) =>
  emulators.salesforce.query<TaskRow>(
    `SELECT Id, Subject, Description, OwnerId, WhoId, Priority FROM Task WHERE WhoId = '${leadId}'`,
  );
const leadStatus = (leadId: string) =>
  recordOf<{ Status: string }>(emulators, 'Lead', leadId, ['Status']).Status;

/** A Lead owned by the rep, a member (status Sent) of the Salesforce campaign named like the Responsys one. */
async function leadInCampaign(
  email: string,
  campaignName: string,
  status?: string,
): Promise<Person & { memberId: string }> {
  const [person] = await makePeople(emulators, running, 'Lead', [email], {
    link: true,
    fields: { OwnerId: repId(), ...(status ? { Status: status } : {}) },
  });
  const existing = emulators.salesforce.query<{ Id: string }>(
    `SELECT Id FROM Campaign WHERE Name = '${campaignName}'`,
  )[0];
  const campaignId =
    existing?.Id ??
    emulators.salesforce.insert('Campaign', [{ Name: campaignName, IsActive: true }], {
      asUser: 'admin@example.com',
    })[0]!;
  const [memberId] = emulators.salesforce.insert(
    'CampaignMember',
    [{ CampaignId: campaignId, LeadId: person!.id, Status: 'Sent' }],
    {
      asUser: 'admin@example.com',
    },
  );
  return { ...person!, memberId: memberId! };
}

describe('status rules on new engagement', () => {
  it('moves the Lead, tells its owner with a Task, and marks the campaign member Responded after a /pricing click', async () => {
    const lead = await leadInCampaign('pricing@rules.example', 'SF_Pricing_Offer');
    emulators.responsys.control.injectEngagement([
      {
        type: 'clicked',
        recipient: { riid: lead.riid },
        campaign: 'SF_Pricing_Offer',
        link: { url: 'https://www.example.com/pricing?plan=pro', name: 'Compare plans' },
        occurredAt: ago(30),
      },
    ]);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    await eventually('the Lead to move forward', () => leadStatus(lead.id) === 'Working - Contacted');
    const [task] = await eventually('the Task for the owner', () => {
      const tasks = tasksOf(lead.id);
      return tasks.length > 0 && tasks;
    });
    expect(task).toMatchObject({ OwnerId: repId(), WhoId: lead.id, Priority: 'Normal' });
    expect(task!.Subject).toBe('Responsys: clicked Compare plans in "SF_Pricing_Offer"');
    expect(task!.Description).toContain('Link: https://www.example.com/pricing?plan=pro');
    expect(task!.Description).toContain('Lead Status moved to Working - Contacted.');
    expect(task!.Description).toMatch(new RegExp(`/lightning/r/Lead/${lead.id}/view`));
    const member = await eventually('the campaign member to be Responded', () => {
      const row = recordOf<{ Status: string }>(emulators, 'CampaignMember', lead.memberId, ['Status']);
      return row.Status === 'Responded' && row;
    });
    expect(member.Status).toBe('Responded');

    // The same click read again (a copy of the file under another export name), and the Lead rated
    // again from scratch as after a lost acknowledgement: never a second Task for the same event.
    const processed = join(emulators.filesDir, 'processed');
    const clickFile = (await readdir(processed)).find((name) => name.includes('_CLICK_'))!;
    await copyFile(
      join(processed, clickFile),
      join(emulators.filesDir, clickFile.replace(/_\d{8}_/, '_20000101_')),
    );
    const store = running.bridge.context.store;
    await eventually('the copy to be read', async () =>
      (await store.inboundFiles.list('responsys-ced', 'done')).some((file) =>
        file.fileName.includes('_20000101_'),
      ),
    );
    await store.db.query('DELETE FROM bridge.lead_status_ratings WHERE lead_id = $1', [lead.id]);
    const linesBefore = (await store.syncLog.historyFor(lead.id)).filter(
      (entry) => entry.flow === LEAD_STATUS_FLOW,
    ).length;
    await running.bridge.context.queue.enqueue(LEAD_STATUS_FLOW, {
      objectType: 'Lead',
      recordId: lead.id,
      changeType: 'UPDATE',
      source: 'test',
    });
    await eventually(
      'the Lead to be rated again',
      async () =>
        (await store.syncLog.historyFor(lead.id)).filter((entry) => entry.flow === LEAD_STATUS_FLOW).length >
        linesBefore,
    );
    expect(tasksOf(lead.id)).toHaveLength(1);
  });

  it('never moves a status back, but still tells the owner', async () => {
    const lead = await leadInCampaign('closed@rules.example', 'SF_Welcome_Series', 'Closed - Not Converted');
    emulators.responsys.control.injectEngagement([
      {
        type: 'converted',
        recipient: { riid: lead.riid },
        campaign: 'SF_Welcome_Series',
        order: { id: 'ORD-9', total: '10.00' },
        occurredAt: ago(20),
      },
    ]);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    const [task] = await eventually('the Task for the conversion', () => {
      const tasks = tasksOf(lead.id);
      return tasks.length > 0 && tasks;
    });
    expect(task!.Subject).toBe(
      'Responsys: converted in "SF_Welcome_Series": order ORD-9 (total 10.00, quantity 1)',
    );
    expect(task!.Priority).toBe('High');
    expect(leadStatus(lead.id)).toBe('Closed - Not Converted');
  });

  it('reaches the score rule with the click that takes the score to 60', async () => {
    const lead = await leadInCampaign('score@rules.example', 'SF_Monthly_Newsletter');
    emulators.responsys.control.injectEngagement(
      Array.from({ length: 13 }, (_, index) => ({
        type: 'clicked' as const,
        recipient: { riid: lead.riid },
        campaign: 'SF_Monthly_Newsletter',
        link: { url: `https://www.example.com/blog/${index}` },
        occurredAt: ago(60 - index),
      })),
    );
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    const tasks = await eventually('the score Task', () => {
      const found = tasksOf(lead.id).filter((task) =>
        task.Subject.startsWith('Responsys: engagement score reached'),
      );
      return found.length > 0 && found;
    });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.Description).toContain('(rule: at least 60)');
    expect(leadStatus(lead.id)).toBe('Working - Contacted');
    // No campaign member status in the score rule: the member stays Sent.
    expect(recordOf<{ Status: string }>(emulators, 'CampaignMember', lead.memberId, ['Status']).Status).toBe(
      'Sent',
    );
  });

  it('never touches a converted Lead: its engagement goes to the Contact, and queued work for the Lead is skipped', async () => {
    const lead = await leadInCampaign('converted@rules.example', 'SF_Pricing_Offer');
    const converted = emulators.salesforce.convertLead(lead.id, {
      convertedStatus: 'Closed - Converted',
      asUser: 'admin@example.com',
    });
    emulators.responsys.control.injectEngagement([
      {
        type: 'clicked',
        recipient: { riid: lead.riid },
        campaign: 'SF_Pricing_Offer',
        link: { url: 'https://www.example.com/pricing' },
        occurredAt: ago(10),
      },
    ]);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    await eventually(
      'the click on the Contact the Lead became',
      () => engagementOf(emulators, converted.contactId).length === 1,
    );
    await running.bridge.context.queue.enqueue(LEAD_STATUS_FLOW, {
      objectType: 'Lead',
      recordId: lead.id,
      changeType: 'UPDATE',
      source: 'test',
    });
    const line = await eventually('the skipped status work', async () =>
      (await running.bridge.context.store.syncLog.historyFor(lead.id)).find(
        (entry) => entry.flow === LEAD_STATUS_FLOW,
      ),
    );
    expect(line).toMatchObject({ outcome: 'skipped', errorCode: 'LEAD_CONVERTED' });
    expect(leadStatus(lead.id)).toBe('Closed - Converted');
    expect(tasksOf(lead.id)).toHaveLength(0);
  });
});

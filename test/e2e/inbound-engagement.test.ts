import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngagementEventStore } from '../../bridge/src/flows/engagement/event-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  ADMIN_TOKEN,
  CALLBACK_PASSWORD,
  CALLBACK_USER,
  countEngagement,
  engagementOf,
  inboundEnv,
  makePeople,
  recordOf,
  registerCallback,
  startInboundBridge,
  startInboundEmulators,
  type InboundBridge,
  type InboundEmulators,
} from './inbound-support.js';
import { eventually, spawnCli } from './support.js';

// F2 end to end: engagement injected into the Responsys emulator leaves it the two ways Responsys
// offers (Contact Event Data files over SFTP, Event Notification callbacks) and ends up as
// Responsys_Engagement__c records on the right Lead or Contact, with the summary fields following.

let emulators: InboundEmulators;
let database: TestDatabase;
let running: InboundBridge;

beforeAll(async () => {
  emulators = await startInboundEmulators();
  database = await createTestDatabase('e2e_inbound_engagement');
  running = await startInboundBridge(
    inboundEnv(emulators, database.url, { SALESFORCE_BULK_THRESHOLD: '200' }),
  );
  await registerCallback(running);
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await database?.drop();
  await emulators?.close();
});

// Callbacks go out the moment Responsys records an event, so the events here happened minutes ago
// (whole seconds: Contact Event Data times have no milliseconds).
const base = Math.floor(Date.now() / 1000) * 1000;
const ago = (minutes: number) => new Date(base - minutes * 60_000).toISOString();
const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${running.bridge.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers },
  });
const basic = `Basic ${Buffer.from(`${CALLBACK_USER}:${CALLBACK_PASSWORD}`).toString('base64')}`;

describe('engagement from Contact Event Data files', () => {
  it('turns every feed into one record on the right person, with campaign, offer, detail and summary', async () => {
    const [linked] = await makePeople(emulators, running, 'Contact', ['linked@feeds.example'], {
      link: true,
    });
    const [byCustomerId] = await makePeople(emulators, running, 'Lead', ['customer@feeds.example'], {
      customerId: true,
    });
    // Loaded before the package was installed: no sync status yet.
    const [byEmail] = await makePeople(emulators, running, 'Contact', ['email@feeds.example'], {
      asUser: 'bridge@example.com',
    });
    emulators.responsys.control.injectEngagement([
      {
        type: 'sent',
        recipient: { riid: linked!.riid },
        campaign: 'SF_Pricing_Offer',
        occurredAt: ago(300),
      },
      {
        type: 'opened',
        recipient: { riid: linked!.riid },
        campaign: 'SF_Pricing_Offer',
        occurredAt: ago(295),
      },
      {
        type: 'clicked',
        recipient: { riid: linked!.riid },
        campaign: 'SF_Pricing_Offer',
        occurredAt: ago(294),
        link: { url: 'https://www.example.com/pricing', name: 'See pricing' },
      },
      {
        type: 'converted',
        recipient: { riid: byCustomerId!.riid },
        campaign: 'SF_Welcome_Series',
        occurredAt: ago(240),
        order: { id: 'ORD-1001', total: '249.00', quantity: 2 },
      },
      {
        type: 'skipped',
        recipient: { riid: byCustomerId!.riid },
        campaign: 'SF_Welcome_Series',
        occurredAt: ago(239),
      },
      {
        type: 'failed',
        recipient: { riid: byCustomerId!.riid },
        campaign: 'SF_Welcome_Series',
        occurredAt: ago(238),
      },
      {
        type: 'bounced',
        recipient: { riid: byEmail!.riid },
        bounce: { type: 'soft' },
        occurredAt: ago(180),
      },
      { type: 'complained', recipient: { riid: byEmail!.riid }, occurredAt: ago(150) },
    ]);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });

    const linkedRows = await eventually('the linked Contact to get its three records', () => {
      const rows = engagementOf(emulators, linked!.id);
      // records made from callbacks first are complete once their file rows arrived
      return rows.length === 3 && rows.every((row) => row.Launch_Id__c) && rows;
    });
    expect(linkedRows.map((row) => row.Event_Type__c)).toEqual(['Sent', 'Opened', 'Clicked']);
    expect(linkedRows[2]).toMatchObject({
      Contact__c: linked!.id,
      Lead__c: null,
      Campaign_Name__c: 'SF_Pricing_Offer',
      Responsys_Campaign_Id__c: '310003',
      Launch_Id__c: '5500103',
      Offer_Name__c: 'See pricing',
      Offer_Url__c: 'https://www.example.com/pricing',
    });
    expect(new Date(linkedRows[2]!.Occurred_At__c).toISOString()).toBe(ago(294));
    // The click's callback came first: its file row completed that record instead of adding one.
    expect(linkedRows.map((row) => row.Event_Key__c[0])).toEqual(['F', 'F', 'C']);

    const leadRows = await eventually('the Lead (matched by CUSTOMER_ID) to get its records', () => {
      const rows = engagementOf(emulators, byCustomerId!.id);
      return rows.length === 3 && rows.every((row) => row.Launch_Id__c) && rows;
    });
    expect(leadRows.map((row) => [row.Event_Type__c, row.Detail__c])).toEqual([
      ['Converted', 'ORD-1001 (total 249.00, quantity 2)'],
      ['Skipped', 'Expression resulted in an empty value'],
      ['Failed', 'Message could not be built'],
    ]);
    expect(leadRows[0]!.Lead__c).toBe(byCustomerId!.id);

    const emailRows = await eventually('the Contact matched by email to get its records', () => {
      const rows = engagementOf(emulators, byEmail!.id);
      return rows.length === 2 && rows.every((row) => row.Launch_Id__c) && rows;
    });
    expect(emailRows[0]).toMatchObject({
      Event_Type__c: 'Bounced',
      Detail__c: expect.stringMatching(/^MAILBOX_FULL: 452 4\.2\.2 Mailbox full \(soft bounce\)$/),
    });
    expect(emailRows[1]!.Event_Type__c).toBe('Complained');

    const summary = await eventually('the summary fields of the linked Contact', () => {
      const record = recordOf<Record<string, unknown>>(emulators, 'Contact', linked!.id, [
        'Responsys_Last_Opened_At__c',
        'Responsys_Last_Clicked_At__c',
        'Responsys_Engagement_Score__c',
        'Responsys_Sync_Status__c',
        'Responsys_RIID__c',
      ]);
      // the click may come first by callback, the open with the file
      return record.Responsys_Last_Clicked_At__c && record.Responsys_Last_Opened_At__c ? record : undefined;
    });
    expect(new Date(summary.Responsys_Last_Opened_At__c as string).toISOString()).toBe(ago(295));
    expect(new Date(summary.Responsys_Last_Clicked_At__c as string).toISOString()).toBe(ago(294));
    expect(summary.Responsys_Engagement_Score__c).toBeGreaterThan(0);
    // The outbound sync owns a status it set (Pending here): engagement never hides it.
    expect(summary).toMatchObject({ Responsys_Sync_Status__c: 'Pending', Responsys_RIID__c: linked!.riid });
    const neverSynced = await eventually('the Contact matched by email to be marked Synced', () => {
      const record = recordOf<Record<string, unknown>>(emulators, 'Contact', byEmail!.id, [
        'Responsys_Sync_Status__c',
        'Responsys_RIID__c',
        'Responsys_Last_Synced_At__c',
      ]);
      return record.Responsys_Sync_Status__c === 'Synced' ? record : undefined;
    });
    expect(neverSynced.Responsys_RIID__c).toBe(byEmail!.riid);
    expect(neverSynced.Responsys_Last_Synced_At__c).not.toBeNull();

    // The person matched by email is linked now: the next lookup is direct.
    const links = await running.bridge.context.store.identityLinks.forRiids([byEmail!.riid]);
    expect(links.get(byEmail!.riid)?.map((link) => link.salesforceId)).toEqual([byEmail!.id]);
  });

  it('never writes a second record when a file is read again, under its own name or another', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['replay@feeds.example'], {
      link: true,
    });
    emulators.responsys.control.injectEngagement([
      { type: 'opened', recipient: { riid: person!.riid }, occurredAt: ago(130) },
      { type: 'opened', recipient: { riid: person!.riid }, occurredAt: ago(120) },
    ]);
    const [file] = await emulators.responsys.control.exportEventFiles({
      profileLists: false,
      feeds: ['OPEN'],
    });
    await eventually('the first reading', () => engagementOf(emulators, person!.id).length === 2);
    const before = countEngagement(emulators);
    const processed = join(emulators.filesDir, 'processed', file!.name);
    // The same file dropped again, and the same content under a later export name.
    await copyFile(processed, join(emulators.filesDir, file!.name));
    await copyFile(
      processed,
      join(
        emulators.filesDir,
        file!.name.replace(
          /_(\d{6})\.txt$/,
          (_, t: string) => `_${String(Number(t) + 1).padStart(6, '0')}.txt`,
        ),
      ),
    );
    await eventually('the copy to be read', async () => {
      const files = await running.bridge.context.store.inboundFiles.list('responsys-ced', 'done');
      return (
        files.length >= 2 &&
        (await readdir(emulators.filesDir)).every((name) => !name.endsWith('.txt') || name === file!.name)
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(countEngagement(emulators)).toBe(before);
    expect(engagementOf(emulators, person!.id)).toHaveLength(2);
  });

  it('writes a large batch through Bulk API 2.0 in a few calls', { timeout: 60_000 }, async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['bulk@feeds.example'], { link: true });
    const usageBefore = emulators.salesforce.apiUsage().byKind;
    emulators.responsys.control.injectEngagement(
      Array.from({ length: 250 }, (_, index) => ({
        type: 'opened' as const,
        recipient: { riid: person!.riid },
        occurredAt: new Date(base - 100 * 60_000 + index * 1000).toISOString(),
      })),
    );
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    await eventually(
      '250 opens on the Contact',
      () => engagementOf(emulators, person!.id).length === 250,
      30_000,
    );
    const usage = emulators.salesforce.apiUsage().byKind;
    const bulkCalls = Object.entries(usage)
      .filter(([kind]) => /bulk|ingest|job/i.test(kind))
      .reduce((sum, [kind, count]) => sum + count - (usageBefore[kind] ?? 0), 0);
    expect(bulkCalls).toBeGreaterThan(0);
  });
});

describe('engagement from Event Notification callbacks', () => {
  it('records a click callback at once, and its file row completes that same record later', async () => {
    const [person] = await makePeople(emulators, running, 'Lead', ['callback@feeds.example'], { link: true });
    emulators.responsys.control.injectEngagement([
      {
        type: 'clicked',
        recipient: { riid: person!.riid },
        campaign: 'SF_Monthly_Newsletter',
        occurredAt: ago(90),
        link: { url: 'https://www.example.com/whitepaper', name: 'Whitepaper' },
      },
    ]);
    await emulators.responsys.control.flushNotifications();
    const [fromCallback] = await eventually('the callback record', () => {
      const rows = engagementOf(emulators, person!.id);
      return rows.length === 1 && rows;
    });
    expect(fromCallback).toMatchObject({
      Event_Type__c: 'Clicked',
      Campaign_Name__c: 'SF_Monthly_Newsletter',
      Offer_Url__c: null,
    });
    expect(fromCallback!.Event_Key__c.startsWith('C')).toBe(true);

    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    const completed = await eventually('the file row to complete the callback record', () => {
      const rows = engagementOf(emulators, person!.id);
      return rows.length === 1 && rows[0]!.Offer_Url__c && rows[0];
    });
    expect(completed).toMatchObject({
      Id: fromCallback!.Id,
      Event_Key__c: fromCallback!.Event_Key__c,
      Offer_Url__c: 'https://www.example.com/whitepaper',
      Launch_Id__c: '5500102',
    });
    expect(new Date(completed.Occurred_At__c).toISOString()).toBe(ago(90));
  });

  it('keeps one record when Responsys delivers the same batch twice', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['twice@feeds.example'], { link: true });
    const batch = JSON.stringify([
      {
        campaignId: '310002',
        riid: person!.riid,
        failureType: 'EMAIL_COMPLAINT',
        channelType: 'Email',
        campaignName: 'SF_Monthly_Newsletter',
        optionalData: null,
      },
    ]);
    for (let delivery = 0; delivery < 2; delivery += 1) {
      const response = await fetch(running.callbackUrl, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/json' },
        body: batch,
      });
      expect(response.status).toBe(200);
    }
    await eventually('the complaint on the Contact', () => engagementOf(emulators, person!.id).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(engagementOf(emulators, person!.id)).toHaveLength(1);
  });

  it('refuses callbacks without the credentials, and answers malformed input with a clear 400 without losing the rest', async () => {
    const anonymous = await fetch(running.callbackUrl, { method: 'POST', body: '[]' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);

    const broken = await fetch(running.callbackUrl, {
      method: 'POST',
      headers: { authorization: basic },
      body: '[{"riid": "1",',
    });
    expect(broken.status).toBe(400);
    expect((await broken.json()).error.message).toMatch(/not valid JSON/);

    const [person] = await makePeople(emulators, running, 'Contact', ['mixed@feeds.example'], { link: true });
    const mixed = await fetch(running.callbackUrl, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          riid: person!.riid,
          failureType: 'EMAIL_SKIPPED',
          failureReason: 'No content',
          campaignId: '310001',
          campaignName: 'SF_Welcome_Series',
          channelType: 'Email',
        },
        { failureType: 'EMAIL_CLICKED' },
      ]),
    });
    expect(mixed.status).toBe(400);
    const body = await mixed.json();
    expect(body.error.message).toBe('1 of 2 payload(s) could not be read; the other 1 were stored');
    expect(body.error.details.rejected).toEqual([{ index: 1, reason: 'riid is missing' }]);
    await eventually(
      'the readable payload on the Contact',
      () => engagementOf(emulators, person!.id).length === 1,
    );
    const rejects = await new EngagementEventStore(running.bridge.context.store.db).rejects();
    expect(rejects.map((reject) => reject.reason)).toEqual(
      expect.arrayContaining(['riid is missing', expect.stringMatching(/^the body is not valid JSON/)]),
    );
  });
});

describe('engagement for someone Salesforce does not know yet', () => {
  it('keeps the event, reports it, and writes it once the Lead exists', async () => {
    const merged = await running.responsys.mergeProfileMembers(
      [{ EMAIL_ADDRESS_: 'newcomer@feeds.example', EMAIL_PERMISSION_STATUS_: 'I' }],
      { matchColumn: 'EMAIL_ADDRESS_', defaultPermissionStatus: 'OPTIN' },
    );
    const riid = (merged[0] as { riid: string }).riid;
    emulators.responsys.control.injectEngagement([
      {
        type: 'clicked',
        recipient: { riid },
        link: { url: 'https://www.example.com/demo' },
        occurredAt: ago(80),
      },
    ]);
    await emulators.responsys.control.flushNotifications();
    const [file] = await emulators.responsys.control.exportEventFiles({
      profileLists: false,
      feeds: ['CLICK'],
    });
    await eventually(
      'the click file to be read',
      async () =>
        (await running.bridge.context.store.inboundFiles.get('responsys-ced', file!.name))?.status === 'done',
    );
    const unmatched = await eventually('the unmatched report', async () => {
      const response = await admin('/engagement/unmatched');
      const body = (await response.json()) as {
        unmatched: Array<{ riid: string; events: number; reason: string }>;
      };
      return body.unmatched.find((person) => person.riid === riid);
    });
    expect(unmatched).toMatchObject({
      events: 1,
      reason: 'no Lead or Contact has the email address newcomer@feeds.example',
    });
    // The same report from the CLI, as an operator asks a running bridge.
    const cli = spawnCli(['--url', running.bridge.url!, 'engagement', 'unmatched'], {
      BRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
      BRIDGE_LOG_LEVEL: 'silent',
    });
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain(
      `RIID ${riid} newcomer@feeds.example: 1 event(s) (Clicked); no Lead or Contact has the email address newcomer@feeds.example`,
    );

    const [leadId] = emulators.salesforce.insert(
      'Lead',
      [{ LastName: 'Newcomer', Company: 'New Co', Email: 'newcomer@feeds.example' }],
      {
        asUser: 'admin@example.com',
      },
    );
    const retried = await admin('/engagement/unmatched/retry', {
      method: 'POST',
      body: JSON.stringify({ riid }),
    });
    expect(((await retried.json()) as { queued: number }).queued).toBe(1);
    const rows = await eventually('the click on the new Lead', () => {
      const found = engagementOf(emulators, leadId!);
      return found.length === 1 && found;
    });
    expect(rows[0]).toMatchObject({
      Event_Type__c: 'Clicked',
      Offer_Url__c: 'https://www.example.com/demo',
      Lead__c: leadId,
    });
  });
});

describe('a bounce followed by a click for the same launch', () => {
  it('keeps both on the timeline in order, and the click counts as the last click', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['bounce-click@feeds.example'], {
      link: true,
    });
    emulators.responsys.control.injectEngagement([
      {
        type: 'bounced',
        recipient: { riid: person!.riid },
        campaign: 'SF_Pricing_Offer',
        bounce: { type: 'soft' },
        occurredAt: ago(70),
      },
      {
        type: 'clicked',
        recipient: { riid: person!.riid },
        campaign: 'SF_Pricing_Offer',
        link: { url: 'https://www.example.com/pricing' },
        occurredAt: ago(40),
      },
    ]);
    await emulators.responsys.control.flushNotifications();
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    const rows = await eventually('both events, completed by the file rows', () => {
      const found = engagementOf(emulators, person!.id);
      return found.length === 2 && found.every((row) => row.Launch_Id__c) && found;
    });
    expect(rows.map((row) => [row.Event_Type__c, row.Launch_Id__c])).toEqual([
      ['Bounced', '5500103'],
      ['Clicked', '5500103'],
    ]);
    expect(rows[0]!.Detail__c).toMatch(/^MAILBOX_FULL/);
    // the summary is written right after the records
    await eventually('the exact click time as Last Clicked', () => {
      const contact = recordOf<{ Responsys_Last_Clicked_At__c: string | null }>(
        emulators,
        'Contact',
        person!.id,
        ['Responsys_Last_Clicked_At__c'],
      );
      return (
        contact.Responsys_Last_Clicked_At__c &&
        new Date(contact.Responsys_Last_Clicked_At__c).toISOString() === ago(40)
      );
    });
  });
});

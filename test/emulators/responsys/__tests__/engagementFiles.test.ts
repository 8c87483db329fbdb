import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { feedColumns, startResponsysEmulator, type ExportedFile, type ResponsysEmulator } from '../index.js';
import { call, client, memberByEmail, mergeBody, type MergeAnswer } from './support.js';

const occurredAt = '2024-03-05T14:07:09.000Z';

async function readRows(
  file: ExportedFile,
  delimiter = ',',
): Promise<{ header: string[]; rows: Array<Record<string, string>> }> {
  const text = await readFile(file.path, 'utf8');
  const records = parse(text, { delimiter, relax_quotes: false }) as string[][];
  const [header, ...rest] = records;
  return { header: header!, rows: rest.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!]))) };
}

describe('Responsys engagement injection and Contact Event Data files', () => {
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];
  let riids: string[];
  const clock = Date.parse('2024-03-05T15:00:00Z');

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, now: () => clock, accountId: '4242' });
    ({ api } = await client(emulator));
  });
  beforeEach(async () => {
    emulator.control.reset();
    const merged = await api<MergeAnswer>(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(
        ['EMAIL_ADDRESS_', 'CUSTOMER_ID_'],
        [
          ['lea@example.com', '00Q000000000001AAA'],
          ['max@example.com', '003000000000002AAA'],
        ],
      ),
    );
    riids = merged.body.recordData.records.map((r) => r[0]!);
    for (const file of await readdir(emulator.eventFilesDir)) await rm(join(emulator.eventFilesDir, file));
  });
  afterAll(() => emulator.close());

  const allTypes = () => [
    { type: 'sent', recipient: { email: 'lea@example.com' }, occurredAt },
    { type: 'opened', recipient: { email: 'lea@example.com' }, occurredAt },
    {
      type: 'clicked',
      recipient: { customerId: '00Q000000000001AAA' },
      occurredAt,
      campaign: 'SF_Pricing_Offer',
      link: { url: 'https://example.com/pricing?plan=team', name: 'Pricing CTA', number: 3, category: 'CTA' },
    },
    {
      type: 'converted',
      recipient: { email: 'lea@example.com' },
      occurredAt,
      order: { id: 'SO-1001', total: 249.5, quantity: 2 },
    },
    {
      type: 'bounced',
      recipient: { email: 'max@example.com' },
      occurredAt,
      bounce: { type: 'soft', reason: 'MAILBOX_FULL' },
    },
    { type: 'skipped', recipient: { email: 'max@example.com' }, occurredAt },
    { type: 'failed', recipient: { email: 'max@example.com' }, occurredAt, reason: 'Invalid content' },
    { type: 'complained', recipient: { email: 'max@example.com' }, occurredAt },
    { type: 'opted_out', recipient: { riid: riids[0]! }, occurredAt, reason: 'Too many emails' },
    { type: 'opted_in', recipient: { riid: riids[1]! }, occurredAt },
  ];

  it('injects every engagement type for existing recipients and writes nothing until an export runs', async () => {
    const answer = await call<{ events: Array<{ type: string; riid: number }> }>(
      `${emulator.url}/__control/engagement`,
      {
        json: { events: allTypes() },
      },
    );
    expect(answer.status).toBe(201);
    expect(answer.body.events.map((e) => e.type)).toEqual([
      'sent',
      'opened',
      'clicked',
      'converted',
      'bounced',
      'skipped',
      'failed',
      'complained',
      'opted_out',
      'opted_in',
    ]);
    expect(await readdir(emulator.eventFilesDir)).toEqual([]);
  });

  it('rejects the whole batch, listing every problem, when a recipient does not exist or an event is incomplete', async () => {
    const answer = await call<{ error: string; problems: string[] }>(`${emulator.url}/__control/engagement`, {
      json: {
        events: [
          { type: 'opened', recipient: { email: 'lea@example.com' } },
          { type: 'opened', recipient: { email: 'ghost@example.com' } },
          { type: 'clicked', recipient: { email: 'lea@example.com' } },
        ],
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.problems).toEqual([
      expect.stringMatching(/^events\[1\]: no recipient .*ghost@example.com/),
      expect.stringMatching(/^events\[2\]\.link: a click needs link.url/),
    ]);
    expect(emulator.control.state(['engagement']).engagement).toEqual([]);
  });

  it('answers a malformed control body with a clear 400', async () => {
    const answer = await call<{ error: string; problems: string[] }>(`${emulator.url}/__control/engagement`, {
      json: { events: [{ type: 'teleported', recipient: {} }] },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('Engagement rejected');
    expect(answer.body.problems).toEqual([
      expect.stringMatching(/^events\[0\]\.type: /),
      expect.stringMatching(/^events\[0\]\.recipient: name the recipient by riid, email or customerId/),
    ]);
    const notAList = await call<{ error: string; detail: string }>(`${emulator.url}/__control/engagement`, {
      json: { event: {} },
    });
    expect(notAList.status).toBe(400);
    expect(notAList.body.error).toBe('Invalid control request');
  });

  it('changes the permission status on opt-out and opt-in, and marks a hard bounce undeliverable', async () => {
    emulator.control.injectEngagement([
      { type: 'opted_out', recipient: { email: 'lea@example.com' }, reason: 'Unsubscribed from footer' },
      { type: 'bounced', recipient: { email: 'max@example.com' }, bounce: { type: 'hard' } },
    ]);
    expect(await memberByEmail(api, 'lea@example.com')).toMatchObject({
      EMAIL_PERMISSION_STATUS_: 'O',
      EMAIL_PERMISSION_REASON_: 'Unsubscribed from footer',
    });
    expect((await memberByEmail(api, 'max@example.com')).EMAIL_DELIVERABILITY_STATUS_).toBe('U');
    emulator.control.injectEngagement([{ type: 'opted_in', recipient: { email: 'lea@example.com' } }]);
    expect((await memberByEmail(api, 'lea@example.com')).EMAIL_PERMISSION_STATUS_).toBe('I');
  });

  it('writes one file per feed named <accountID>_<FEED>_<YYYYMMDD>_<HH24MISS>.txt with the documented columns in order', async () => {
    emulator.control.injectEngagement(allTypes() as never);
    const files = await emulator.control.exportEventFiles({ profileLists: false });
    expect(files.map((f) => f.name).sort()).toEqual(
      [
        'BOUNCE',
        'CLICK',
        'COMPLAINT',
        'CONVERT',
        'FAIL',
        'LAUNCH_STATE',
        'OPEN',
        'OPT_IN',
        'OPT_OUT',
        'SENT',
        'SKIPPED',
      ].map((feed) => `4242_${feed}_20240305_150000.txt`),
    );
    for (const file of files) {
      const { header } = await readRows(file);
      expect(header, file.name).toEqual(feedColumns[file.feed as keyof typeof feedColumns]);
    }
    expect(feedColumns.BOUNCE).toEqual([
      'EVENT_TYPE_ID',
      'ACCOUNT_ID',
      'LIST_ID',
      'RIID',
      'CUSTOMER_ID',
      'EVENT_CAPTURED_DT',
      'EVENT_STORED_DT',
      'CAMPAIGN_ID',
      'LAUNCH_ID',
      'EMAIL',
      'EMAIL_FORMAT',
      'BOUNCE_TYPE',
      'REASON',
      'REASON_CODE',
      'SUBJECT',
      'CONTACT_INFO',
    ]);
  });

  it('fills rows with UTC DD-MON-YYYY HH24:MI:SS times, event type ids, link, order and bounce details', async () => {
    emulator.control.injectEngagement(allTypes() as never);
    const files = await emulator.control.exportEventFiles();
    const feed = async (name: string) => (await readRows(files.find((f) => f.feed === name)!)).rows;

    const [click] = await feed('CLICK');
    expect(click).toMatchObject({
      EVENT_TYPE_ID: '5',
      ACCOUNT_ID: '4242',
      LIST_ID: '7001',
      RIID: riids[0],
      CUSTOMER_ID: '00Q000000000001AAA',
      EVENT_CAPTURED_DT: '05-MAR-2024 14:07:09',
      EVENT_STORED_DT: '05-MAR-2024 15:00:00',
      CAMPAIGN_ID: '310003',
      LAUNCH_ID: '5500103',
      OFFER_NAME: 'Pricing CTA',
      OFFER_NUMBER: '3',
      OFFER_CATEGORY: 'CTA',
      OFFER_URL: 'https://example.com/pricing?plan=team',
    });
    expect((await feed('CONVERT'))[0]).toMatchObject({
      EVENT_TYPE_ID: '19',
      ORDER_ID: 'SO-1001',
      ORDER_TOTAL: '249.5',
      ORDER_QUANTITY: '2',
    });
    // Oracle: CUSTOMER_ID is not populated in the Bounced feed.
    expect((await feed('BOUNCE'))[0]).toMatchObject({
      EVENT_TYPE_ID: '2',
      CUSTOMER_ID: '',
      EMAIL: 'max@example.com',
      BOUNCE_TYPE: 'S',
      REASON: 'MAILBOX_FULL',
    });
    expect((await feed('OPT_OUT'))[0]).toMatchObject({
      EVENT_TYPE_ID: '7',
      REASON: 'Too many emails',
      EMAIL: 'lea@example.com',
    });
    expect((await feed('OPT_IN'))[0]).toMatchObject({ EVENT_TYPE_ID: '21', RIID: riids[1] });
    expect((await feed('SENT'))[0]).toMatchObject({
      EVENT_TYPE_ID: '1',
      EMAIL: 'lea@example.com',
      CAMPAIGN_ID: '310001',
    });
    expect((await feed('OPEN'))[0]).toMatchObject({ EVENT_TYPE_ID: '4', EMAIL_FORMAT: 'H' });
    const launches = await feed('LAUNCH_STATE');
    expect(launches.map((l) => [l.LAUNCH_ID, l.CAMPAIGN_NAME]).sort()).toEqual([
      ['5500101', 'SF_Welcome_Series'],
      ['5500103', 'SF_Pricing_Offer'],
    ]);
  });

  it('exports each event once: a second export only carries what happened since', async () => {
    emulator.control.injectEngagement([{ type: 'opened', recipient: { email: 'lea@example.com' } }]);
    const first = await emulator.control.exportEventFiles({ profileLists: false });
    emulator.control.injectEngagement([{ type: 'opened', recipient: { email: 'max@example.com' } }]);
    const second = await emulator.control.exportEventFiles({ profileLists: false });
    expect(first.find((f) => f.feed === 'OPEN')!.name).toBe('4242_OPEN_20240305_150000.txt');
    // Same clock second: the file name moves on a second rather than overwrite the first file.
    const open = second.find((f) => f.feed === 'OPEN')!;
    expect(open.name).toBe('4242_OPEN_20240305_150001.txt');
    expect((await readRows(open)).rows.map((r) => r.RIID)).toEqual([riids[1]]);
    expect(second.some((f) => f.feed === 'LAUNCH_STATE')).toBe(false);
  });

  it('exports the members changed since the last export in the profile-list file, marketer edits included', async () => {
    const first = await emulator.control.exportEventFiles();
    const profile = first.find((f) => f.feed === 'PROFILE_LIST')!;
    expect(profile.name).toBe('4242_PROFILE_LIST_CONTACTS_LIST_20240305_150000.txt');
    const { header, rows } = await readRows(profile);
    expect(header.slice(0, 4)).toEqual(['RIID_', 'CREATED_SOURCE_IP_', 'CUSTOMER_ID_', 'EMAIL_ADDRESS_']);
    expect(header).toEqual(
      expect.arrayContaining(['EMAIL_PERMISSION_STATUS_', 'MODIFIED_DATE_', 'FIRST_NAME', 'LEAD_SOURCE']),
    );
    expect(rows.map((r) => r.EMAIL_ADDRESS_)).toEqual(['lea@example.com', 'max@example.com']);
    expect(rows[0]!.MODIFIED_DATE_).toBe('05-MAR-2024 15:00:00');

    const edit = await call(`${emulator.url}/__control/profiles`, {
      json: { recipient: { email: 'max@example.com' }, fields: { FIRST_NAME: 'Maxine', title: 'CFO' } },
    });
    expect(edit.status).toBe(200);
    const second = await emulator.control.exportEventFiles();
    const changed = (await readRows(second.find((f) => f.feed === 'PROFILE_LIST')!)).rows;
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      EMAIL_ADDRESS_: 'max@example.com',
      FIRST_NAME: 'Maxine',
      TITLE: 'CFO',
    });
    const third = await emulator.control.exportEventFiles();
    expect(third.some((f) => f.feed === 'PROFILE_LIST')).toBe(false);
  });

  it('refuses a marketer edit of an unknown column with a clear 400', async () => {
    const answer = await call<{ detail: string }>(`${emulator.url}/__control/profiles`, {
      json: { recipient: { email: 'max@example.com' }, fields: { SHOE_SIZE: '42' } },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toContain('SHOE_SIZE');
  });

  it('runs an export through the HTTP control API', async () => {
    emulator.control.injectEngagement([{ type: 'opened', recipient: { email: 'lea@example.com' } }]);
    const answer = await call<{ files: ExportedFile[] }>(`${emulator.url}/__control/export`, {
      json: { feeds: ['OPEN'] },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.files.map((f) => f.feed)).toEqual(['OPEN', 'PROFILE_LIST']);
    const bad = await call(`${emulator.url}/__control/export`, { json: { feeds: ['OPENED'] } });
    expect(bad.status).toBe(400);
  });
});

describe('Contact Event Data file options', () => {
  let emulator: ResponsysEmulator;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ced-options-'));
    emulator = await startResponsysEmulator({
      sftp: false,
      demoData: true,
      eventFilesDir: dir,
      now: () => Date.parse('2024-12-31T23:59:58Z'),
      ced: { delimiter: '|', readyFiles: true, quoteAll: true, emptyFeeds: true, customerIdInBounce: true },
    });
  });
  afterAll(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uses the configured delimiter and quoting, writes empty feeds with a header, and drops a .ready marker per file', async () => {
    emulator.control.injectEngagement([
      {
        type: 'clicked',
        recipient: { email: 'ava.thompson@example.com' },
        link: { url: 'https://example.com/a|b', name: 'Line\nbreak' },
      },
    ]);
    const files = await emulator.control.exportEventFiles({ profileLists: false });
    expect(files).toHaveLength(11);
    const names = await readdir(dir);
    for (const file of files) {
      expect(file.readyFile).toBe(file.name.replace(/\.txt$/, '.ready'));
      expect(names).toContain(file.readyFile);
    }
    const sent = files.find((f) => f.feed === 'SENT')!;
    expect(await readFile(sent.path, 'utf8')).toBe(`${feedColumns.SENT.map((c) => `"${c}"`).join('|')}\n`);
    const click = files.find((f) => f.feed === 'CLICK')!;
    expect(click.name).toBe('12345_CLICK_20241231_235958.txt');
    const { rows } = await readRows(click, '|');
    expect(rows[0]).toMatchObject({ OFFER_URL: 'https://example.com/a|b', OFFER_NAME: 'Line break' });
  });
});

describe('Contact Event Data export timer', () => {
  let emulator: ResponsysEmulator;
  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, demoData: true, exportIntervalMs: 50 });
  });
  afterAll(() => emulator.close());

  it('exports on its own every exportIntervalMs when a timer is configured', async () => {
    emulator.control.injectEngagement([{ type: 'opened', recipient: { email: 'ava.thompson@example.com' } }]);
    let names: string[] = [];
    for (let i = 0; i < 100 && !names.some((n) => /^12345_OPEN_\d{8}_\d{6}\.txt$/.test(n)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      names = await readdir(emulator.eventFilesDir);
    }
    expect(names).toContainEqual(expect.stringMatching(/^12345_OPEN_\d{8}_\d{6}\.txt$/));
    expect(emulator.control.state(['engagement']).engagement!.every((e) => e.exported)).toBe(true);
  });
});

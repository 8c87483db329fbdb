import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMPAIGN_SEGMENTS_SCHEDULE_TASK } from '../../bridge/src/flows/campaign-segments/module.js';
import { runCli } from '../../bridge/src/cli/program.js';
import { ADMIN_TOKEN } from './support.js';
import { eventually, outboundModules, startOutboundRig, type OutboundRig } from './outbound-harness.js';

// F6 end to end: a campaign's members become rows of the Responsys supplemental table on demand (admin
// API, CLI) and on the schedule; members who leave are flagged; a campaign above the bulk threshold is
// read with Bulk API 2.0.

let rig: OutboundRig;
const TABLE = 'SF_Sync/SF_CAMPAIGN_MEMBERS';

beforeAll(async () => {
  rig = await startOutboundRig({ env: { SALESFORCE_BULK_THRESHOLD: '200' } });
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

const sf = () => rig.emulators.salesforce;
const rows = () =>
  (rig.emulators.responsys.control.state(['supplementalTables']).supplementalTables?.[TABLE] ?? []) as Array<
    Record<string, string | null>
  >;

function campaignWith(statuses: string[]): { campaignId: string; memberIds: string[] } {
  const [campaignId] = sf().insert('Campaign', [
    { Name: `Webinar ${Math.random().toString(36).slice(2, 7)}`, IsActive: true },
  ]);
  const contactIds = sf().insert(
    'Contact',
    statuses.map((_, i) => ({ LastName: `Attendee${i}`, Email: `attendee${i}.${campaignId}@example.com` })),
    { asUser: 'bridge@example.com' },
  );
  const memberIds = sf().insert(
    'CampaignMember',
    contactIds.map((ContactId, i) => ({ CampaignId: campaignId!, ContactId, Status: statuses[i]! })),
    { asUser: 'bridge@example.com' },
  );
  return { campaignId: campaignId!, memberIds };
}

async function admin(path: string, method = 'GET') {
  const response = await fetch(`${rig.bridge.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  return { stream, text: () => text };
}

describe('campaign members into a Responsys segment', () => {
  it('syncs a campaign on demand through the admin API and reports what it wrote', async () => {
    const { campaignId, memberIds } = campaignWith(['Sent', 'Responded', 'Sent']);
    const { status, body } = await admin(`/campaign-segments/${campaignId}/sync?wait=true`, 'POST');
    expect(status).toBe(200);
    expect(body.outcome).toMatchObject({ outcome: 'succeeded' });
    expect(String((body.outcome as { reason: string }).reason)).toContain('3 written');
    const mine = rows().filter((row) => row.CAMPAIGN_ID === campaignId);
    expect(mine.map((row) => row.SF_MEMBER_ID).sort()).toEqual([...memberIds].sort());
    const summary = await admin(`/campaign-segments/${campaignId}`);
    expect(summary.body).toMatchObject({ campaignId, members: { active: 3, inactive: 0 } });
  });

  it('refuses a malformed id and answers 404 for a campaign Salesforce does not have', async () => {
    expect((await admin('/campaign-segments/not-an-id/sync', 'POST')).status).toBe(400);
    const missing = await admin('/campaign-segments/701000000000000AAA/sync', 'POST');
    expect(missing.status).toBe(404);
    expect(String((missing.body.error as { message: string }).message)).toContain('no campaign');
  });

  it('syncs with `responsys-bridge sync-campaign` and flags members who left at the next sync', async () => {
    const { campaignId, memberIds } = campaignWith(['Sent', 'Sent']);
    const io = () => ({ out: capture(), err: capture() });
    const first = io();
    const result = await runCli(
      ['sync-campaign', campaignId],
      { out: first.out.stream, err: first.err.stream, env: rig.env, cwd: process.cwd() },
      outboundModules(),
    );
    expect(result.exitCode).toBe(0);
    expect(first.out.text()).toMatch(
      /^Campaign .+ synced: SF_Sync\/SF_CAMPAIGN_MEMBERS: 2 member\(s\) with Sent, Responded; 2 written/,
    );

    sf().delete([memberIds[1]!]);
    const second = io();
    await runCli(
      ['--url', rig.bridge.url!, 'sync-campaign', campaignId, '--json'],
      { out: second.out.stream, err: second.err.stream, env: rig.env, cwd: process.cwd() },
      outboundModules(),
    );
    const printed = JSON.parse(second.out.text()) as { outcome: { details: { left: number } } };
    expect(printed.outcome.details.left).toBe(1);
    expect(rows().find((row) => row.SF_MEMBER_ID === memberIds[1])?.IS_ACTIVE).toBe('F');
  });

  it('re-syncs every campaign synced before on the schedule', async () => {
    const { campaignId, memberIds } = campaignWith(['Sent']);
    await admin(`/campaign-segments/${campaignId}/sync?wait=true`, 'POST');
    sf().update([{ Id: memberIds[0]!, Status: 'Responded' }]);
    await rig.bridge.context.queue.runTask(CAMPAIGN_SEGMENTS_SCHEDULE_TASK);
    await eventually(
      'the scheduled sync',
      () => rows().find((row) => row.SF_MEMBER_ID === memberIds[0])?.MEMBER_STATUS === 'Responded',
    );
  });

  it('reads a campaign above the bulk threshold with Bulk API 2.0', async () => {
    const statuses = Array.from({ length: 260 }, (_, i) => (i % 2 === 0 ? 'Sent' : 'Responded'));
    const { campaignId } = campaignWith(statuses);
    const before = sf().apiUsage().byKind['bulk2.query.create'] ?? 0;
    const { body } = await admin(`/campaign-segments/${campaignId}/sync?wait=true`, 'POST');
    expect(body.outcome).toMatchObject({ outcome: 'succeeded', details: { readWith: 'bulk', written: 260 } });
    expect((sf().apiUsage().byKind['bulk2.query.create'] ?? 0) - before).toBe(1);
  });
});

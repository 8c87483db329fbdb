import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CampaignSegmentSync,
  parseSegmentTarget,
  type CampaignSegmentSettings,
} from '../../../bridge/src/flows/campaign-segments/campaign-sync.js';
import {
  SegmentState,
  segmentStateMigrations,
} from '../../../bridge/src/flows/campaign-segments/segment-state.js';
import {
  parseSegmentStatuses,
  segmentStatusesFor,
} from '../../../bridge/src/flows/campaign-segments/selection.js';
import { defaultAccountDefinition } from '../../emulators/responsys/index.js';
import { testConfig } from '../support/config.js';
import { silentLogger } from '../../../bridge/src/shared/logger.js';
import { systemClock } from '../../../bridge/src/shared/clock.js';
import {
  openTestStore,
  startResponsysRig,
  startSalesforceRig,
  type ResponsysRig,
  type SalesforceRig,
  type StoreRig,
} from './support/rigs.js';

const TABLE = 'SF_Sync/SF_CAMPAIGN_MEMBERS';

describe('campaign segment settings', () => {
  const load = (env: Record<string, string>) => () => testConfig(env);

  it('defaults to the supplemental table, responded statuses plus Sent, flagging, every 15 minutes', () => {
    expect(testConfig().outbound.campaignSegments).toEqual({
      target: 'SF_Sync/SF_CAMPAIGN_MEMBERS',
      statuses: ['@responded', 'Sent'],
      leftMembers: 'flag',
      schedule: '*/15 * * * *',
      campaignIds: [],
    });
  });

  it('names the variable when a setting is wrong', () => {
    expect(load({ BRIDGE_CAMPAIGN_SEGMENT_TARGET: 'SF_CAMPAIGN_MEMBERS' })).toThrow(
      /BRIDGE_CAMPAIGN_SEGMENT_TARGET must be/,
    );
    expect(load({ BRIDGE_CAMPAIGN_SEGMENT_LEFT_MEMBERS: 'delete' })).toThrow(
      /BRIDGE_CAMPAIGN_SEGMENT_LEFT_MEMBERS must be flag or remove/,
    );
    expect(load({ BRIDGE_CAMPAIGN_SEGMENT_CAMPAIGNS: '001000000000001AAA' })).toThrow(
      /BRIDGE_CAMPAIGN_SEGMENT_CAMPAIGNS/,
    );
    expect(
      testConfig({ BRIDGE_CAMPAIGN_SEGMENT_SCHEDULE: 'off' }).outbound.campaignSegments.schedule,
    ).toBeUndefined();
  });
});

describe('choosing the member statuses of a segment', () => {
  const statuses = [
    { Label: 'Sent', HasResponded: false },
    { Label: 'Responded', HasResponded: true },
    { Label: 'Registered', HasResponded: false },
    { Label: 'Attended', HasResponded: true },
  ];

  it('takes every status the campaign counts as responded, plus Sent, by default', () => {
    expect(segmentStatusesFor(parseSegmentStatuses('@responded,Sent'), statuses)).toEqual([
      'Sent',
      'Responded',
      'Attended',
    ]);
  });

  it('matches configured labels without regard to case, in the campaign spelling', () => {
    expect(segmentStatusesFor(parseSegmentStatuses('registered'), statuses)).toEqual(['Registered']);
  });

  it('refuses an empty list and an unknown target', () => {
    expect(() => parseSegmentStatuses(' , ')).toThrow(/at least one member status/);
    expect(() => parseSegmentTarget('SF_CAMPAIGN_MEMBERS')).toThrow(/<folder>\/<supplemental table>/);
    expect(parseSegmentTarget('pet:CAMPAIGN_PET')).toEqual({ kind: 'pet', name: 'CAMPAIGN_PET' });
  });
});

describe('syncing a campaign into its Responsys segment', () => {
  let stores: StoreRig;
  let responsys: ResponsysRig;
  let salesforce: SalesforceRig;
  let state: SegmentState;
  const syncLog: unknown[] = [];

  const settings = (overrides: Partial<CampaignSegmentSettings> = {}): CampaignSegmentSettings => ({
    target: parseSegmentTarget(TABLE),
    statuses: parseSegmentStatuses('@responded,Sent'),
    leftMembers: 'flag',
    bulkThreshold: 2000,
    ...overrides,
  });
  const syncer = (overrides: Partial<CampaignSegmentSettings> = {}) =>
    new CampaignSegmentSync({
      salesforce: salesforce.client,
      responsys: responsys.client,
      state,
      recordSyncLog: async (entries) => {
        syncLog.push(...entries);
        await stores.store.syncLog.record(entries);
      },
      settings: settings(overrides),
      flow: 'campaign-segments',
      logger: silentLogger(),
      clock: systemClock,
    });

  const tableRows = () =>
    (responsys.emulator.control.state(['supplementalTables']).supplementalTables?.[TABLE] ?? []) as Array<
      Record<string, string | null>
    >;
  const mergeCalls = () => responsys.emulator.control.state(['calls']).calls?.total?.mergeTableMembers ?? 0;

  beforeAll(async () => {
    [stores, responsys, salesforce] = await Promise.all([
      openTestStore([{ name: 'campaign-segments', migrations: segmentStateMigrations }]),
      startResponsysRig(),
      startSalesforceRig(),
    ]);
    state = new SegmentState(stores.store.db);
  });
  afterAll(async () => {
    await Promise.all([stores?.close(), responsys?.close(), salesforce?.close()]);
  });

  let campaignId: string;
  let contactIds: string[];
  let memberIds: string[];
  beforeEach(() => {
    responsys.emulator.control.reset();
    syncLog.length = 0;
    const sf = salesforce.emulator;
    campaignId = sf.insert('Campaign', [
      { Name: `Spring Webinar ${Math.random().toString(36).slice(2, 7)}`, IsActive: true },
    ])[0]!;
    sf.insert('CampaignMemberStatus', [
      { CampaignId: campaignId, Label: 'Registered', HasResponded: false, SortOrder: 3 },
      { CampaignId: campaignId, Label: 'Attended', HasResponded: true, SortOrder: 4 },
    ]);
    contactIds = sf.insert(
      'Contact',
      Array.from({ length: 6 }, (_, i) => ({ LastName: `Member${i}`, Email: `Member${i}@Example.com` })),
    );
    const statuses = ['Sent', 'Responded', 'Attended', 'Registered', 'Sent', 'Responded'];
    memberIds = sf.insert(
      'CampaignMember',
      contactIds.map((ContactId, i) => ({ CampaignId: campaignId, ContactId, Status: statuses[i]! })),
    );
  });

  it('writes the members with selected statuses, with campaign, status and membership dates', async () => {
    const result = await syncer().sync(campaignId, { correlationId: 'c-1' });
    expect(result).toMatchObject({
      selected: 5,
      written: 5,
      unchanged: 0,
      left: 0,
      failed: 0,
      readWith: 'rest',
    });
    expect(result.statuses).toEqual(['Sent', 'Responded', 'Attended']);
    const rows = tableRows();
    expect(rows.map((row) => row.SF_MEMBER_ID).sort()).toEqual(
      [memberIds[0], memberIds[1], memberIds[2], memberIds[4], memberIds[5]].sort(),
    );
    const attended = rows.find((row) => row.SF_MEMBER_ID === memberIds[2])!;
    expect(attended).toMatchObject({
      CAMPAIGN_ID: campaignId,
      CUSTOMER_ID: contactIds[2],
      EMAIL_ADDRESS: 'member2@example.com',
      MEMBER_STATUS: 'Attended',
      HAS_RESPONDED: 'T',
      IS_ACTIVE: 'T',
    });
    expect(attended.FIRST_ADDED_AT).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    expect(mergeCalls()).toBe(1);
  });

  it('sends nothing again when nothing changed, and only the changed member after a status change', async () => {
    await syncer().sync(campaignId, { correlationId: 'c-1' });
    const again = await syncer().sync(campaignId, { correlationId: 'c-2' });
    expect(again).toMatchObject({ written: 0, unchanged: 5 });
    expect(mergeCalls()).toBe(1);

    salesforce.emulator.update([{ Id: memberIds[0]!, Status: 'Responded' }]);
    const third = await syncer().sync(campaignId, { correlationId: 'c-3' });
    expect(third).toMatchObject({ written: 1, unchanged: 4 });
    expect(tableRows().find((row) => row.SF_MEMBER_ID === memberIds[0])).toMatchObject({
      MEMBER_STATUS: 'Responded',
      HAS_RESPONDED: 'T',
    });
  });

  it('flags members who left the campaign or its selected statuses as inactive', async () => {
    await syncer().sync(campaignId, { correlationId: 'c-1' });
    salesforce.emulator.delete([memberIds[1]!]);
    salesforce.emulator.update([{ Id: memberIds[4]!, Status: 'Registered' }]);
    const result = await syncer().sync(campaignId, { correlationId: 'c-2' });
    expect(result).toMatchObject({ left: 2, leftHandling: 'flagged', unchanged: 3 });
    const byMember = new Map(tableRows().map((row) => [row.SF_MEMBER_ID, row]));
    expect(byMember.get(memberIds[1])?.IS_ACTIVE).toBe('F');
    expect(byMember.get(memberIds[4])?.IS_ACTIVE).toBe('F');
    expect(byMember.get(memberIds[0])?.IS_ACTIVE).toBe('T');
    expect(await state.counts(campaignId)).toEqual({ active: 3, inactive: 2 });
    // A member who comes back is active again.
    salesforce.emulator.update([{ Id: memberIds[4]!, Status: 'Sent' }]);
    expect(await syncer().sync(campaignId, { correlationId: 'c-3' })).toMatchObject({ written: 1, left: 0 });
    expect(new Map(tableRows().map((row) => [row.SF_MEMBER_ID, row])).get(memberIds[4])?.IS_ACTIVE).toBe('T');
  });

  it('removes the rows of members who left when configured to', async () => {
    await syncer({ leftMembers: 'remove' }).sync(campaignId, { correlationId: 'c-1' });
    salesforce.emulator.delete([memberIds[5]!]);
    const result = await syncer({ leftMembers: 'remove' }).sync(campaignId, { correlationId: 'c-2' });
    expect(result).toMatchObject({ left: 1, leftHandling: 'removed' });
    expect(tableRows().map((row) => row.SF_MEMBER_ID)).not.toContain(memberIds[5]);
    expect(tableRows()).toHaveLength(4);
  });

  it('fails a bad row alone, reports it in the sync log and tries it again at the next sync', async () => {
    // MEMBER_STATUS is narrower (25) than the longest status label Salesforce allows (40): rows with a
    // longer status fail, the others go through.
    const longStatus = 'Asked for a follow-up call today';
    salesforce.emulator.insert('CampaignMemberStatus', [
      { CampaignId: campaignId, Label: longStatus, HasResponded: true, SortOrder: 9 },
    ]);
    salesforce.emulator.update([
      { Id: memberIds[1]!, Status: longStatus },
      { Id: memberIds[5]!, Status: longStatus },
    ]);
    const account = defaultAccountDefinition();
    const narrow = {
      ...account,
      supplementalTables: account.supplementalTables!.map((table) => ({
        ...table,
        fields: table.fields.map((field) =>
          field.fieldName === 'MEMBER_STATUS' ? { ...field, fieldType: 'STR25' as const } : field,
        ),
      })),
    };
    const strict = await startResponsysRig({ account: narrow });
    try {
      const sync = new CampaignSegmentSync({
        salesforce: salesforce.client,
        responsys: strict.client,
        state,
        recordSyncLog: (entries) => stores.store.syncLog.record(entries),
        settings: settings(),
        flow: 'campaign-segments',
        logger: silentLogger(),
        clock: systemClock,
      });
      const result = await sync.sync(campaignId, { correlationId: 'c-bad' });
      expect(result).toMatchObject({ selected: 5, written: 3, failed: 2 });
      expect(result.failures.map((failure) => failure.memberId).sort()).toEqual(
        [memberIds[1], memberIds[5]].sort(),
      );
      const rows = strict.emulator.control.state(['supplementalTables']).supplementalTables![TABLE]!;
      expect(rows).toHaveLength(3);
      const history = await stores.store.syncLog.historyFor(memberIds[1]!);
      expect(history[0]).toMatchObject({
        flow: 'campaign-segments',
        outcome: 'skipped',
        objectType: 'CampaignMember',
      });
      expect(history[0]!.reason).toContain('tried again at the next sync');

      const again = await sync.sync(campaignId, { correlationId: 'c-again' });
      expect(again).toMatchObject({ written: 0, unchanged: 3, failed: 2, left: 0 });
    } finally {
      await strict.close();
    }
  });

  it('writes a profile extension table keyed by the person when the target is a PET', async () => {
    const account = defaultAccountDefinition();
    const withPet = {
      ...account,
      profileLists: account.profileLists!.map((list) => ({
        ...list,
        extensions: [
          ...(list.extensions ?? []),
          {
            name: 'SF_CAMPAIGN_PET',
            folderName: list.folderName,
            fields: [
              'CAMPAIGN_ID',
              'CAMPAIGN_NAME',
              'SF_MEMBER_ID',
              'EMAIL_ADDRESS',
              'MEMBER_STATUS',
              'HAS_RESPONDED',
              'IS_ACTIVE',
            ]
              .map((fieldName) => ({ fieldName, fieldType: 'STR255' as 'STR255' | 'TIMESTAMP' }))
              .concat([
                { fieldName: 'FIRST_ADDED_AT', fieldType: 'TIMESTAMP' as const },
                { fieldName: 'LAST_MODIFIED_AT', fieldType: 'TIMESTAMP' as const },
              ]),
          },
        ],
      })),
    };
    const withPetRig = await startResponsysRig({ account: withPet });
    try {
      // The people are in the profile list already (a PET row needs its recipient); one is not.
      await withPetRig.client.mergeProfileMembers(
        contactIds.slice(0, 5).map((id, i) => ({
          CUSTOMER_ID_: id,
          EMAIL_ADDRESS_: `member${i}@example.com`,
          EMAIL_PERMISSION_STATUS_: 'I',
        })),
        { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' },
      );
      const result = await new CampaignSegmentSync({
        salesforce: salesforce.client,
        responsys: withPetRig.client,
        state,
        recordSyncLog: (entries) => stores.store.syncLog.record(entries),
        settings: settings({ target: parseSegmentTarget('pet:SF_CAMPAIGN_PET') }),
        flow: 'campaign-segments',
        logger: silentLogger(),
        clock: systemClock,
      }).sync(campaignId, { correlationId: 'c-pet' });
      expect(result).toMatchObject({ target: 'pet:SF_CAMPAIGN_PET', written: 4, failed: 1 });
      expect(result.failures[0]!.memberId).toBe(memberIds[5]);
      const pet = withPetRig.emulator.control.state(['lists']).lists!.CONTACTS_LIST!.extensions
        .SF_CAMPAIGN_PET!;
      expect(pet.map((row) => row.MEMBER_STATUS).sort()).toEqual(['Attended', 'Responded', 'Sent', 'Sent']);
    } finally {
      await withPetRig.close();
    }
  });

  it('reads a campaign larger than the bulk threshold through Bulk API 2.0', async () => {
    const before = salesforce.emulator.apiUsage().byKind;
    const result = await syncer({ bulkThreshold: 3 }).sync(campaignId, { correlationId: 'c-bulk' });
    expect(result).toMatchObject({ readWith: 'bulk', written: 5 });
    const after = salesforce.emulator.apiUsage().byKind;
    const bulkQueries = Object.entries(after)
      .filter(([kind]) => kind.startsWith('bulk2.query'))
      .reduce((sum, [kind, n]) => sum + n - (before[kind] ?? 0), 0);
    expect(bulkQueries).toBeGreaterThan(0);
  });

  it('answers NOT_FOUND for a campaign Salesforce does not have', async () => {
    await expect(syncer().sync('701000000000000AAA', { correlationId: 'c-x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

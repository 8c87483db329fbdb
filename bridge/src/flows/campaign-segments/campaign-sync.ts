import type { ResponsysClient } from '../../responsys/client.js';
import type { ProfileRecord, RecordFailure } from '../../responsys/types.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import { soqlString } from '../../salesforce/soql.js';
import type { Clock } from '../../shared/clock.js';
import { BridgeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { SyncLogInput } from '../../store/sync-log.js';
import type { SegmentState } from './segment-state.js';
import {
  CAMPAIGN_MEMBER_FIELDS,
  memberPersonId,
  responsysTimestamp,
  rowHash,
  segmentRow,
  segmentStatusesFor,
  type CampaignMemberRecord,
  type CampaignMemberStatusRow,
} from './selection.js';

// F6: one campaign's members with the selected statuses become rows of a Responsys segment (a
// supplemental table, or a profile extension table keyed by the person). Only rows that changed since
// the last sync are sent, in calls of 200; members who left the campaign (or its selected statuses)
// are flagged inactive or removed. Large campaigns are read with Bulk API 2.0.

export type SegmentTarget =
  { kind: 'supplemental'; folder: string; table: string } | { kind: 'pet'; name: string };

export interface CampaignSegmentSettings {
  target: SegmentTarget;
  statuses: { responded: boolean; labels: string[] };
  /** members who left: flag the row IS_ACTIVE = F (default), or delete it */
  leftMembers: 'flag' | 'remove';
  /** above this many members, read them with Bulk API 2.0 */
  bulkThreshold: number;
}

/** `SF_Sync/SF_CAMPAIGN_MEMBERS` (a supplemental table in its folder) or `pet:NAME`. */
export function parseSegmentTarget(value: string): SegmentTarget {
  const trimmed = value.trim();
  const pet = /^pet:([A-Za-z][A-Za-z0-9_]*)$/i.exec(trimmed);
  if (pet) return { kind: 'pet', name: pet[1]! };
  const table = /^([^/\s]+)\/([A-Za-z][A-Za-z0-9_]*)$/.exec(trimmed);
  if (table) return { kind: 'supplemental', folder: table[1]!, table: table[2]! };
  throw new Error('must be <folder>/<supplemental table> (e.g. SF_Sync/SF_CAMPAIGN_MEMBERS) or pet:<table>');
}

export function describeTarget(target: SegmentTarget): string {
  return target.kind === 'pet' ? `pet:${target.name}` : `${target.folder}/${target.table}`;
}

export interface CampaignSyncResult {
  campaignId: string;
  campaignName: string;
  target: string;
  statuses: string[];
  readWith: 'rest' | 'bulk';
  /** members with a selected status */
  selected: number;
  /** rows written because they were new or changed */
  written: number;
  unchanged: number;
  failed: number;
  /** members no longer selected: flagged inactive or removed */
  left: number;
  leftHandling: 'flagged' | 'removed';
  /** the first failures, for the operator */
  failures: Array<{ memberId: string; code: string; error: string }>;
  completed: boolean;
  durationMs: number;
}

export interface CampaignSegmentSyncOptions {
  salesforce: Pick<SalesforceClient, 'query' | 'queryPages' | 'bulkQuery'>;
  responsys: Pick<
    ResponsysClient,
    'mergeSupplementalTable' | 'deleteSupplementalTableRows' | 'mergeProfileExtension'
  >;
  state: SegmentState;
  recordSyncLog(entries: SyncLogInput[]): Promise<void>;
  settings: CampaignSegmentSettings;
  flow: string;
  logger: Logger;
  clock: Clock;
}

const MAX_REPORTED_FAILURES = 20;
const DEPARTURES_PER_ROUND = 1000;
const REST_PAGE = 2000;

type RowOutcome = { ok: true } | RecordFailure;

export class CampaignSegmentSync {
  constructor(private readonly options: CampaignSegmentSyncOptions) {}

  /** Reads a campaign's name, or fails with NOT_FOUND when Salesforce has no such campaign. */
  async campaign(campaignId: string): Promise<{ id: string; name: string }> {
    const [campaign] = await this.options.salesforce.query(
      `SELECT Id, Name FROM Campaign WHERE Id = ${soqlString(campaignId)}`,
    );
    if (!campaign) throw new BridgeError('NOT_FOUND', `Salesforce has no campaign ${campaignId}`);
    return { id: campaign.Id, name: String(campaign.Name ?? campaignId) };
  }

  async sync(
    campaignId: string,
    context: { correlationId: string; signal?: AbortSignal },
  ): Promise<CampaignSyncResult> {
    const { salesforce, state, settings, clock } = this.options;
    const started = clock.now();
    const log = this.options.logger.child({ campaignId, correlationId: context.correlationId });
    const campaign = await this.campaign(campaignId);
    const statuses = segmentStatusesFor(
      settings.statuses,
      (await salesforce.query(
        `SELECT Label, HasResponded FROM CampaignMemberStatus WHERE CampaignId = ${soqlString(campaign.id)}`,
      )) as unknown as CampaignMemberStatusRow[],
    );
    const where = `CampaignId = ${soqlString(campaign.id)} AND Status IN (${statuses.map(soqlString).join(', ')})`;
    const [count] = await salesforce.query(`SELECT COUNT(Id) total FROM CampaignMember WHERE ${where}`);
    const total = Number((count as Record<string, unknown> | undefined)?.total ?? 0);
    const readWith = total > settings.bulkThreshold ? 'bulk' : 'rest';
    const target = describeTarget(settings.target);
    const run = await state.beginRun(campaign.id, campaign.name, target);
    log.info({ statuses, members: total, readWith, target, run }, `syncing campaign ${campaign.name}`);

    const result: CampaignSyncResult = {
      campaignId: campaign.id,
      campaignName: campaign.name,
      target,
      statuses,
      readWith,
      selected: 0,
      written: 0,
      unchanged: 0,
      failed: 0,
      left: 0,
      leftHandling: this.leftHandling(),
      failures: [],
      completed: false,
      durationMs: 0,
    };
    const soql = `SELECT ${CAMPAIGN_MEMBER_FIELDS.join(', ')} FROM CampaignMember WHERE ${where}`;
    const pages =
      readWith === 'bulk'
        ? salesforce.bulkQuery(soql, { priority: 'background' })
        : salesforce.queryPages(soql, { batchSize: REST_PAGE, priority: 'background' });
    let interrupted = false;
    for await (const page of pages) {
      await this.syncPage(campaign, run, page as unknown as CampaignMemberRecord[], result, context);
      if (context.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
    if (!interrupted) {
      await this.handleDepartures(campaign, run, result, context);
      result.completed = !context.signal?.aborted;
    }
    result.durationMs = clock.now().getTime() - started.getTime();
    await state.finishRun(campaign.id, { ...result });
    log.info(
      { result: { ...result, failures: result.failures.length } },
      `campaign ${campaign.name}: ${result.written} row(s) written, ${result.unchanged} unchanged, ` +
        `${result.left} left, ${result.failed} failed`,
    );
    return result;
  }

  private leftHandling(): 'flagged' | 'removed' {
    // Profile extension rows are keyed by the person: they are flagged, never deleted.
    return this.options.settings.leftMembers === 'remove' &&
      this.options.settings.target.kind === 'supplemental'
      ? 'removed'
      : 'flagged';
  }

  private async syncPage(
    campaign: { id: string; name: string },
    run: number,
    members: CampaignMemberRecord[],
    result: CampaignSyncResult,
    context: { correlationId: string; signal?: AbortSignal },
  ): Promise<void> {
    const { state } = this.options;
    result.selected += members.length;
    const stored = await state.members(
      campaign.id,
      members.map((member) => member.Id),
    );
    const changed: Array<{ member: CampaignMemberRecord; row: ProfileRecord; hash: string }> = [];
    const unchanged: string[] = [];
    for (const member of members) {
      const row = segmentRow(member, campaign.name);
      const hash = rowHash(row);
      const previous = stored.get(member.Id);
      if (previous?.active && previous.rowHash === hash) unchanged.push(member.Id);
      else changed.push({ member, row, hash });
    }
    result.unchanged += unchanged.length;
    const outcomes = await this.write(
      changed.map((entry) => entry.row),
      changed.map((entry) => memberPersonId(entry.member)),
      context.signal,
    );
    const saved: Array<{ memberId: string; personId: string | null; rowHash: string }> = [];
    const failed: Array<{ memberId: string; outcome: RecordFailure; email: string | null }> = [];
    changed.forEach((entry, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) {
        saved.push({
          memberId: entry.member.Id,
          personId: memberPersonId(entry.member),
          rowHash: entry.hash,
        });
      } else failed.push({ memberId: entry.member.Id, outcome, email: entry.member.Email ?? null });
    });
    await state.saveActive(campaign.id, run, saved);
    await state.markSeen(campaign.id, run, [...unchanged, ...failed.map((entry) => entry.memberId)]);
    result.written += saved.length;
    await this.reportFailures(campaign, failed, result, context.correlationId, 'written to');
  }

  private async write(
    rows: ProfileRecord[],
    personIds: Array<string | null>,
    signal?: AbortSignal,
  ): Promise<RowOutcome[]> {
    if (rows.length === 0) return [];
    const { target } = this.options.settings;
    if (target.kind === 'supplemental') {
      return this.options.responsys.mergeSupplementalTable(target.folder, target.table, rows, { signal });
    }
    return this.options.responsys.mergeProfileExtension(
      target.name,
      rows.map((row, index) => {
        const { CUSTOMER_ID: _customerId, ...columns } = row;
        return { CUSTOMER_ID_: personIds[index], ...columns };
      }),
      { matchColumn: 'CUSTOMER_ID', insertOnNoMatch: true, signal },
    );
  }

  private async handleDepartures(
    campaign: { id: string; name: string },
    run: number,
    result: CampaignSyncResult,
    context: { correlationId: string; signal?: AbortSignal },
  ): Promise<void> {
    const { state, settings, responsys, clock } = this.options;
    const how = this.leftHandling();
    for (;;) {
      if (context.signal?.aborted) return;
      const departed = await state.departed(campaign.id, run, DEPARTURES_PER_ROUND);
      if (departed.length === 0) return;
      let outcomes: RowOutcome[];
      if (how === 'removed' && settings.target.kind === 'supplemental') {
        const target = settings.target;
        outcomes = await responsys.deleteSupplementalTableRows(
          target.folder,
          target.table,
          departed.map(({ memberId }) => ({ CAMPAIGN_ID: campaign.id, SF_MEMBER_ID: memberId })),
          { signal: context.signal },
        );
      } else {
        const now = responsysTimestamp(clock.now().toISOString());
        outcomes = await this.write(
          departed.map(({ memberId, personId }) => ({
            CAMPAIGN_ID: campaign.id,
            SF_MEMBER_ID: memberId,
            CUSTOMER_ID: personId,
            IS_ACTIVE: 'F',
            LAST_MODIFIED_AT: now,
          })),
          departed.map(({ personId }) => personId),
          context.signal,
        );
      }
      const done = departed.filter((_, index) => outcomes[index]?.ok).map(({ memberId }) => memberId);
      const failed = departed.flatMap(({ memberId }, index) => {
        const outcome = outcomes[index];
        return outcome && !outcome.ok ? [{ memberId, outcome, email: null }] : [];
      });
      await state.markLeft(campaign.id, run, done, how);
      // Failed departures stay active and are tried again at the next sync; this run moves on.
      await state.markSeen(
        campaign.id,
        run,
        failed.map((entry) => entry.memberId),
      );
      result.left += done.length;
      await this.reportFailures(
        campaign,
        failed,
        result,
        context.correlationId,
        how === 'removed' ? 'removed from' : 'flagged in',
      );
    }
  }

  private async reportFailures(
    campaign: { id: string; name: string },
    failed: Array<{ memberId: string; outcome: RecordFailure; email: string | null }>,
    result: CampaignSyncResult,
    correlationId: string,
    action: string,
  ): Promise<void> {
    if (failed.length === 0) return;
    result.failed += failed.length;
    const target = result.target;
    for (const entry of failed) {
      if (result.failures.length >= MAX_REPORTED_FAILURES) break;
      result.failures.push({
        memberId: entry.memberId,
        code: entry.outcome.code,
        error: entry.outcome.message,
      });
    }
    const now = this.options.clock.now();
    await this.options.recordSyncLog(
      failed.map((entry) => ({
        correlationId,
        flow: this.options.flow,
        direction: 'salesforce_to_responsys',
        outcome: 'skipped',
        objectType: 'CampaignMember',
        salesforceId: entry.memberId,
        email: entry.email,
        reason: `not ${action} ${target} (campaign ${campaign.name}): ${entry.outcome.message}; tried again at the next sync`,
        errorCode: entry.outcome.code,
        finishedAt: now,
        details: { campaignId: campaign.id },
      })),
    );
  }
}

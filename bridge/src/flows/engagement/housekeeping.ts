import type { SalesforceClient } from '../../salesforce/client.js';
import { objectTypeOfId } from '../../salesforce/soql.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import { ENGAGEMENT_OBJECT } from './apply.js';
import { EngagementEventStore, type SummaryState } from './event-store.js';
import { displayScore, scoreAt, type ScoreSettings } from './scoring.js';

// Scheduled upkeep of the engagement data:
// - the retention purge deletes engagement records that happened before BRIDGE_ENGAGEMENT_RETENTION_DAYS
//   (read with Bulk API 2.0, deleted 200 per call), and the bridge's own copies of old events;
// - the score refresh rewrites the scores that decayed by a point or more since they were written,
//   so a prospect who went quiet does not keep a high score.

const DAY_MS = 86_400_000;
const DELETE_CHUNK = 200;

export interface PurgeReport {
  cutoff: string | null;
  salesforceDeleted: number;
  salesforceFailed: number;
  storedEventsForgotten: number;
}

export async function purgeEngagement(options: {
  store: Store;
  salesforce: SalesforceClient;
  retentionDays: number;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
}): Promise<PurgeReport> {
  const { store, salesforce, retentionDays, clock, logger } = options;
  if (retentionDays <= 0)
    return { cutoff: null, salesforceDeleted: 0, salesforceFailed: 0, storedEventsForgotten: 0 };
  const cutoff = new Date(clock.now().getTime() - retentionDays * DAY_MS);
  const report: PurgeReport = {
    cutoff: cutoff.toISOString(),
    salesforceDeleted: 0,
    salesforceFailed: 0,
    storedEventsForgotten: 0,
  };
  const soql = `SELECT Id FROM ${ENGAGEMENT_OBJECT} WHERE Occurred_At__c < ${cutoff.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
  const ids: string[] = [];
  for await (const page of salesforce.bulkQuery(soql, { priority: 'background' })) {
    ids.push(...page.map((record) => record.Id));
  }
  for (let start = 0; start < ids.length; start += DELETE_CHUNK) {
    if (options.signal?.aborted) break;
    const chunk = ids.slice(start, start + DELETE_CHUNK);
    try {
      const results = await salesforce.call(
        'collections.delete',
        (conn) =>
          conn.request<
            Array<{ id: string; success: boolean; errors: Array<{ statusCode: string; message: string }> }>
          >({
            method: 'DELETE',
            url: `${salesforce.dataPath}/composite/sobjects?allOrNone=false&ids=${chunk.join(',')}`,
          }),
        { priority: 'background' },
      );
      for (const result of results) {
        // Already gone counts as purged.
        if (result.success || result.errors?.[0]?.statusCode === 'ENTITY_IS_DELETED')
          report.salesforceDeleted += 1;
        else report.salesforceFailed += 1;
      }
    } catch (error) {
      report.salesforceFailed += chunk.length;
      logger.warn(
        { err: error },
        `engagement purge: deleting ${chunk.length} records failed: ${errorMessage(error)}`,
      );
    }
  }
  report.storedEventsForgotten = await new EngagementEventStore(store.db).purgeReceivedBefore(cutoff);
  logger.info(report, 'engagement records past their retention purged');
  return report;
}

export interface ScoreRefreshReport {
  checked: number;
  rewritten: number;
  failed: number;
}

export async function refreshDecayedScores(options: {
  store: Store;
  salesforce: SalesforceClient;
  score: ScoreSettings;
  clock: Clock;
  logger: Logger;
  pageSize?: number;
  signal?: AbortSignal;
}): Promise<ScoreRefreshReport> {
  const { store, salesforce, score, clock, logger } = options;
  const report: ScoreRefreshReport = { checked: 0, rewritten: 0, failed: 0 };
  if (score.halfLifeDays <= 0) return report;
  const events = new EngagementEventStore(store.db);
  let after: string | null = null;
  for (;;) {
    if (options.signal?.aborted) break;
    const page = await events.summariesPage(after, options.pageSize ?? 10_000);
    if (page.length === 0) break;
    after = page[page.length - 1]!.salesforceId;
    report.checked += page.length;
    const now = clock.now();
    const stale = page
      .map((summary) => ({
        summary,
        value: displayScore(scoreAt({ score: summary.score, at: summary.scoreAt }, now, score)),
      }))
      .filter((entry) => entry.value !== entry.summary.writtenScore);
    const saved: SummaryState[] = [];
    for (const objectType of ['Lead', 'Contact'] as const) {
      const mine = stale.filter((entry) => objectTypeOfId(entry.summary.salesforceId) === objectType);
      if (mine.length === 0) continue;
      try {
        const results = await salesforce.update(
          objectType,
          mine.map((entry) => ({
            Id: entry.summary.salesforceId,
            Responsys_Engagement_Score__c: entry.value,
          })),
          { priority: 'background' },
        );
        results.forEach((result, index) => {
          const entry = mine[index]!;
          if (result.success) {
            report.rewritten += 1;
            saved.push({ ...entry.summary, writtenScore: entry.value });
          } else report.failed += 1;
        });
      } catch (error) {
        report.failed += mine.length;
        logger.warn({ err: error }, `score refresh: ${objectType} update failed: ${errorMessage(error)}`);
      }
    }
    await events.saveSummaries(saved);
  }
  logger.info(report, 'decayed engagement scores refreshed');
  return report;
}

import type { WorkQueue } from '../../queue/work-queue.js';
import type { SyncLog, SyncLogEntry } from '../../store/sync-log.js';

// Asking for campaign syncs and reading how they went: a sync is a change of the `campaign-segments`
// flow (object Campaign), and its outcome is the flow's sync-log line for the campaign.

export const CAMPAIGN_SEGMENTS_FLOW = 'campaign-segments';

/** Queues a sync of each campaign (an operator's request or the schedule). */
export async function queueCampaignSyncs(
  queue: Pick<WorkQueue, 'enqueue'>,
  campaignIds: readonly string[],
  source: string,
): Promise<string[]> {
  const result = await queue.enqueue(
    CAMPAIGN_SEGMENTS_FLOW,
    campaignIds.map((recordId) => ({
      objectType: 'Campaign',
      recordId,
      changeType: 'UPDATE' as const,
      source,
    })),
  );
  return result.jobIds;
}

/** The first sync-log line about a campaign after `since`: the outcome of the sync asked for then. */
export async function campaignSyncOutcome(
  syncLog: Pick<SyncLog, 'historyFor'>,
  campaignId: string,
  since: Date,
): Promise<SyncLogEntry | undefined> {
  const lines = await syncLog.historyFor(campaignId, 20);
  return lines
    .filter(
      (line) =>
        line.flow === CAMPAIGN_SEGMENTS_FLOW && line.objectType === 'Campaign' && line.finishedAt >= since,
    )
    .at(-1);
}

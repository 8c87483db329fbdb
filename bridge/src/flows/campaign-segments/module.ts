import { Router } from 'express';
import { z } from 'zod';
import { validate } from '../../http/validation.js';
import type { BridgeContext, BridgeModule } from '../../module.js';
import type { BatchOutcomes, FlowBatch } from '../../queue/outcomes.js';
import { BridgeError, errorMessage, isBridgeError } from '../../shared/errors.js';
import { CampaignSegmentSync, parseSegmentTarget, type CampaignSegmentSettings } from './campaign-sync.js';
import { CAMPAIGN_SEGMENTS_FLOW, campaignSyncOutcome, queueCampaignSyncs } from './segment-requests.js';
import { registerSyncCampaignCommand } from './sync-campaign-command.js';
import { SegmentState, segmentStateMigrations } from './segment-state.js';
import { parseSegmentStatuses } from './selection.js';

// F6 as a bridge module. A campaign sync is a record change of the `campaign-segments` flow (object
// Campaign), so on-demand requests and the schedule share the queue's retries, dead letters and sync
// log, and two requests for one campaign collapse into one sync.
// - on demand: POST /api/v1/campaign-segments/:campaignId/sync, or `responsys-bridge sync-campaign <id>`;
// - on a schedule (BRIDGE_CAMPAIGN_SEGMENT_SCHEDULE): every campaign synced before, and those listed in
//   BRIDGE_CAMPAIGN_SEGMENT_CAMPAIGNS;
// - GET /api/v1/campaign-segments[/:campaignId]: what each segment holds and how its last sync went.

export const CAMPAIGN_SEGMENTS_SCHEDULE_TASK = 'campaign-segments-schedule';

declare module '../../module.js' {
  interface BridgeServices {
    campaignSegments: CampaignSegmentSync;
  }
}

const campaignIdSchema = z.object({
  campaignId: z
    .string()
    .regex(/^701[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$/, { error: 'must be a Campaign id (701...)' }),
});

export function segmentSettings(context: Pick<BridgeContext, 'config'>): CampaignSegmentSettings {
  const settings = context.config.outbound.campaignSegments;
  return {
    target: parseSegmentTarget(settings.target),
    statuses: parseSegmentStatuses(settings.statuses.join(',')),
    leftMembers: settings.leftMembers,
    bulkThreshold: context.config.salesforce.bulkThreshold,
  };
}

function handler(sync: CampaignSegmentSync) {
  return async (batch: FlowBatch): Promise<BatchOutcomes> => {
    const outcomes: BatchOutcomes = new Map();
    for (const item of batch.items) {
      if (batch.signal.aborted) break;
      try {
        const result = await sync.sync(item.recordId, {
          correlationId: item.correlationId,
          signal: batch.signal,
        });
        if (!result.completed) {
          outcomes.set(item.key, {
            status: 'failed',
            error: 'the sync was interrupted (shutdown); it runs again',
            code: 'INTERRUPTED',
            details: { ...result },
          });
          continue;
        }
        outcomes.set(item.key, {
          status: 'succeeded',
          reason:
            `${result.target}: ${result.selected} member(s) with ${result.statuses.join(', ')}; ` +
            `${result.written} written, ${result.unchanged} unchanged, ${result.left} ${result.leftHandling}` +
            (result.failed > 0 ? `, ${result.failed} failed (tried again at the next sync)` : ''),
          details: { ...result },
        });
      } catch (error) {
        if (isBridgeError(error) && error.code === 'NOT_FOUND') {
          outcomes.set(item.key, { status: 'skipped', code: 'CAMPAIGN_NOT_FOUND', reason: error.message });
        } else {
          outcomes.set(item.key, { status: 'failed', error: errorMessage(error), code: 'SYNC_FAILED' });
        }
      }
    }
    return outcomes;
  };
}

export const campaignSegmentsModule: BridgeModule = {
  name: 'campaign-segments',
  migrations: segmentStateMigrations,
  register(context) {
    const { services, queue, store } = context;
    if (!services.has('salesforce') || !services.has('responsys')) return;
    const state = new SegmentState(store.db);
    const sync = new CampaignSegmentSync({
      salesforce: services.get('salesforce'),
      responsys: services.get('responsys'),
      state,
      recordSyncLog: (entries) => store.syncLog.record(entries),
      settings: segmentSettings(context),
      flow: CAMPAIGN_SEGMENTS_FLOW,
      logger: context.logger.child({ component: 'campaign-segments' }),
      clock: context.clock,
    });
    services.provide('campaignSegments', sync);

    queue.defineFlow({
      name: CAMPAIGN_SEGMENTS_FLOW,
      direction: 'salesforce_to_responsys',
      // A sync reads a whole campaign: a few per batch, and never through the express lane.
      batchSize: 10,
      expressLane: false,
      handle: handler(sync),
    });
    queue.defineTask({
      name: CAMPAIGN_SEGMENTS_SCHEDULE_TASK,
      schedule: context.config.outbound.campaignSegments.schedule,
      run: async () => {
        const ids = [
          ...new Set([
            ...(await state.list()).map((segment) => segment.campaignId),
            ...context.config.outbound.campaignSegments.campaignIds,
          ]),
        ];
        await queueCampaignSyncs(queue, ids, 'schedule');
        return { queued: ids.length };
      },
    });

    const router = Router();
    router.get('/', async (_request, response) => {
      response.json({
        target: context.config.outbound.campaignSegments.target,
        segments: await state.list(),
      });
    });
    router.get('/:campaignId', async (request, response) => {
      const { campaignId } = validate(campaignIdSchema, request.params, 'campaign');
      const summary = await state.summary(campaignId);
      if (!summary)
        throw new BridgeError('NOT_FOUND', `Campaign ${campaignId} was never synced to Responsys`);
      response.json({ ...summary, members: await state.counts(campaignId) });
    });
    router.post('/:campaignId/sync', async (request, response) => {
      const { campaignId } = validate(campaignIdSchema, request.params, 'campaign');
      const { wait } = validate(
        z.object({ wait: z.enum(['true', 'false']).optional() }),
        request.query,
        'query',
      );
      const campaign = await sync.campaign(campaignId);
      const requestedAt = context.clock.now();
      const [jobId] = await queueCampaignSyncs(queue, [campaign.id], 'operator');
      if (wait !== 'true') {
        response
          .status(202)
          .json({ campaignId: campaign.id, campaignName: campaign.name, queued: true, jobId });
        return;
      }
      const deadline = Date.now() + 10 * 60_000;
      for (;;) {
        const outcome = await campaignSyncOutcome(store.syncLog, campaign.id, requestedAt);
        if (outcome) {
          response.json({ campaignId: campaign.id, campaignName: campaign.name, outcome });
          return;
        }
        if (Date.now() > deadline || request.socket.destroyed) {
          response.status(202).json({ campaignId: campaign.id, queued: true, jobId, stillRunning: true });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });
    context.http.mountAdmin('/campaign-segments', router);
  },
  cli(program, cli) {
    registerSyncCampaignCommand(program, cli);
  },
};

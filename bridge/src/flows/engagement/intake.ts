import type { FileChunk } from '../../responsys/files/index.js';
import type { Clock } from '../../shared/clock.js';
import { withCorrelation } from '../../shared/correlation.js';
import type { Logger } from '../../shared/logger.js';
import type { BridgeMetrics } from '../../shared/metrics.js';
import type { Queryable } from '../../store/database.js';
import type { Repositories, Store } from '../../store/store.js';
import type { WorkQueue } from '../../queue/work-queue.js';
import { readCallbackBatch } from './callbacks.js';
import { readCedRow, type LaunchInfo } from './ced-rows.js';
import { EngagementEventStore, type IntakeResult } from './event-store.js';
import { payloadFingerprint, type EngagementEvent } from './events.js';
import { OPT_OUTS_INBOUND_FLOW, RECIPIENT_OBJECT } from './names.js';

// Intake: engagement arriving from Responsys is stored in the bridge's database first, in the same
// transaction as the file's reading position (or before the callback is answered), so that a crash
// loses nothing and repeats nothing. Opt-outs and opt-ins are also queued at once for the opt-out flow
// (F7), whose express lane takes them ahead of everything else. Writing to Salesforce happens after,
// in large batches (see apply.ts).

/** A redelivered callback batch is recognised for this long after it was first received. */
export const CALLBACK_REDELIVERY_WINDOW_MS = 6 * 3_600_000;

export interface FileIntakeResult extends Omit<IntakeResult, 'added'> {
  added: number;
  launches: number;
  rejected: number;
}

export interface CallbackIntakeResult {
  received: number;
  accepted: number;
  duplicates: number;
  superseded: number;
  ignored: Array<{ index: number; reason: string }>;
  rejected: Array<{ index: number; reason: string }>;
  redelivery: boolean;
}

export interface EngagementIntakeOptions {
  store: Store;
  queue: WorkQueue;
  metrics: BridgeMetrics;
  logger: Logger;
  clock: Clock;
}

export class EngagementIntake {
  private readonly log: Logger;

  constructor(private readonly options: EngagementIntakeOptions) {
    this.log = options.logger.child({ component: 'engagement-intake' });
  }

  /** Stores one chunk of a Contact Event Data file together with the file's reading position. */
  async ingestFileChunk(chunk: FileChunk, feed: string): Promise<FileIntakeResult> {
    const { store, metrics } = this.options;
    const riids = [
      ...new Set(chunk.rows.map((row) => row.values.RIID?.trim()).filter((riid) => !!riid)),
    ] as string[];
    const result = await store.transaction(async (repos, tx) => {
      const journeys = await this.journeys(repos, riids);
      const events: EngagementEvent[] = [];
      const launches: LaunchInfo[] = [];
      const rejects: Array<{ origin: string; originRef: string; reason: string; payload: string | null }> =
        [];
      for (const row of chunk.rows) {
        const read = readCedRow(row, {
          feed,
          fileName: chunk.file.name,
          correlationIdFor: (riid) => journeys.get(riid),
        });
        if (read.kind === 'event') events.push(read.event);
        else if (read.kind === 'launch') launches.push(read.launch);
        else {
          rejects.push({
            origin: 'file',
            originRef: `${chunk.file.name}:${row.line}`,
            reason: read.reason,
            payload: row.raw ?? JSON.stringify(row.values),
          });
        }
      }
      const eventStore = new EngagementEventStore(tx);
      const intake = await eventStore.addEvents(events, this.options.clock.now());
      await eventStore.upsertLaunches(launches);
      await eventStore.reject(rejects);
      await this.queueOptChanges(intake, events, 'file', tx);
      await chunk.savePosition(repos.inboundFiles);
      return { intake, launches: launches.length, rejected: rejects.length };
    });
    if (result.intake.added.length > 0) {
      metrics.eventReceived(
        { source: 'file', objectType: 'ResponsysEvent', changeType: feed },
        result.intake.added.length,
      );
    }
    if (result.rejected > 0) {
      this.log.warn(
        { file: chunk.file.name, rejected: result.rejected },
        `${result.rejected} row(s) of ${chunk.file.name} could not be read; they are kept for review (engagement rejects)`,
      );
    }
    const { added, ...rest } = result.intake;
    return { ...rest, added: added.length, launches: result.launches, rejected: result.rejected };
  }

  /** Stores one Event Notification delivery (an array of payloads, or a single payload). */
  async ingestCallbackBatch(payloads: readonly unknown[]): Promise<CallbackIntakeResult> {
    const { store, metrics, clock } = this.options;
    const receivedAt = clock.now();
    const fingerprint = payloadFingerprint(payloads);
    const riids = payloads
      .map((payload) =>
        payload && typeof payload === 'object' ? String((payload as { riid?: unknown }).riid ?? '') : '',
      )
      .filter(Boolean);
    const outcome = await store.transaction(async (repos, tx) => {
      const eventStore = new EngagementEventStore(tx);
      const receipt = await eventStore.callbackBatchReceipt(
        fingerprint,
        receivedAt,
        CALLBACK_REDELIVERY_WINDOW_MS,
      );
      const journeys = await this.journeys(repos, riids);
      const items = readCallbackBatch(payloads, {
        fingerprint,
        firstReceivedAt: receipt.firstReceivedAt,
        receivedAt,
        correlationIdFor: (riid) => journeys.get(riid),
      });
      const events = items.flatMap((item) => (item.kind === 'event' ? [item.event] : []));
      const intake = await eventStore.addEvents(events, receivedAt);
      await eventStore.rememberCampaignNames(
        events
          .filter((event) => event.campaignId && event.campaignName)
          .map((event) => [event.campaignId!, event.campaignName!] as const),
      );
      const rejected = items.flatMap((item) => (item.kind === 'rejected' ? [item] : []));
      await eventStore.reject(
        rejected.map((item) => ({
          origin: 'callback',
          originRef: `${fingerprint.slice(0, 16)}@${receipt.firstReceivedAt.toISOString()}#${item.index}`,
          reason: item.reason,
          payload: JSON.stringify(item.payload ?? null),
        })),
      );
      await this.queueOptChanges(intake, events, 'callback', tx);
      return { items, intake, redelivery: receipt.redelivery };
    });
    const { items, intake } = outcome;
    if (intake.added.length > 0) {
      for (const event of intake.added) {
        metrics.eventReceived({ source: 'webhook', objectType: 'ResponsysEvent', changeType: event.type });
      }
    }
    return {
      received: payloads.length,
      accepted: intake.added.length,
      duplicates: intake.duplicates,
      superseded: intake.superseded.length,
      ignored: items.flatMap((item) =>
        item.kind === 'ignored' ? [{ index: item.index, reason: item.reason }] : [],
      ),
      rejected: items.flatMap((item) =>
        item.kind === 'rejected' ? [{ index: item.index, reason: item.reason }] : [],
      ),
      redelivery: outcome.redelivery,
    };
  }

  /** The correlation id of each person's journey, when an identity link carries one. */
  private async journeys(repos: Repositories, riids: readonly string[]): Promise<Map<string, string>> {
    const journeys = new Map<string, string>();
    if (riids.length === 0) return journeys;
    for (const [riid, links] of await repos.identityLinks.forRiids(riids)) {
      const withJourney = links.find((link) => link.correlationId);
      if (withJourney?.correlationId) journeys.set(riid, withJourney.correlationId);
    }
    return journeys;
  }

  /** Opt-outs and opt-ins go to the opt-out flow at once (its express lane takes opt-outs). */
  private async queueOptChanges(
    intake: IntakeResult,
    events: readonly EngagementEvent[],
    source: 'file' | 'callback',
    tx: Queryable,
  ): Promise<void> {
    if (intake.optRiids.length === 0) return;
    const byRiid = new Map<string, EngagementEvent[]>();
    for (const event of events) {
      if (!event.riid || (event.type !== 'Opted_Out' && event.type !== 'Opted_In')) continue;
      byRiid.set(event.riid, [...(byRiid.get(event.riid) ?? []), event]);
    }
    const changes = intake.optRiids.map((riid) => {
      const mine = byRiid.get(riid) ?? [];
      const optOut = mine.some((event) => event.type === 'Opted_Out');
      const first = mine[0];
      return {
        objectType: RECIPIENT_OBJECT,
        recordId: riid,
        changeType: optOut ? ('OPT_OUT' as const) : ('OPT_IN' as const),
        source,
        correlationId: first?.correlationId,
        occurredAt: first?.occurredAt.toISOString(),
      };
    });
    const queued = await this.options.queue.enqueue(OPT_OUTS_INBOUND_FLOW, changes, { tx });
    withCorrelation({ correlationIds: changes.map((change) => change.correlationId ?? '') }, () =>
      this.log.info(
        { riids: intake.optRiids, queued: queued.queued },
        'opt-outs and opt-ins queued for Salesforce',
      ),
    );
  }
}

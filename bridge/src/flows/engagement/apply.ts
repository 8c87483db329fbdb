import type { RecipientDirectory, RecipientRef, SalesforceMatch } from '../../identity/types.js';
import type { WorkQueue } from '../../queue/work-queue.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import type { WriteResult } from '../../salesforce/writes.js';
import { backoffDelayMs } from '../../shared/backoff.js';
import type { Clock } from '../../shared/clock.js';
import { withCorrelation } from '../../shared/correlation.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BridgeMetrics } from '../../shared/metrics.js';
import type { Store } from '../../store/store.js';
import type { SyncLogInput } from '../../store/sync-log.js';
import {
  EngagementEventStore,
  type EventOutcome,
  type StoredEvent,
  type SummaryState,
} from './event-store.js';
import { FIELD_LENGTHS, truncate } from './events.js';
import { LEAD_STATUS_FLOW, OPT_OUTS_INBOUND_FLOW, RECIPIENT_OBJECT } from './names.js';
import type { ScoreSettings } from './scoring.js';
import { inheritSummary, latestOf, summarize } from './summary.js';

// Writing stored engagement to Salesforce, in batches of up to BRIDGE_ENGAGEMENT_BATCH_SIZE events:
//   1. who each event is about (identity: the RIID link, CUSTOMER_ID, then the email; a Contact wins
//      over a Lead; a converted Lead's events go to its Contact);
//   2. one upsert of all the batch's Responsys_Engagement__c records on Event_Key__c (Bulk API 2.0
//      above SALESFORCE_BULK_THRESHOLD, sObject Collections below);
//   3. one read and one update of the summary fields per Lead/Contact of the batch;
//   4. one transaction in the bridge's store with every event's outcome, the summaries, the sync log,
//      the identity links learnt from email matches, and the follow-up work (status rules, opt-outs).
// Anything that fails is retried later on its own; a crash between 2 and 4 repeats the batch, and the
// upserts and summary (computed from the store) come out the same.

export const ENGAGEMENT_FLOW = 'f2-engagement';
export const ENGAGEMENT_OBJECT = 'Responsys_Engagement__c';

export interface EngagementIdentity {
  resolveSalesforceRecords(recipients: readonly RecipientRef[]): Promise<Map<string, SalesforceMatch>>;
}

export interface EngagementSettings {
  opens: 'record' | 'count';
  score: ScoreSettings;
  batchSize: number;
  /** attempts of a Salesforce write before the event is failed */
  maxAttempts: number;
}

export interface ApplyReport {
  batches: number;
  events: number;
  applied: number;
  counted: number;
  unmatched: number;
  retrying: number;
  failed: number;
  summariesWritten: number;
}

const emptyReport = (): ApplyReport => ({
  batches: 0,
  events: 0,
  applied: 0,
  counted: 0,
  unmatched: 0,
  retrying: 0,
  failed: 0,
  summariesWritten: 0,
});

export interface EngagementApplierOptions {
  store: Store;
  salesforce: SalesforceClient;
  identity: EngagementIdentity;
  /** Responsys, to learn the address of recipients the bridge has no link for */
  recipients?: RecipientDirectory;
  /** kept across runs of the apply task in one process */
  people?: PeopleCache;
  queue: WorkQueue;
  settings: EngagementSettings;
  metrics: BridgeMetrics;
  logger: Logger;
  clock: Clock;
  random?: () => number;
}

interface Target {
  salesforceId: string;
  objectType: 'Lead' | 'Contact';
  matchedBy: string;
  convertedFrom?: string;
}

const MINUTE = 60_000;
const PEOPLE_CACHE_MS = 5 * MINUTE;

/**
 * Who a person key resolved to, and when. A send's events come in several files and batches for the
 * same people (sent, opens, clicks): each person is looked up once, and the answer is never used
 * for longer than a few minutes (a Lead converted meanwhile is followed to its Contact after that).
 */
export type PeopleCache = Map<string, { at: number; match: SalesforceMatch }>;
/** Unmatched events are tried again after 15 min, 1 h, 4 h, then daily. */
export function unmatchedRetryDelayMs(attempts: number): number {
  return Math.min(24 * 60 * MINUTE, 15 * MINUTE * 4 ** Math.max(0, attempts));
}

/** Salesforce said the record is gone: find the person again rather than fail. */
const GONE_CODES = new Set(['ENTITY_IS_DELETED', 'INVALID_CROSS_REFERENCE_KEY', 'INVALID_ID_FIELD']);

const personKey = (event: StoredEvent): string | undefined =>
  event.riid
    ? `r:${event.riid}`
    : event.customerId
      ? `c:${event.customerId}`
      : event.email
        ? `e:${event.email.toLowerCase()}`
        : undefined;

const SUMMARY_FIELDS = [
  'Responsys_RIID__c',
  'Responsys_Sync_Status__c',
  'Responsys_Engagement_Score__c',
  'Responsys_Last_Opened_At__c',
  'Responsys_Last_Clicked_At__c',
];

const PEOPLE_CACHE_MAX = 200_000;

/** Drops expired answers (insertion order is age order) and keeps the cache bounded. */
function forgetOldPeople(people: PeopleCache, now: number): void {
  for (const [key, known] of people) {
    if (people.size <= PEOPLE_CACHE_MAX && now - known.at <= PEOPLE_CACHE_MS) break;
    people.delete(key);
  }
}

/** The record's own stored summary (not one inherited from the Lead it was converted from). */
function ownSummary(summaries: Map<string, SummaryState>, target: Target): SummaryState | undefined {
  const summary = summaries.get(target.salesforceId);
  return summary && summary.salesforceId === target.salesforceId && summary.writtenScore !== null
    ? summary
    : undefined;
}

/** The summary fields as the bridge last wrote them (the RIID and sync status were settled then). */
function writtenFields(summary: SummaryState): Record<string, unknown> {
  return {
    Id: summary.salesforceId,
    Responsys_Engagement_Score__c: summary.writtenScore,
    Responsys_Last_Opened_At__c: summary.lastOpenedAt?.toISOString() ?? null,
    Responsys_Last_Clicked_At__c: summary.lastClickedAt?.toISOString() ?? null,
    Responsys_RIID__c: 'written',
    Responsys_Sync_Status__c: 'written',
  };
}

export class EngagementApplier {
  private readonly log: Logger;
  private readonly random: () => number;

  constructor(private readonly options: EngagementApplierOptions) {
    this.log = options.logger.child({ flow: ENGAGEMENT_FLOW });
    this.random = options.random ?? Math.random;
  }

  /** Writes every due event, batch after batch, until none is due (or `signal` aborts). */
  async run(signal?: AbortSignal): Promise<ApplyReport> {
    const total = emptyReport();
    const seen = new Set<string>();
    const people = this.options.people ?? new Map();
    while (!signal?.aborted) {
      const events = (
        await new EngagementEventStore(this.options.store.db).due(
          this.options.settings.batchSize,
          this.options.clock.now(),
        )
      ).filter((event) => !seen.has(event.eventKey));
      if (events.length === 0) break;
      for (const event of events) seen.add(event.eventKey);
      const report = await this.applyBatch(events, people);
      for (const key of Object.keys(total) as Array<keyof ApplyReport>) total[key] += report[key];
    }
    return total;
  }

  async applyBatch(events: readonly StoredEvent[], people: PeopleCache = new Map()): Promise<ApplyReport> {
    const { salesforce, settings, clock } = this.options;
    const startedAt = clock.now();
    const report = { ...emptyReport(), batches: 1, events: events.length };
    const outcomes = new Map<string, EventOutcome>();
    // The journeys of the batch, for its log lines (a batch of thousands names its first hundred).
    const correlationIds = [...new Set(events.map((event) => event.correlationId))].slice(0, 100);
    const log = this.log.child({ correlationIds });

    // 1. who
    const targets = await this.resolve(events, outcomes, report, people);
    const matched = events.filter((event) => targets.has(event.eventKey));
    const eventStore = new EngagementEventStore(this.options.store.db);
    const campaigns = await eventStore.campaignsFor(
      matched.map((event) => event.launchId).filter((id): id is string => !!id),
      matched.map((event) => event.campaignId).filter((id): id is string => !!id),
    );

    // 2. the timeline records
    const written = matched.filter((event) => !(event.type === 'Opened' && settings.opens === 'count'));
    const countedOnly = matched.filter((event) => event.type === 'Opened' && settings.opens === 'count');
    const succeeded = new Set<string>(countedOnly.map((event) => event.eventKey));
    if (written.length > 0) {
      const records = written.map((event) => {
        const target = targets.get(event.eventKey)!;
        const launch = event.launchId ? campaigns.launches.get(event.launchId) : undefined;
        const campaignId = event.campaignId ?? launch?.campaignId ?? null;
        const campaignName =
          event.campaignName ??
          launch?.campaignName ??
          (campaignId ? campaigns.names.get(campaignId) : undefined) ??
          null;
        return {
          Event_Key__c: event.eventKey,
          Event_Type__c: event.type,
          Occurred_At__c: event.occurredAt.toISOString(),
          Lead__c: target.objectType === 'Lead' ? target.salesforceId : null,
          Contact__c: target.objectType === 'Contact' ? target.salesforceId : null,
          Campaign_Name__c: truncate(campaignName, FIELD_LENGTHS.Campaign_Name__c),
          Responsys_Campaign_Id__c: truncate(campaignId, FIELD_LENGTHS.Responsys_Campaign_Id__c),
          Launch_Id__c: truncate(event.launchId, FIELD_LENGTHS.Launch_Id__c),
          Offer_Name__c: truncate(event.offerName, FIELD_LENGTHS.Offer_Name__c),
          Offer_Url__c: truncate(event.offerUrl, FIELD_LENGTHS.Offer_Url__c),
          Detail__c: truncate(event.detail, FIELD_LENGTHS.Detail__c),
          Correlation_Id__c: truncate(event.correlationId, FIELD_LENGTHS.Correlation_Id__c),
        };
      });
      let results: WriteResult[];
      try {
        results = await salesforce.upsert(ENGAGEMENT_OBJECT, 'Event_Key__c', records, {
          correlationIds: written.map((event) => event.correlationId),
        });
      } catch (error) {
        // The whole call failed (Salesforce down, limit spent): every record of the batch tries again.
        log.warn({ err: error }, `engagement upsert failed: ${errorMessage(error)}`);
        results = written.map((_, index) => ({
          index,
          id: null,
          success: false,
          errors: [{ code: 'CALL_FAILED', message: errorMessage(error), fields: [] }],
          retryable: true,
        }));
      }
      results.forEach((result, index) => {
        const event = written[index]!;
        if (result.success) {
          succeeded.add(event.eventKey);
          return;
        }
        const error = result.errors[0];
        const code = error?.code ?? 'UNKNOWN';
        this.failure(event, outcomes, report, {
          error: `Salesforce refused the engagement record: ${code}: ${error?.message ?? ''}`,
          code,
          retryable: result.retryable || GONE_CODES.has(code),
        });
      });
    }

    // 3. the summary fields, once per Lead/Contact
    const byTarget = new Map<string, { target: Target; events: StoredEvent[] }>();
    for (const event of matched) {
      if (!succeeded.has(event.eventKey)) continue;
      const target = targets.get(event.eventKey)!;
      const entry = byTarget.get(target.salesforceId) ?? { target, events: [] };
      entry.events.push(event);
      byTarget.set(target.salesforceId, entry);
    }
    const summaries = await this.summaries(
      eventStore,
      [...byTarget.values()].map((entry) => entry.target),
    );
    const latest = await eventStore.latestEngagement([...byTarget.keys()]);
    const newSummaries: SummaryState[] = [];
    const summaryFailed = new Map<string, { error: string; code: string; retryable: boolean }>();
    // What the bridge wrote last is in its store; only records it never wrote to are read first.
    const current = await this.currentValues(
      [...byTarget.values()].map((entry) => entry.target).filter((target) => !ownSummary(summaries, target)),
    );
    for (const { target } of byTarget.values()) {
      const own = ownSummary(summaries, target);
      if (own) current.set(target.salesforceId, writtenFields(own));
    }
    const updates: Record<'Lead' | 'Contact', Array<Record<string, unknown>>> = { Lead: [], Contact: [] };
    const updateOwners: Record<'Lead' | 'Contact', string[]> = { Lead: [], Contact: [] };
    for (const { target, events: targetEvents } of byTarget.values()) {
      const fresh = targetEvents.filter((event) => !event.summarizedAt);
      const previous = summaries.get(target.salesforceId);
      const next = summarize(previous, target, fresh, startedAt, settings.score);
      // Last opened/clicked come from the events themselves: a callback's receipt time is replaced by
      // the exact time once its file row arrives, and the summary follows it.
      const batchTime = (type: string) =>
        targetEvents
          .filter((event) => event.type === type)
          .reduce<Date | null>((acc, event) => latestOf(acc, event.occurredAt), null);
      next.lastOpenedAt = latestOf(
        latest.get(target.salesforceId)?.lastOpenedAt ?? null,
        batchTime('Opened'),
      );
      next.lastClickedAt = latestOf(
        latest.get(target.salesforceId)?.lastClickedAt ?? null,
        batchTime('Clicked'),
      );
      newSummaries.push(next);
      const record = current.get(target.salesforceId);
      if (!record) {
        summaryFailed.set(target.salesforceId, {
          error: `the ${target.objectType} ${target.salesforceId} no longer exists`,
          code: 'ENTITY_IS_DELETED',
          retryable: true,
        });
        continue;
      }
      if (record.IsConverted === true) continue; // a converted Lead is read-only; its Contact carries on
      const update = this.summaryUpdate(record, next, targetEvents, startedAt);
      if (update) {
        updates[target.objectType].push({ Id: target.salesforceId, ...update });
        updateOwners[target.objectType].push(target.salesforceId);
      }
    }
    for (const objectType of ['Lead', 'Contact'] as const) {
      if (updates[objectType].length === 0) continue;
      let results: WriteResult[];
      try {
        results = await salesforce.update(objectType, updates[objectType]);
      } catch (error) {
        log.warn({ err: error }, `${objectType} summary update failed: ${errorMessage(error)}`);
        results = updates[objectType].map((_, index) => ({
          index,
          id: null,
          success: false,
          errors: [{ code: 'CALL_FAILED', message: errorMessage(error), fields: [] }],
          retryable: true,
        }));
      }
      results.forEach((result, index) => {
        const id = updateOwners[objectType][index]!;
        if (result.success) {
          report.summariesWritten += 1;
          return;
        }
        const error = result.errors[0];
        summaryFailed.set(id, {
          error: `${error?.code ?? 'UNKNOWN'}: ${error?.message ?? ''}`,
          code: error?.code ?? 'UNKNOWN',
          retryable: result.retryable,
        });
      });
    }

    // 4. outcomes, in one transaction with everything that follows from them
    const syncLines: SyncLogInput[] = [];
    const savedSummaries: SummaryState[] = [];
    const leadsToRate: Array<{ id: string; correlationId: string }> = [];
    for (const summary of newSummaries) {
      const { target, events: targetEvents } = byTarget.get(summary.salesforceId)!;
      const failed = summaryFailed.get(summary.salesforceId);
      if (failed?.retryable) {
        // the records exist; the summary is computed again (from the store) on the next attempt
        for (const event of targetEvents) {
          this.failure(event, outcomes, report, {
            error: `engagement recorded, summary fields not written: ${failed.error}`,
            code: failed.code,
            retryable: true,
          });
        }
        continue;
      }
      savedSummaries.push(summary);
      for (const event of targetEvents) {
        const counted = event.type === 'Opened' && settings.opens === 'count';
        outcomes.set(event.eventKey, {
          eventKey: event.eventKey,
          status: counted ? 'counted' : 'applied',
          salesforceId: target.salesforceId,
          objectType: target.objectType,
          matchedBy: target.matchedBy,
          attempts: event.attempts + 1,
          summarized: true,
          applied: true,
          error: failed ? `summary fields not written: ${failed.error}` : null,
          errorCode: failed?.code ?? null,
        });
        if (counted) report.counted += 1;
        else report.applied += 1;
        this.options.metrics.endToEndLatency(
          { flow: ENGAGEMENT_FLOW },
          (clock.now().getTime() - event.occurredAt.getTime()) / 1000,
        );
      }
      const types = [...new Set(targetEvents.map((event) => event.type))];
      syncLines.push({
        correlationId: targetEvents[0]!.correlationId,
        flow: ENGAGEMENT_FLOW,
        direction: 'responsys_to_salesforce',
        outcome: failed ? 'skipped' : 'succeeded',
        objectType: target.objectType,
        salesforceId: target.salesforceId,
        riid: targetEvents[0]!.riid,
        email: targetEvents.find((event) => event.email)?.email ?? null,
        reason: failed
          ? `engagement recorded; summary fields not written: ${failed.error}`
          : `${targetEvents.length} engagement event(s) recorded (${types.join(', ')})`,
        errorCode: failed?.code ?? null,
        occurredAt: targetEvents[0]!.occurredAt,
        startedAt,
        details: {
          events: targetEvents.length,
          types,
          matchedBy: target.matchedBy,
          score: summary.writtenScore,
          ...(target.convertedFrom ? { convertedFrom: target.convertedFrom } : {}),
          correlationIds: [...new Set(targetEvents.map((event) => event.correlationId))].slice(0, 20),
        },
      });
      const previous = summaries.get(summary.salesforceId);
      const rated =
        targetEvents.some((event) => event.type === 'Clicked' || event.type === 'Converted') ||
        (summary.writtenScore ?? 0) > (previous?.writtenScore ?? 0);
      if (target.objectType === 'Lead' && rated) {
        leadsToRate.push({ id: target.salesforceId, correlationId: targetEvents[0]!.correlationId });
      }
    }
    for (const event of events) {
      if (outcomes.has(event.eventKey)) continue;
      this.failure(event, outcomes, report, {
        error: 'no outcome was recorded for this event',
        code: 'NO_RESULT',
        retryable: true,
      });
    }
    const links = matched
      .filter((event) => {
        const target = targets.get(event.eventKey)!;
        return (
          event.riid && target.matchedBy !== 'link' && outcomes.get(event.eventKey)?.status === 'applied'
        );
      })
      .map((event) => ({
        salesforceId: targets.get(event.eventKey)!.salesforceId,
        objectType: targets.get(event.eventKey)!.objectType,
        riid: event.riid!,
        email: event.email,
        correlationId: event.correlationId,
      }));
    // Opt-outs of people nobody matched before go to the opt-out flow now that someone does.
    const optRecipients = new Map<string, 'OPT_OUT' | 'OPT_IN'>();
    for (const event of matched) {
      if (event.optStatus !== 'unmatched' || !event.riid) continue;
      if (event.type === 'Opted_Out' || !optRecipients.has(event.riid)) {
        optRecipients.set(event.riid, event.type === 'Opted_Out' ? 'OPT_OUT' : 'OPT_IN');
      }
    }
    await this.options.store.transaction(async (repos, tx) => {
      const txEvents = new EngagementEventStore(tx);
      await txEvents.recordOutcomes([...outcomes.values()], clock.now());
      await txEvents.saveSummaries(savedSummaries);
      await repos.syncLog.record(syncLines);
      if (links.length > 0) await repos.identityLinks.link(links);
      if (optRecipients.size > 0) {
        await txEvents.setOptStatus(
          matched
            .filter((event) => event.optStatus === 'unmatched')
            .map((event) => ({ eventKey: event.eventKey, status: 'pending' as const })),
        );
        await this.options.queue.enqueue(
          OPT_OUTS_INBOUND_FLOW,
          [...optRecipients].map(([riid, changeType]) => ({
            objectType: RECIPIENT_OBJECT,
            recordId: riid,
            changeType,
            source: 'engagement-match',
          })),
          { tx },
        );
      }
      if (leadsToRate.length > 0) {
        await this.options.queue.enqueue(
          LEAD_STATUS_FLOW,
          leadsToRate.map((lead) => ({
            objectType: 'Lead',
            recordId: lead.id,
            changeType: 'UPDATE' as const,
            source: 'engagement',
            correlationId: lead.correlationId,
          })),
          { tx },
        );
      }
    });
    this.options.metrics.recordProcessed(
      { flow: ENGAGEMENT_FLOW, outcome: 'succeeded' },
      report.applied + report.counted,
    );
    if (report.unmatched > 0)
      this.options.metrics.recordProcessed({ flow: ENGAGEMENT_FLOW, outcome: 'skipped' }, report.unmatched);
    if (report.retrying > 0)
      this.options.metrics.recordProcessed({ flow: ENGAGEMENT_FLOW, outcome: 'retried' }, report.retrying);
    if (report.failed > 0)
      this.options.metrics.recordProcessed(
        { flow: ENGAGEMENT_FLOW, outcome: 'dead_lettered' },
        report.failed,
      );
    withCorrelation({ correlationIds }, () =>
      this.log.info(
        { ...report, durationMs: clock.now().getTime() - startedAt.getTime() },
        'engagement batch written to Salesforce',
      ),
    );
    return report;
  }

  /** The Lead or Contact of each event's person; events of nobody become unmatched. */
  private async resolve(
    events: readonly StoredEvent[],
    outcomes: Map<string, EventOutcome>,
    report: ApplyReport,
    people: PeopleCache,
  ): Promise<Map<string, Target>> {
    const now = this.options.clock.now();
    const refs = new Map<string, RecipientRef>();
    for (const event of events) {
      const key = personKey(event);
      if (!key) continue;
      const ref = refs.get(key) ?? { key, riid: event.riid, customerId: null, email: null };
      ref.customerId ??= event.customerId;
      ref.email ??= event.email;
      refs.set(key, ref);
    }
    const matches = new Map<string, SalesforceMatch>();
    for (const key of refs.keys()) {
      const known = people.get(key);
      if (known && now.getTime() - known.at <= PEOPLE_CACHE_MS) matches.set(key, known.match);
    }
    const unknown = [...refs.values()].filter((ref) => !matches.has(ref.key!));
    if (unknown.length > 0) {
      for (const [key, match] of await this.options.identity.resolveSalesforceRecords(unknown))
        matches.set(key, match);
    }
    // Opens and clicks name only the RIID: when the bridge has no link for it, Responsys says who it is.
    const anonymous = [...refs.values()].filter(
      (ref) => ref.riid && !ref.email && !ref.customerId && matches.get(ref.key!)?.status !== 'matched',
    );
    if (anonymous.length > 0 && this.options.recipients) {
      try {
        const members = await this.options.recipients.retrieveProfileMembers(
          anonymous.map((ref) => ref.riid!),
          { by: 'RIID_', fields: ['EMAIL_ADDRESS_', 'CUSTOMER_ID_'] },
        );
        const known = anonymous.flatMap((ref) => {
          const member = members.byId.get(ref.riid!)?.[0];
          return member ? [{ ...ref, email: member.EMAIL_ADDRESS_, customerId: member.CUSTOMER_ID_ }] : [];
        });
        for (const [key, match] of await this.options.identity.resolveSalesforceRecords(known)) {
          matches.set(key, match);
        }
      } catch (error) {
        // They stay unmatched for now and are tried again with the other unmatched events.
        this.log.warn(
          { riids: anonymous.length },
          `could not ask Responsys who ${anonymous.length} recipient(s) are: ${errorMessage(error)}`,
        );
      }
    }
    for (const ref of unknown) {
      const match = matches.get(ref.key!);
      people.delete(ref.key!);
      // re-inserted at the end: the map stays in age order
      if (match?.status === 'matched') people.set(ref.key!, { at: now.getTime(), match });
    }
    forgetOldPeople(people, now.getTime());
    const targets = new Map<string, Target>();
    for (const event of events) {
      const key = personKey(event);
      const match = key ? matches.get(key) : undefined;
      if (match?.status === 'matched') {
        targets.set(event.eventKey, {
          salesforceId: match.salesforceId,
          objectType: match.objectType,
          matchedBy: match.via,
          convertedFrom: match.convertedFrom,
        });
        continue;
      }
      const reason =
        match?.reason ?? 'the event names no RIID, CUSTOMER_ID or email address to find the person by';
      outcomes.set(event.eventKey, {
        eventKey: event.eventKey,
        status: 'unmatched',
        attempts: (event.status === 'unmatched' ? event.attempts : 0) + 1,
        nextAttemptAt: new Date(
          now.getTime() + unmatchedRetryDelayMs(event.status === 'unmatched' ? event.attempts : 0),
        ),
        error: reason,
        errorCode: match?.code ?? 'NO_MATCH',
      });
      report.unmatched += 1;
    }
    return targets;
  }

  /** Stored summaries; a Contact's first summary starts from the Lead it was converted from. */
  private async summaries(
    eventStore: EngagementEventStore,
    targets: readonly Target[],
  ): Promise<Map<string, SummaryState>> {
    const ids = targets.flatMap((target) => [
      target.salesforceId,
      ...(target.convertedFrom ? [target.convertedFrom] : []),
    ]);
    const stored = await eventStore.summaries(ids);
    const result = new Map<string, SummaryState>();
    for (const target of targets) {
      const own = stored.get(target.salesforceId);
      const lead = target.convertedFrom ? stored.get(target.convertedFrom) : undefined;
      if (own) result.set(target.salesforceId, own);
      else if (lead) result.set(target.salesforceId, inheritSummary(lead, target));
    }
    return result;
  }

  /** The summary fields as they are in Salesforce now (one read per 200 records). */
  private async currentValues(targets: readonly Target[]): Promise<Map<string, Record<string, unknown>>> {
    const result = new Map<string, Record<string, unknown>>();
    for (const objectType of ['Lead', 'Contact'] as const) {
      const ids = targets
        .filter((target) => target.objectType === objectType)
        .map((target) => target.salesforceId);
      if (ids.length === 0) continue;
      const fields = objectType === 'Lead' ? [...SUMMARY_FIELDS, 'IsConverted'] : SUMMARY_FIELDS;
      for (const [id, record] of await this.options.salesforce.retrieve(objectType, ids, fields))
        result.set(id, record);
    }
    return result;
  }

  /**
   * The fields to write, or undefined when Salesforce already shows all of it (the bridge is the one
   * writer of the summary fields). The RIID is filled in when missing; a record never synced before is marked
   * Synced (an outbound status, Pending or Failed, is left for the outbound flows to clear).
   */
  private summaryUpdate(
    record: Record<string, unknown>,
    summary: SummaryState,
    events: readonly StoredEvent[],
    now: Date,
  ): Record<string, unknown> | undefined {
    const update: Record<string, unknown> = {};
    const asDate = (value: unknown) => (typeof value === 'string' && value ? new Date(value) : null);
    const opened = summary.lastOpenedAt;
    const clicked = summary.lastClickedAt;
    if (opened && opened.getTime() !== asDate(record.Responsys_Last_Opened_At__c)?.getTime()) {
      update.Responsys_Last_Opened_At__c = opened.toISOString();
    }
    if (clicked && clicked.getTime() !== asDate(record.Responsys_Last_Clicked_At__c)?.getTime()) {
      update.Responsys_Last_Clicked_At__c = clicked.toISOString();
    }
    if (
      summary.writtenScore !== null &&
      Number(record.Responsys_Engagement_Score__c ?? -1) !== summary.writtenScore
    ) {
      update.Responsys_Engagement_Score__c = summary.writtenScore;
    }
    const riid = events.find((event) => event.riid)?.riid;
    if (riid && !record.Responsys_RIID__c) update.Responsys_RIID__c = riid;
    if (!record.Responsys_Sync_Status__c) {
      update.Responsys_Sync_Status__c = 'Synced';
      update.Responsys_Last_Synced_At__c = now.toISOString();
    }
    return Object.keys(update).length > 0 ? update : undefined;
  }

  private failure(
    event: StoredEvent,
    outcomes: Map<string, EventOutcome>,
    report: ApplyReport,
    failure: { error: string; code: string; retryable: boolean },
  ): void {
    const attempts = (event.status === 'unmatched' ? 0 : event.attempts) + 1;
    const giveUp = !failure.retryable || attempts >= this.options.settings.maxAttempts;
    const delay = backoffDelayMs(attempts, { baseMs: 30_000, maxMs: 3_600_000 }, this.random);
    outcomes.set(event.eventKey, {
      eventKey: event.eventKey,
      status: giveUp ? 'failed' : 'pending',
      attempts,
      nextAttemptAt: giveUp ? null : new Date(this.options.clock.now().getTime() + delay),
      error: failure.error,
      errorCode: failure.code,
    });
    if (giveUp) report.failed += 1;
    else report.retrying += 1;
  }
}

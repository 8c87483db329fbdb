import type { BatchOutcomes, FlowBatch, RecordOutcome } from '../../queue/outcomes.js';
import type { Logger } from '../../shared/logger.js';
import type { SyncLogInput } from '../../store/sync-log.js';
import type { PersonSync } from '../person-sync/person-sync.js';
import { personChange, personOutcome } from '../person-sync/work-items.js';
import type { EnrolmentRequest, EnrolmentResult, ProgramEnroller } from '../programs/enrolment.js';
import type { ProgramRouteCatalog } from '../programs/route-catalog.js';
import { matchRoutes, routeFields } from '../programs/routes.js';

// F1: a Lead created or updated in Salesforce is merged into the profile list within seconds (its
// RIID, sync status and time written back), and a matching LEAD_CREATED route enters it into the
// route's program, unless it opted out, entered that program within the route's cooldown, or this
// change already entered it. Every decision is in the sync log with its reason.

export const LEAD_PROGRAMS_FLOW = 'lead-programs';

export interface LeadProgramsOptions {
  personSync: Pick<PersonSync, 'sync'>;
  routes: Pick<ProgramRouteCatalog, 'routes'>;
  enroller: Pick<ProgramEnroller, 'enrol'>;
  recordSyncLog(entries: SyncLogInput[]): Promise<void>;
  /** a converted Lead: its Contact is synced instead, by the profile sync */
  syncContacts(contactIds: string[], correlationIds: string[]): Promise<void>;
  listName: string;
  logger: Logger;
}

export function leadProgramsHandler(options: LeadProgramsOptions) {
  return async (batch: FlowBatch): Promise<BatchOutcomes> => {
    const routes = (await options.routes.routes()).filter((route) => route.trigger === 'LEAD_CREATED');
    const changes = batch.items.map(personChange);
    const results = await options.personSync.sync(changes, {
      flow: batch.flow,
      signal: batch.signal,
      extraFields: { Lead: routeFields(routes, 'LEAD_CREATED') },
    });

    const requests: EnrolmentRequest[] = [];
    for (const item of batch.items) {
      const result = results.get(item.key);
      if (result?.status !== 'merged') continue;
      const created = item.changeTypes.includes('CREATE');
      const matched = matchRoutes(routes, {
        trigger: 'LEAD_CREATED',
        record: result.record,
        // A Lead the bridge sees for the first time counts as new (its creation event was missed).
        isNew: created || result.created,
        changedFields: item.changedFields,
      });
      for (const route of matched) {
        requests.push({
          key: item.key,
          route,
          riid: result.riid,
          salesforceId: result.record.Id,
          email: result.email,
          optedOut: result.optedOut,
          // A Lead is created once: every replay of its creation is the same change.
          changeKey: created ? `${item.recordId}:CREATE` : `${item.recordId}:${item.correlationId}`,
          correlationId: item.correlationId,
          optionalData: { SF_RECORD_ID: result.record.Id, SF_OBJECT_TYPE: 'Lead' },
        });
      }
    }
    const enrolments = requests.length > 0 ? await options.enroller.enrol(requests, batch.signal) : [];
    await options.recordSyncLog(enrolments.map((entry) => enrolmentLogLine(entry, batch.flow)));

    const outcomes: BatchOutcomes = new Map();
    const converted: Array<{ contactId: string; correlationId: string }> = [];
    for (const item of batch.items) {
      const result = results.get(item.key);
      if (!result) continue;
      if (result.status === 'skipped' && result.contactId) {
        converted.push({ contactId: result.contactId, correlationId: item.correlationId });
      }
      const mine = enrolments.filter((entry) => entry.key === item.key);
      outcomes.set(item.key, withEnrolments(personOutcome(result, options.listName), mine));
    }
    if (converted.length > 0) {
      await options.syncContacts(
        converted.map((entry) => entry.contactId),
        converted.map((entry) => entry.correlationId),
      );
    }
    return outcomes;
  };
}

/** Folds the program decisions into the Lead's outcome: a retryable failure retries the whole Lead. */
export function withEnrolments(
  outcome: RecordOutcome,
  enrolments: readonly EnrolmentResult[],
): RecordOutcome {
  if (outcome.status !== 'succeeded' || enrolments.length === 0) return outcome;
  const failure = enrolments.find((entry) => entry.status === 'failed');
  const summary = enrolments.map((entry) => entry.reason).join('; ');
  const programs = enrolments.map((entry) => ({
    program: entry.route.eventName,
    route: entry.route.name,
    status: entry.status,
    ...(entry.status === 'entered' ? {} : { code: entry.code }),
  }));
  if (failure && failure.status === 'failed') {
    return {
      status: 'failed',
      error: `${outcome.reason ?? 'merged'}; ${failure.reason}`,
      code: failure.code,
      retryable: failure.retryable,
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
      riid: outcome.riid,
      email: outcome.email,
      details: { ...outcome.details, programs },
    };
  }
  return { ...outcome, reason: `${outcome.reason}; ${summary}`, details: { ...outcome.details, programs } };
}

/** One sync-log line per program decision, so "why was she not enrolled?" has its own answer. */
export function enrolmentLogLine(entry: EnrolmentResult, flow: string): SyncLogInput {
  return {
    correlationId: entry.correlationId,
    flow,
    direction: 'salesforce_to_responsys',
    outcome:
      entry.status === 'entered'
        ? 'succeeded'
        : entry.status === 'skipped'
          ? 'skipped'
          : entry.retryable
            ? 'retrying'
            : 'dead_lettered',
    objectType: entry.salesforceId.startsWith('003') ? 'Contact' : 'Lead',
    salesforceId: entry.salesforceId,
    riid: entry.riid,
    email: entry.email ?? null,
    reason: entry.reason,
    errorCode: entry.status === 'entered' ? null : entry.code,
    details: {
      program: entry.route.eventName,
      route: entry.route.name,
      cooldownDays: entry.route.cooldownDays,
    },
  };
}

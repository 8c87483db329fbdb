import type { RecordOutcome, WorkItem } from '../../queue/outcomes.js';
import type { SyncLogInput } from '../../store/sync-log.js';
import type { PersonSyncResult } from '../person-sync/person-sync.js';
import type { EnrolmentRequest, EnrolmentResult } from '../programs/enrolment.js';
import { matchRoutes, type ProgramRoute } from '../programs/routes.js';

// F1: a Lead created (or updated) in Salesforce enters the program of the LEAD_CREATED route it
// matches, right after the profile sync merged it (a custom event needs an existing recipient; the
// Lead's changes travel in the profile-sync queue, see flows/profile-sync). Eligibility is decided
// by the program enroller: not opted out, not within the route's cooldown, not twice for one change.
// Every decision gets its own sync-log line under the name `lead-programs`.

/** The name F1's decisions carry in the sync log. */
export const LEAD_PROGRAMS = 'lead-programs';

/** The program entries asked for by the Leads of a batch that merged. */
export function leadProgramRequests(
  items: readonly WorkItem[],
  results: ReadonlyMap<string, PersonSyncResult>,
  routes: readonly ProgramRoute[],
): EnrolmentRequest[] {
  const requests: EnrolmentRequest[] = [];
  for (const item of items) {
    if (item.objectType !== 'Lead') continue;
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
  return requests;
}

/** Folds the program decisions into the record's outcome: a retryable failure retries the record. */
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

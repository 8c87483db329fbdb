import type { PersonObject } from '../../identity/types.js';
import type { RecordOutcome, WorkItem } from '../../queue/outcomes.js';
import type { PersonChange, PersonSyncResult } from './person-sync.js';

// Between the queue and the person sync: a work item becomes a person change, and a person sync
// result becomes the item's outcome (what the runtime writes to the sync log and acts on).

/** Created and undeleted records are sent whole, whatever fields the event named. */
export function personChange(item: WorkItem): PersonChange {
  const whole = item.changeTypes.some((type) => type === 'CREATE' || type === 'UNDELETE');
  return {
    key: item.key,
    objectType: item.objectType as PersonObject,
    recordId: item.recordId,
    changedFields: whole ? [] : item.changedFields,
    correlationId: item.correlationId,
    occurredAt: item.occurredAt,
    finalAttempt: item.attempt >= item.maxAttempts,
  };
}

export function isPersonObject(objectType: string): objectType is PersonObject {
  return objectType === 'Lead' || objectType === 'Contact';
}

/** The queue outcome of a person sync result; `note` is added to a success's sync-log reason. */
export function personOutcome(result: PersonSyncResult, listName: string, note?: string): RecordOutcome {
  const identity = { riid: result.riid, email: result.email };
  if (result.status === 'failed') {
    return {
      status: 'failed',
      error: result.error,
      code: result.code,
      retryable: result.retryable,
      ...(result.retryAfterMs === undefined ? {} : { retryAfterMs: result.retryAfterMs }),
      ...identity,
    };
  }
  if (result.status === 'skipped') {
    return {
      status: 'skipped',
      reason: result.reason,
      code: result.code,
      ...identity,
      ...(result.contactId ? { details: { contactId: result.contactId } } : {}),
    };
  }
  const details: Record<string, unknown> = { columns: result.columns, created: result.created };
  if (result.keptInResponsys.length > 0) details.keptInResponsys = result.keptInResponsys;
  if (result.echoes.length > 0) details.echoesSuppressed = result.echoes;
  if (result.writeBackError) details.writeBackError = result.writeBackError;
  const kept =
    result.keptInResponsys.length > 0 ? `; kept Responsys' newer ${result.keptInResponsys.join(', ')}` : '';
  const echoes = result.echoes.length > 0 ? `; ${result.echoes.join(', ')} not sent back (echo)` : '';
  return {
    status: 'succeeded',
    reason: `${result.created ? 'added to' : 'updated in'} ${listName}${kept}${echoes}${note ? `; ${note}` : ''}`,
    details,
    ...identity,
  };
}

import type { SalesforceClient } from '../../salesforce/client.js';
import type { SObjectRecord } from '../../salesforce/soql.js';
import { errorMessage } from '../../shared/errors.js';
import type { PersonChange, PersonSyncResult } from './person-sync.js';

// The outcome of a sync, written on the Lead or Contact for the people who work it: the RIID, the
// sync status (Synced, Failed, Skipped) with the error or reason, the time of the last successful
// sync, and the opt-out source and time when the record is opted out without them. The bridge
// writes as the integration user, whose changes the package triggers ignore, so nothing comes back.

export interface WriteBackRequest {
  change: PersonChange;
  result: PersonSyncResult;
  record: SObjectRecord;
}

const ERROR_LENGTH = 255;

/** Skips that ask a person to act are shown as Failed; those that are expected are shown as Skipped. */
const NEEDS_A_PERSON = new Set([
  'AMBIGUOUS_SALESFORCE',
  'AMBIGUOUS_RESPONSYS',
  'RECIPIENT_OWNED_BY_ANOTHER_RECORD',
]);
/** Records that cannot or need not be written: converted Leads are read-only, deleted ones are gone. */
const LEAVE_ALONE = new Set(['LEAD_CONVERTED', 'RECORD_NOT_FOUND']);

function shorten(message: string): string {
  return message.length <= ERROR_LENGTH ? message : `${message.slice(0, ERROR_LENGTH - 1)}…`;
}

/** The field values to write for one outcome, or undefined when the record is left as it is. */
export function writeBackValues(request: WriteBackRequest, now: Date): Record<string, unknown> | undefined {
  const { result, record, change } = request;
  if (result.status === 'merged') {
    const values: Record<string, unknown> = {
      Responsys_RIID__c: result.riid,
      Responsys_Sync_Status__c: 'Synced',
      Responsys_Sync_Error__c: null,
      Responsys_Last_Synced_At__c: now.toISOString(),
    };
    // Opted out by a path that did not stamp it (an import, a bypassed trigger): record it now.
    if (record.HasOptedOutOfEmail === true && !record.Responsys_Opt_Out_At__c) {
      values.Responsys_Opt_Out_Source__c = record.Responsys_Opt_Out_Source__c ?? 'Salesforce';
      values.Responsys_Opt_Out_At__c = change.occurredAt;
    }
    return values;
  }
  if (result.status === 'failed') {
    if (result.retryable && !change.finalAttempt) return undefined;
    return { Responsys_Sync_Status__c: 'Failed', Responsys_Sync_Error__c: shorten(result.error) };
  }
  if (LEAVE_ALONE.has(result.code)) return undefined;
  if (result.code === 'NO_MAPPED_CHANGE') {
    // The trigger marked it Pending for a field the maps no longer use: it is as synced as before.
    return record.Responsys_Sync_Status__c === 'Pending' && record.Responsys_RIID__c
      ? { Responsys_Sync_Status__c: 'Synced', Responsys_Sync_Error__c: null }
      : undefined;
  }
  return {
    Responsys_Sync_Status__c: NEEDS_A_PERSON.has(result.code) ? 'Failed' : 'Skipped',
    Responsys_Sync_Error__c: shorten(result.reason),
  };
}

/**
 * Writes the outcomes (one collection call per 200 records of an object) and returns the records
 * whose write failed, with whether another attempt can succeed.
 */
export async function writeBack(
  salesforce: Pick<SalesforceClient, 'update'>,
  requests: readonly WriteBackRequest[],
  now: Date,
): Promise<Map<string, { message: string; retryable: boolean }>> {
  const problems = new Map<string, { message: string; retryable: boolean }>();
  for (const objectType of ['Lead', 'Contact'] as const) {
    const writes = requests
      .filter((request) => request.change.objectType === objectType)
      .map((request) => ({ request, values: writeBackValues(request, now) }))
      .filter(
        (entry): entry is { request: WriteBackRequest; values: Record<string, unknown> } => !!entry.values,
      );
    if (writes.length === 0) continue;
    try {
      const results = await salesforce.update(
        objectType,
        writes.map(({ request, values }) => ({ Id: request.record.Id, ...values })),
        { correlationIds: writes.map(({ request }) => request.change.correlationId) },
      );
      for (const result of results) {
        if (result.success) continue;
        const { request } = writes[result.index]!;
        const message = result.errors.map((error) => `${error.code}: ${error.message}`).join('; ');
        problems.set(request.change.key, { message, retryable: result.retryable });
      }
    } catch (error) {
      for (const { request } of writes) {
        problems.set(request.change.key, { message: errorMessage(error), retryable: true });
      }
    }
  }
  return problems;
}

import type { RecordOutcome, WorkItem } from '../../queue/outcomes.js';
import type { LedgerValue } from '../../store/sync-ledger.js';
import type { PersonSyncResult } from '../person-sync/person-sync.js';

// F7, the outbound half: Email Opt Out ticked on a Lead or Contact reaches Responsys as permission
// status O within seconds, ahead of other work for that person. The package trigger publishes it as
// an OPT_OUT change, which the queue puts first twice over: priority 100 in the profile-sync queue,
// and that queue's express lane with a worker of its own, so it never waits behind a long batch or a
// backlog. An update of the same person already in flight finishes first (the person sync holds a
// lock per record), and the opt-out then reads and sends the current value: a late or stale update
// can never send I after it. The source and time of the opt-out are on the record (the trigger stamps
// them; the person sync fills them in when the flag was set by a path without the trigger). Unticking
// (OPT_IN) travels the same way with status I.

/** The ledger target of the permission status written to a recipient (the inbound half reads it). */
export const PERMISSION_TARGET = 'PROFILE_LIST.EMAIL_PERMISSION_STATUS_';

export function isOptChange(item: Pick<WorkItem, 'changeTypes'>): boolean {
  return item.changeTypes.includes('OPT_OUT') || item.changeTypes.includes('OPT_IN');
}

/** The permission status an opt change sent, for the ledger (so the inbound half knows its echo). */
export function permissionWrite(result: PersonSyncResult): LedgerValue | undefined {
  if (result.status !== 'merged' || !result.riid) return undefined;
  return { recordKey: result.riid, target: PERMISSION_TARGET, value: result.optedOut ? 'O' : 'I' };
}

/** The outcome of an opt change: what was sent, from where and when, in the sync log. */
export function optChangeOutcome(
  item: WorkItem,
  result: PersonSyncResult,
  outcome: RecordOutcome,
): RecordOutcome {
  if (result.status !== 'merged' || outcome.status !== 'succeeded') return outcome;
  const status = result.optedOut ? 'O' : 'I';
  // Several changes of one record collapse into the strongest (an opt-out); the current value decides.
  const asked = item.changeType === 'OPT_OUT' ? 'O' : item.changeType === 'OPT_IN' ? 'I' : status;
  const record = result.record;
  const source =
    (record.Responsys_Opt_Out_Source__c as string | null | undefined) ??
    (result.optedOut ? 'Salesforce' : null);
  const at =
    (record.Responsys_Opt_Out_At__c as string | null | undefined) ??
    (result.optedOut ? item.occurredAt : null);
  const note =
    status !== asked
      ? `permission status ${status}: the flag changed again since (${item.changeType} is no longer current)`
      : result.optedOut
        ? `permission status O (opted out in ${source}${at ? ` at ${at}` : ''})`
        : 'permission status I (opted in again)';
  return {
    ...outcome,
    reason: `${outcome.reason}; ${note}`,
    details: { ...outcome.details, permissionStatus: status, optOutSource: source, optOutAt: at },
  };
}

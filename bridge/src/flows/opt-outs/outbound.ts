import type { BridgeModule } from '../../module.js';
import type { BatchOutcomes, FlowBatch, RecordOutcome } from '../../queue/outcomes.js';
import type { SyncLedger } from '../../store/sync-ledger.js';
import type { PersonSync } from '../person-sync/person-sync.js';
import { isPersonObject, personChange, personOutcome } from '../person-sync/work-items.js';

// F7, the outbound half: Email Opt Out ticked on a Lead or Contact reaches Responsys as permission
// status O within seconds. Opt-outs travel in their own flow, and within it in the express lane
// (priority 100, a worker of their own), so they never wait behind other queued work; the person
// sync's per-record lock makes an update of the same person that is already in flight finish first,
// and the opt-out then reads and sends the current value. The opt-out source and time are on the
// record (stamped by the package trigger, or filled in here when a path without the trigger set the
// flag). Unticking it (OPT_IN) travels the same way with status I.

export const OPT_OUTS_OUTBOUND_FLOW = 'opt-outs-outbound';

const PERMISSION_TARGET = 'PROFILE_LIST.EMAIL_PERMISSION_STATUS_';

export interface OptOutsOutboundOptions {
  personSync: Pick<PersonSync, 'sync'>;
  /** remembers the permission status written, for the opt-out reconciliation and echo checks */
  ledger: Pick<SyncLedger, 'recordWrites'>;
  listName: string;
}

export function optOutsOutboundHandler(options: OptOutsOutboundOptions) {
  return async (batch: FlowBatch): Promise<BatchOutcomes> => {
    const changes = batch.items.map((item) => ({
      ...personChange(item),
      changedFields: ['HasOptedOutOfEmail'],
    }));
    const results = await options.personSync.sync(changes, { flow: batch.flow, signal: batch.signal });
    const outcomes: BatchOutcomes = new Map();
    const writes = [];
    for (const item of batch.items) {
      const result = results.get(item.key);
      if (!result) continue;
      if (result.status !== 'merged') {
        outcomes.set(item.key, personOutcome(result, options.listName));
        continue;
      }
      const status = result.optedOut ? 'O' : 'I';
      writes.push({ recordKey: result.riid!, target: PERMISSION_TARGET, value: status });
      const asked = item.changeType === 'OPT_OUT' ? 'O' : 'I';
      const record = result.record;
      const note =
        status === asked
          ? result.optedOut
            ? `permission status O (opted out in ${String(record.Responsys_Opt_Out_Source__c ?? 'Salesforce')}${
                record.Responsys_Opt_Out_At__c ? ` at ${String(record.Responsys_Opt_Out_At__c)}` : ''
              })`
            : 'permission status I (opted in again)'
          : `permission status ${status}: the record changed again since (${item.changeType} is no longer current)`;
      const outcome = personOutcome(result, options.listName, note) as Extract<
        RecordOutcome,
        { status: 'succeeded' }
      >;
      outcomes.set(item.key, {
        ...outcome,
        details: {
          ...outcome.details,
          permissionStatus: status,
          optOutSource: record.Responsys_Opt_Out_Source__c ?? null,
          optOutAt: record.Responsys_Opt_Out_At__c ?? null,
        },
      });
    }
    if (writes.length > 0) await options.ledger.recordWrites('salesforce_to_responsys', writes);
    return outcomes;
  };
}

export const optOutsOutboundModule: BridgeModule = {
  name: 'opt-outs-outbound',
  register(context) {
    const { services, queue, store } = context;
    if (!services.has('personSync')) return;
    queue.defineFlow({
      name: OPT_OUTS_OUTBOUND_FLOW,
      direction: 'salesforce_to_responsys',
      accepts: (change) =>
        isPersonObject(change.objectType) &&
        (change.changeType === 'OPT_OUT' || change.changeType === 'OPT_IN'),
      handle: optOutsOutboundHandler({
        personSync: services.get('personSync'),
        ledger: store.syncLedger,
        listName: context.config.responsys.profileList ?? 'the profile list',
      }),
    });
  },
};

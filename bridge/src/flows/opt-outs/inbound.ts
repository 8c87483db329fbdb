import { OutcomeCollector, type BatchOutcomes, type FlowBatch } from '../../queue/outcomes.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import type { WriteResult } from '../../salesforce/writes.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import { EngagementEventStore, type StoredEvent } from '../engagement/event-store.js';
import { OPT_OUTS_INBOUND_FLOW } from '../engagement/names.js';
import type { ResponsysClient } from '../../responsys/client.js';
import type { RecipientDirectory } from '../../identity/types.js';
import { PeopleFinder } from './inbound-people.js';
import { ResponsysPermissionKeeper } from './inbound-responsys.js';
import { decideOpt, type OptEvent, type RecordWrite } from './inbound-rule.js';

// F7, the inbound half: an opt-out (or opt-in) received from Responsys, by file or callback, reaches
// every matching Lead and Contact at once. The intake queues one item per recipient (RIID) in this
// flow; opt-outs take its express lane. The handler reads the recipient's opt events from the store,
// decides by the rule in inbound-rule.ts, writes the records in one update per object for the whole
// batch, and remembers the values it wrote in the sync ledger (the outbound flows then know them as
// the bridge's own writes). The Opted_Out / Opted_In timeline record is written by the engagement flow.

export { OPT_OUTS_INBOUND_FLOW };

/** The ledger target of the Email Opt Out flag written on a Salesforce record. */
export const OPT_OUT_FIELD = 'HasOptedOutOfEmail';

export interface OptOutsInboundOptions {
  store: Store;
  salesforce: SalesforceClient;
  responsys?: RecipientDirectory & Pick<ResponsysClient, 'mergeProfileMembers'>;
  optInSources: readonly string[];
  logger: Logger;
}

export const toOptEvent = (event: StoredEvent): OptEvent => ({
  eventKey: event.eventKey,
  type: event.type as OptEvent['type'],
  occurredAt: event.occurredAt,
  occurredAtExact: event.occurredAtExact,
  origin: event.origin,
  source: event.source,
  pending: event.optStatus === 'pending' || event.optStatus === 'unmatched',
});

export function optOutsInboundHandler(options: OptOutsInboundOptions) {
  const finder = new PeopleFinder({
    salesforce: options.salesforce,
    links: options.store.identityLinks,
    responsys: options.responsys,
  });
  const log = options.logger.child({ flow: OPT_OUTS_INBOUND_FLOW });

  const keeper = new ResponsysPermissionKeeper({
    responsys: options.responsys,
    ledger: options.store.syncLedger,
    log,
  });

  return async (batch: FlowBatch): Promise<BatchOutcomes> => {
    const { store, salesforce } = options;
    const outcomes = new OutcomeCollector();
    const riids = batch.items.map((item) => item.recordId);
    const eventStore = new EngagementEventStore(store.db);
    const events = await eventStore.forRiids(riids, ['Opted_Out', 'Opted_In']);
    const byRiid = new Map<string, StoredEvent[]>();
    for (const event of events) byRiid.set(event.riid!, [...(byRiid.get(event.riid!) ?? []), event]);
    const recipients = batch.items.map((item) => {
      const mine = byRiid.get(item.recordId) ?? [];
      return {
        riid: item.recordId,
        emails: mine.map((event) => event.email).filter((email): email is string => !!email),
        customerIds: mine.map((event) => event.customerId).filter((id): id is string => !!id),
      };
    });
    const people = await finder.recordsOf(recipients);

    const optUpdates: Array<{
      eventKey: string;
      status: 'applied' | 'held' | 'ignored' | 'unmatched';
      reason: string;
    }> = [];
    const writes: Array<{ riid: string; write: RecordWrite }> = [];
    const decisions = new Map<string, ReturnType<typeof decideOpt>>();
    for (const item of batch.items) {
      const mine = byRiid.get(item.recordId) ?? [];
      const pending = mine.filter(
        (event) => event.optStatus === 'pending' || event.optStatus === 'unmatched',
      );
      if (pending.length === 0) {
        outcomes.skipped(item, 'no opt-out or opt-in of this recipient is waiting', {
          code: 'NOTHING_PENDING',
          riid: item.recordId,
        });
        continue;
      }
      const person = people.get(item.recordId)!;
      if (person.records.length === 0) {
        for (const event of pending) {
          optUpdates.push({
            eventKey: event.eventKey,
            status: 'unmatched',
            reason: 'no Lead or Contact matches the recipient',
          });
        }
        outcomes.skipped(item, 'no Lead or Contact matches the recipient yet; applied when one does', {
          code: 'NO_MATCH',
          riid: item.recordId,
          email: person.email,
        });
        continue;
      }
      const decision = decideOpt(mine.map(toOptEvent), person.records, options.optInSources);
      decisions.set(item.recordId, decision);
      for (const [eventKey, status] of decision.statuses) optUpdates.push({ eventKey, ...status });
      for (const write of decision.writes) writes.push({ riid: item.recordId, write });
    }

    // One update per object type for the whole batch (a record of two recipients is written once).
    const failedRiids = new Map<string, { error: string; code: string; retryable: boolean }>();
    const written = new Set<string>();
    for (const objectType of ['Lead', 'Contact'] as const) {
      const mine = [
        ...new Map(
          writes
            .filter((entry) => entry.write.objectType === objectType)
            .map((entry) => [entry.write.id, entry]),
        ).values(),
      ];
      if (mine.length === 0) continue;
      let results: WriteResult[];
      try {
        results = await salesforce.update(
          objectType,
          mine.map((entry) => ({ Id: entry.write.id, ...entry.write.fields })),
          { priority: 'urgent' },
        );
      } catch (error) {
        results = mine.map((_, index) => ({
          index,
          id: null,
          success: false,
          errors: [{ code: 'CALL_FAILED', message: errorMessage(error), fields: [] }],
          retryable: true,
        }));
      }
      results.forEach((result, index) => {
        const entry = mine[index]!;
        if (result.success) {
          written.add(entry.write.id);
          return;
        }
        const error = result.errors[0];
        const failure = {
          error: `${objectType} ${entry.write.id} not updated: ${error?.code ?? 'UNKNOWN'}: ${error?.message ?? ''}`,
          code: error?.code ?? 'UNKNOWN',
          retryable: result.retryable,
        };
        for (const other of writes)
          if (other.write.id === entry.write.id) failedRiids.set(other.riid, failure);
      });
    }

    const ledger = writes
      .filter((entry) => written.has(entry.write.id))
      .map((entry) => ({ recordKey: entry.write.id, target: OPT_OUT_FIELD, value: entry.write.optedOut }));
    // Responsys must still say what the person chose (see inbound-responsys.ts).
    const settled = [...decisions].filter(([riid, decision]) => decision.decisive && !failedRiids.has(riid));
    const reasserted = await keeper.keepOptedOut(
      settled
        .filter(([riid, decision]) => {
          if (decision.decisive!.type !== 'Opted_Out') return false;
          // an opt-in of the person at least as recent makes I their own doing
          const optOutAt = decision.decisive!.occurredAt.getTime();
          return !(byRiid.get(riid) ?? []).some(
            (event) => event.type === 'Opted_In' && event.occurredAt.getTime() >= optOutAt,
          );
        })
        .map(([riid]) => riid),
    );
    const restored = await keeper.restoreOptIn(
      new Map(
        settled
          .filter(([, decision]) => decision.decisive!.type === 'Opted_In' && decision.kept.length === 0)
          .map(([riid, decision]) => [riid, decision.decisive!.occurredAt] as const),
      ),
    );
    await store.transaction(async (repos, tx) => {
      const txEvents = new EngagementEventStore(tx);
      // A failed recipient's events stay pending for the retry.
      await txEvents.setOptStatus(
        optUpdates.filter((update) => {
          const riid = events.find((event) => event.eventKey === update.eventKey)?.riid;
          return !riid || !failedRiids.has(riid);
        }),
      );
      if (ledger.length > 0) await repos.syncLedger.recordWrites('responsys_to_salesforce', ledger);
    });

    for (const item of batch.items) {
      if (outcomes.outcomes.has(item.key)) continue;
      const decision = decisions.get(item.recordId)!;
      const person = people.get(item.recordId)!;
      const failure = failedRiids.get(item.recordId);
      if (failure) {
        outcomes.failed(item, failure.error, {
          code: failure.code,
          retryable: failure.retryable,
          riid: item.recordId,
        });
        continue;
      }
      const mineWritten = decision.writes.filter((write) => written.has(write.id));
      const details = {
        decisive: decision.decisive
          ? {
              event: decision.decisive.eventKey,
              type: decision.decisive.type,
              at: decision.decisive.occurredAt.toISOString(),
            }
          : null,
        updated: mineWritten.map((write) => ({
          id: write.id,
          objectType: write.objectType,
          optedOut: write.optedOut,
        })),
        kept: decision.kept,
        events: [...decision.statuses].map(([eventKey, status]) => ({ eventKey, ...status })),
        ...(reasserted.has(item.recordId) ? { responsys: 'permission status set back to O' } : {}),
        ...(restored.has(item.recordId) ? { responsys: "permission status set back to the person's I" } : {}),
      };
      const identity = {
        riid: item.recordId,
        email: person.email,
        salesforceId: mineWritten[0]?.id ?? person.records[0]?.id ?? null,
      };
      if (!decision.decisive) {
        // Only opt-ins were waiting, and none may clear the opt-out (yet).
        const [first] = [...decision.statuses.values()];
        outcomes.skipped(item, first?.reason ?? 'nothing to change', {
          code: first?.status === 'ignored' ? 'OPT_IN_NOT_NEWER' : 'OPT_IN_HELD',
          details,
          ...identity,
        });
      } else if (mineWritten.length === 0) {
        outcomes.skipped(
          item,
          decision.decisive.type === 'Opted_Out'
            ? `every matching record is already opted out (${person.records.length})`
            : 'no record could be opted in again: ' +
                (decision.kept.map((kept) => kept.reason).join('; ') || 'none was opted out'),
          { code: 'NOTHING_TO_CHANGE', details, ...identity },
        );
      } else {
        outcomes.succeeded(item, {
          reason: `${decision.decisive.type === 'Opted_Out' ? 'opted out' : 'opted in again'}: ${mineWritten
            .map((write) => `${write.objectType} ${write.id}`)
            .join(', ')}`,
          details,
          ...identity,
        });
      }
    }
    log.info(
      { recipients: batch.items.length, updated: written.size, failed: failedRiids.size },
      'opt-outs and opt-ins from Responsys applied to Salesforce',
    );
    return outcomes.outcomes;
  };
}

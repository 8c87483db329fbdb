import type { IdentityLinks } from '../../store/identity-links.js';
import type { BatchOutcomes, FlowBatch, RecordOutcome, WorkItem } from '../../queue/outcomes.js';
import type { RecordChangeInput } from '../../queue/record-change.js';
import { objectTypeOfId } from '../../salesforce/soql.js';
import type { Logger } from '../../shared/logger.js';
import type { SyncLedger } from '../../store/sync-ledger.js';
import type { SyncLogInput } from '../../store/sync-log.js';
import {
  enrolmentLogLine,
  LEAD_PROGRAMS,
  leadProgramRequests,
  withEnrolments,
} from '../lead-programs/lead-programs.js';
import { isOptChange, optChangeOutcome, permissionWrite } from '../opt-outs/outbound.js';
import type { PersonSync } from '../person-sync/person-sync.js';
import { personChange, personOutcome } from '../person-sync/work-items.js';
import type { ProgramEnroller } from '../programs/enrolment.js';
import type { ProgramRouteCatalog } from '../programs/route-catalog.js';
import { routeFields, type ProgramRoute } from '../programs/routes.js';

// The queue of every Lead and Contact change (F4 outbound, with F1 and the outbound half of F7 as
// steps of the same work): created, changed and undeleted records are read fresh, mapped, matched
// and merged into the profile list with their PET columns (flows/person-sync); new Leads that match
// a program route then enter its program (flows/lead-programs); opt-outs come through this queue's
// express lane and are noted with their source and time (flows/opt-outs/outbound.ts). A deleted
// record loses its link (the recipient and its history stay in Responsys); the survivor of a merge
// is synced in its place. A converted Lead hands over to its Contact.

export const PROFILE_SYNC_FLOW = 'profile-sync';

/** The change types this flow handles for Leads and Contacts. */
export const PROFILE_SYNC_CHANGES = new Set(['CREATE', 'UPDATE', 'UNDELETE', 'OPT_OUT', 'OPT_IN', 'DELETE']);

export function acceptsProfileChange(change: { objectType: string; changeType: string }): boolean {
  return (
    (change.objectType === 'Lead' || change.objectType === 'Contact') &&
    PROFILE_SYNC_CHANGES.has(change.changeType)
  );
}

export interface ProfileSyncOptions {
  personSync: Pick<PersonSync, 'sync'>;
  /** program routes and the enroller (F1); without them Leads are merged and enter no program */
  programs?: { routes: Pick<ProgramRouteCatalog, 'routes'>; enroller: Pick<ProgramEnroller, 'enrol'> };
  identityLinks: Pick<IdentityLinks, 'unlink'>;
  ledger: Pick<SyncLedger, 'recordWrites'>;
  recordSyncLog(entries: SyncLogInput[]): Promise<void>;
  /** queues follow-up changes (a converted Lead's Contact, the survivor of a merge) */
  dispatch(changes: RecordChangeInput[]): Promise<unknown>;
  listName: string;
  logger: Logger;
}

export function profileSyncHandler(options: ProfileSyncOptions) {
  return async (batch: FlowBatch): Promise<BatchOutcomes> => {
    const outcomes: BatchOutcomes = new Map();
    const followUps: RecordChangeInput[] = [];
    const deleted = batch.items.filter((item) => item.changeType === 'DELETE');
    if (deleted.length > 0) {
      await options.identityLinks.unlink(deleted.map((item) => item.recordId));
      for (const item of deleted) {
        outcomes.set(item.key, deletionOutcome(item));
        const survivorType = item.relatedId ? objectTypeOfId(item.relatedId) : undefined;
        if (item.relatedId && survivorType)
          followUps.push(followUp(item, survivorType, item.relatedId, 'merge'));
      }
    }

    const people = batch.items.filter((item) => item.changeType !== 'DELETE');
    const routes: ProgramRoute[] = options.programs
      ? (await options.programs.routes.routes()).filter((route) => route.trigger === 'LEAD_CREATED')
      : [];
    const results = await options.personSync.sync(people.map(personChange), {
      flow: batch.flow,
      signal: batch.signal,
      extraFields: { Lead: routeFields(routes, 'LEAD_CREATED') },
    });

    const requests = leadProgramRequests(people, results, routes);
    const enrolments =
      requests.length > 0 && options.programs
        ? await options.programs.enroller.enrol(requests, batch.signal)
        : [];
    if (enrolments.length > 0)
      await options.recordSyncLog(enrolments.map((entry) => enrolmentLogLine(entry, LEAD_PROGRAMS)));

    const permissions = [];
    for (const item of people) {
      const result = results.get(item.key);
      if (!result) continue;
      let outcome: RecordOutcome = personOutcome(result, options.listName);
      if (isOptChange(item)) {
        outcome = optChangeOutcome(item, result, outcome);
        const write = permissionWrite(result);
        if (write) permissions.push(write);
      }
      outcome = withEnrolments(
        outcome,
        enrolments.filter((entry) => entry.key === item.key),
      );
      outcomes.set(item.key, outcome);
      if (result.status === 'skipped' && result.contactId) {
        followUps.push(followUp(item, 'Contact', result.contactId, 'lead-conversion'));
      }
    }
    if (permissions.length > 0) await options.ledger.recordWrites('salesforce_to_responsys', permissions);
    if (followUps.length > 0) await options.dispatch(followUps);
    const counts = { succeeded: 0, skipped: 0, failed: 0 };
    for (const outcome of outcomes.values()) counts[outcome.status] += 1;
    batch.log.info(
      { ...counts, entered: enrolments.filter((entry) => entry.status === 'entered').length },
      `profile sync: ${counts.succeeded} merged into ${options.listName}, ${counts.skipped} skipped, ${counts.failed} failed`,
    );
    return outcomes;
  };
}

function followUp(item: WorkItem, objectType: string, recordId: string, source: string): RecordChangeInput {
  return { objectType, recordId, changeType: 'UPDATE', correlationId: item.correlationId, source };
}

function deletionOutcome(item: WorkItem): RecordOutcome {
  const kept = 'the Responsys recipient and its history stay; the link is removed';
  return item.relatedId
    ? {
        status: 'succeeded',
        reason: `merged into ${item.relatedId} in Salesforce, which is synced in its place; ${kept}`,
      }
    : { status: 'succeeded', reason: `deleted in Salesforce: ${kept}` };
}

import type { IdentityService } from '../../identity/identity-service.js';
import { IDENTITY_FIELDS, type PersonObject, type RecipientMatch } from '../../identity/types.js';
import type { MappingEngine, MappingSnapshot } from '../../mapping/engine.js';
import { OutcomeCollector, type BatchOutcomes, type FlowBatch, type WorkItem } from '../../queue/outcomes.js';
import type { RecordChangeInput } from '../../queue/record-change.js';
import type { ResponsysClient } from '../../responsys/client.js';
import type { MergeMemberOutcome, ProfileRecord } from '../../responsys/types.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import { isSalesforceId, toId18, type SObjectRecord } from '../../salesforce/soql.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';

// Profile sync (Salesforce -> Responsys): a Lead or Contact created, changed, opted out or back in
// becomes the same recipient's profile in Responsys, and the record learns its RIID and sync state.
// Per batch: current values are read in bulk (the event carried only ids), mapped by the admins'
// field maps, matched by the identity service, merged in at most 200-record calls (with the PET
// columns the maps name), and the outcome is written back to the records through sObject
// Collections as the integration user, whose writes publish no events (no echo).

export const PROFILE_SYNC_FLOW = 'profile-sync';

/** The change types this flow handles for Leads and Contacts. */
export const PROFILE_SYNC_CHANGES = new Set(['CREATE', 'UPDATE', 'UNDELETE', 'OPT_OUT', 'OPT_IN']);

export interface ProfileSyncDependencies {
  salesforce: SalesforceClient;
  responsys: ResponsysClient;
  identity: IdentityService;
  mapping: MappingEngine;
  clock: Clock;
  /** queues a follow-up change (a converted Lead's Contact) */
  enqueue: (changes: RecordChangeInput[]) => Promise<unknown>;
}

type SyncStatus = 'Synced' | 'Failed' | 'Skipped';

interface WriteBack {
  item: WorkItem;
  objectType: PersonObject;
  id: string;
  status: SyncStatus;
  riid?: string;
  error?: string;
}

const PERSON_OBJECTS: PersonObject[] = ['Lead', 'Contact'];
const SYNC_ERROR_LENGTH = 255;

export function acceptsProfileChange(change: { objectType: string; changeType: string }): boolean {
  return (
    (change.objectType === 'Lead' || change.objectType === 'Contact') &&
    PROFILE_SYNC_CHANGES.has(change.changeType)
  );
}

export async function syncProfiles(batch: FlowBatch, deps: ProfileSyncDependencies): Promise<BatchOutcomes> {
  const outcomes = new OutcomeCollector();
  const snapshot = await deps.mapping.current();
  const writeBacks: WriteBack[] = [];
  for (const objectType of PERSON_OBJECTS) {
    const items = batch.items.filter((item) => item.objectType === objectType);
    if (items.length > 0)
      await syncObject(objectType, items, snapshot, deps, outcomes, writeBacks, batch.signal);
  }
  for (const item of batch.items) {
    if (!outcomes.outcomes.has(item.key)) {
      outcomes.skipped(item, `${item.objectType} ${item.changeType} is not handled by profile sync`, {
        code: 'NOT_HANDLED',
      });
    }
  }
  await writeBack(writeBacks, deps, outcomes, batch);
  const counts = { succeeded: 0, skipped: 0, failed: 0 };
  for (const outcome of outcomes.outcomes.values()) counts[outcome.status] += 1;
  batch.log.info(
    counts,
    `profile sync: ${counts.succeeded} merged into ${deps.responsys.profileList}, ${counts.skipped} skipped, ${counts.failed} failed`,
  );
  return outcomes.outcomes;
}

async function syncObject(
  objectType: PersonObject,
  items: WorkItem[],
  snapshot: MappingSnapshot,
  deps: ProfileSyncDependencies,
  outcomes: OutcomeCollector,
  writeBacks: WriteBack[],
  signal: AbortSignal,
): Promise<void> {
  const skip = (item: WorkItem, reason: string, code: string, writeStatus = true) => {
    outcomes.skipped(item, reason, { code, salesforceId: item.recordId });
    if (writeStatus)
      writeBacks.push({ item, objectType, id: item.recordId, status: 'Skipped', error: reason });
  };

  const valid = items.filter((item) => {
    if (isSalesforceId(item.recordId)) return true;
    outcomes.failed(item, `"${item.recordId}" is not a Salesforce record id`, {
      code: 'INVALID_ID',
      retryable: false,
    });
    return false;
  });
  const urgent = valid.some((item) => item.changeType === 'OPT_OUT');
  const fields = [
    ...new Set([
      ...snapshot.salesforceFields(objectType),
      ...IDENTITY_FIELDS[objectType],
      'HasOptedOutOfEmail',
    ]),
  ];
  const records = await deps.salesforce.retrieve(
    objectType,
    valid.map((item) => item.recordId),
    fields,
    { priority: urgent ? 'urgent' : 'normal' },
  );

  const candidates: Array<{
    item: WorkItem;
    record: SObjectRecord;
    profile: ProfileRecord;
    extensions: Record<string, ProfileRecord>;
  }> = [];
  for (const item of valid) {
    const record = records.get(toId18(item.recordId));
    if (!record) {
      skip(item, `the ${objectType} no longer exists (deleted or merged)`, 'RECORD_NOT_FOUND', false);
      continue;
    }
    const optChange = item.changeTypes.some((type) => type === 'OPT_OUT' || type === 'OPT_IN');
    const structural = item.changeTypes.some((type) => type === 'CREATE' || type === 'UNDELETE');
    if (!optChange && !structural && !snapshot.isOutboundChange(objectType, item.changedFields)) {
      skip(item, `no mapped field changed (${item.changedFields.join(', ')})`, 'NO_MAPPED_CHANGE', false);
      continue;
    }
    const mapped = snapshot.toResponsys(objectType, record);
    if (!mapped.ok) {
      const error = mapped.errors.map((problem) => problem.message).join('; ');
      outcomes.failed(item, error, {
        code: mapped.errors[0]!.code,
        retryable: false,
        salesforceId: record.Id,
      });
      writeBacks.push({ item, objectType, id: record.Id, status: 'Failed', error });
      continue;
    }
    const profile: ProfileRecord = {
      ...mapped.profile,
      CUSTOMER_ID_: record.Id,
      // The opt-out flag is always sent, mapped or not: a permission status is never left to a default.
      EMAIL_PERMISSION_STATUS_:
        mapped.profile.EMAIL_PERMISSION_STATUS_ ?? (record.HasOptedOutOfEmail === true ? 'O' : 'I'),
    };
    candidates.push({ item, record, profile, extensions: mapped.extensions });
  }
  if (candidates.length === 0) return;

  const matches = await deps.identity.resolveRecipients(
    candidates.map(({ record }) => ({
      objectType,
      id: record.Id,
      email: (record.Email as string | null) ?? null,
      riid: (record.Responsys_RIID__c as string | null) ?? null,
      isConverted: (record.IsConverted as boolean | undefined) ?? null,
      convertedContactId: (record.ConvertedContactId as string | undefined) ?? null,
    })),
  );

  const toMerge: Array<
    (typeof candidates)[number] & { match: Extract<RecipientMatch, { status: 'matched' | 'new' }> }
  > = [];
  const followUps: RecordChangeInput[] = [];
  for (const candidate of candidates) {
    const { item, record } = candidate;
    const match = matches.get(record.Id);
    if (!match) {
      outcomes.failed(item, 'the identity service gave no answer', { code: 'NO_IDENTITY' });
      continue;
    }
    if (match.status === 'matched' || match.status === 'new') {
      toMerge.push({ ...candidate, match });
    } else if (match.status === 'converted') {
      skip(item, match.reason, match.code, false);
      followUps.push({
        objectType: 'Contact',
        recordId: match.contactId,
        changeType: 'UPDATE',
        correlationId: item.correlationId,
        source: 'profile-sync',
      });
    } else {
      skip(item, match.reason, match.code);
    }
  }
  if (followUps.length > 0) await deps.enqueue(followUps);
  if (toMerge.length === 0) return;

  // Known recipients are updated by RIID (so an email change follows them); new ones are matched on
  // the email, which creates them.
  const known = toMerge.filter((entry) => entry.match.status === 'matched');
  const fresh = toMerge.filter((entry) => entry.match.status === 'new');
  const [knownOutcomes, freshOutcomes] = [
    known.length > 0
      ? await deps.responsys.mergeProfileMembers(
          known.map((entry) => ({ ...entry.profile, RIID_: (entry.match as { riid: string }).riid })),
          { matchColumn: 'RIID_', insertOnNoMatch: false, defaultPermissionStatus: 'OPTIN', signal },
        )
      : [],
    fresh.length > 0
      ? await deps.responsys.mergeProfileMembers(
          fresh.map((entry) => entry.profile),
          { matchColumn: 'EMAIL_ADDRESS_', defaultPermissionStatus: 'OPTIN', signal },
        )
      : [],
  ];
  const merged: Array<{ entry: (typeof toMerge)[number]; riid: string }> = [];
  const settle = (entries: typeof toMerge, results: MergeMemberOutcome[]) =>
    entries.forEach((entry, index) => {
      const result = results[index];
      if (result?.ok) {
        merged.push({ entry, riid: result.riid });
        return;
      }
      const error = result
        ? `Responsys refused the profile: ${result.code}: ${result.message}`
        : 'no merge result';
      const retryable = result?.retryable ?? true;
      outcomes.failed(entry.item, error, {
        code: result?.code ?? 'NO_RESULT',
        retryable,
        ...(result?.retryAfterMs ? { retryAfterMs: result.retryAfterMs } : {}),
        salesforceId: entry.record.Id,
        email: entry.match.email,
      });
      if (!retryable)
        writeBacks.push({ item: entry.item, objectType, id: entry.record.Id, status: 'Failed', error });
    });
  settle(known, knownOutcomes);
  settle(fresh, freshOutcomes);
  if (merged.length === 0) return;

  const petFailures = await mergeExtensions(merged, deps);
  const links = [];
  for (const { entry, riid } of merged) {
    const petFailure = petFailures.get(entry.record.Id);
    if (petFailure) {
      outcomes.failed(entry.item, petFailure.error, {
        code: petFailure.code,
        retryable: petFailure.retryable,
        salesforceId: entry.record.Id,
        riid,
      });
      continue;
    }
    outcomes.succeeded(entry.item, {
      salesforceId: entry.record.Id,
      riid,
      email: entry.match.email,
      reason: `merged into ${deps.responsys.profileList}`,
      details: { matchedBy: entry.match.status === 'matched' ? entry.match.via : 'new recipient' },
    });
    writeBacks.push({ item: entry.item, objectType, id: entry.record.Id, status: 'Synced', riid });
    links.push({
      salesforceId: entry.record.Id,
      objectType,
      riid,
      email: entry.match.email,
      correlationId: entry.item.correlationId,
    });
  }
  await deps.identity.recordLinks(links);
}

/** PET rows the maps produce, by RIID; returns the records whose PET merge failed. */
async function mergeExtensions(
  merged: Array<{
    entry: { record: SObjectRecord; extensions: Record<string, ProfileRecord> };
    riid: string;
  }>,
  deps: ProfileSyncDependencies,
): Promise<Map<string, { error: string; code: string; retryable: boolean }>> {
  const failures = new Map<string, { error: string; code: string; retryable: boolean }>();
  const pets = new Set(merged.flatMap(({ entry }) => Object.keys(entry.extensions)));
  for (const pet of pets) {
    const rows = merged.filter(({ entry }) => entry.extensions[pet]);
    const results = await deps.responsys.mergeProfileExtension(
      pet,
      rows.map(({ entry, riid }) => ({ ...entry.extensions[pet], RIID_: riid })),
      { matchColumn: 'RIID_' },
    );
    rows.forEach(({ entry }, index) => {
      const result = results[index];
      if (result?.ok) return;
      failures.set(entry.record.Id, {
        error: `Responsys refused the ${pet} row: ${result?.code ?? 'NO_RESULT'}: ${result?.message ?? ''}`,
        code: result?.code ?? 'NO_RESULT',
        retryable: result?.retryable ?? true,
      });
    });
  }
  return failures;
}

/** RIID, sync status, error and time back on the records, as the integration user (no events). */
async function writeBack(
  writeBacks: WriteBack[],
  deps: ProfileSyncDependencies,
  outcomes: OutcomeCollector,
  batch: FlowBatch,
): Promise<void> {
  const now = deps.clock.now().toISOString();
  for (const objectType of PERSON_OBJECTS) {
    const entries = writeBacks.filter((entry) => entry.objectType === objectType);
    if (entries.length === 0) continue;
    let results;
    try {
      results = await deps.salesforce.update(
        objectType,
        entries.map((entry) => ({
          Id: entry.id,
          Responsys_Sync_Status__c: entry.status,
          Responsys_Sync_Error__c: entry.error ? entry.error.slice(0, SYNC_ERROR_LENGTH) : null,
          ...(entry.status === 'Synced'
            ? { Responsys_RIID__c: entry.riid, Responsys_Last_Synced_At__c: now }
            : {}),
        })),
        { correlationIds: entries.map((entry) => entry.item.correlationId) },
      );
    } catch (error) {
      batch.log.warn(
        { objectType, err: error },
        `sync status could not be written back: ${errorMessage(error)}`,
      );
      continue;
    }
    results.forEach((result, index) => {
      if (result.success) return;
      const entry = entries[index]!;
      const code = result.errors[0]?.code ?? 'UNKNOWN';
      // Converted or deleted meanwhile: nothing to show the sync on any more.
      if (code === 'CANNOT_UPDATE_CONVERTED_LEAD' || code === 'ENTITY_IS_DELETED') return;
      entry.item.log.warn(
        { recordId: entry.id, code },
        `sync status could not be written back: ${result.errors[0]?.message ?? ''}`,
      );
      // A synced record whose RIID did not land is synced again later (merging is idempotent).
      if (entry.status === 'Synced' && result.retryable) {
        outcomes.failed(entry.item, `the RIID could not be written back: ${code}`, {
          code,
          retryable: true,
          salesforceId: entry.id,
          riid: entry.riid,
        });
      }
    });
  }
}

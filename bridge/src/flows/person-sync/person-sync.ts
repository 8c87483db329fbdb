import type { IdentityService } from '../../identity/identity-service.js';
import { IDENTITY_FIELDS, type PersonObject, type RecipientMatch } from '../../identity/types.js';
import type { MappingSnapshot } from '../../mapping/engine.js';
import type { ResponsysClient } from '../../responsys/client.js';
import type { ProfileRecord, RecordFailure } from '../../responsys/types.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import { isSalesforceId, toId18, type SObjectRecord } from '../../salesforce/soql.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BridgeMetrics } from '../../shared/metrics.js';
import { hashValue, type LedgerValue, type SyncLedger } from '../../store/sync-ledger.js';
import { planColumns, profileTarget, type ColumnPlan } from './column-plan.js';
import { KeyedLocks } from './keyed-locks.js';
import { writeBack, type WriteBackRequest } from './write-back.js';

// The step every outbound flow shares: a batch of Leads or Contacts, read fresh from Salesforce,
// mapped with the field maps, matched to their Responsys recipient, merged into the profile list (and
// the mapped PET columns), linked, and the outcome written back to each record (RIID, sync status,
// time, or the error). One record's problem never fails the others.
//
// What is sent (see docs/flows-outbound.md, "What is sent"):
// - a new recipient gets every mapped column;
// - an existing one gets the columns of the fields that changed (every column when the change does
//   not say which), and for two-way columns only values that differ from what the bridge last wrote
//   there; a two-way column Responsys changed later than Salesforce is left to Responsys (most recent
//   change wins per field), and a value that is the bridge's own inbound write coming back is an echo.

export interface PersonChange {
  /** the work item key the result is reported under */
  key: string;
  objectType: PersonObject;
  recordId: string;
  /** fields the change touched; empty: unknown (created, reconciliation, backfill) */
  changedFields: readonly string[];
  correlationId: string;
  /** when the change happened in Salesforce */
  occurredAt: string;
  /** a failure now is final (the last attempt): it is written to the record */
  finalAttempt: boolean;
}

interface Identified {
  riid: string | null;
  email: string | null;
}

export type PersonSyncResult =
  | (Identified & {
      status: 'merged';
      record: SObjectRecord;
      /** the recipient did not exist before this merge */
      created: boolean;
      /** profile-list and PET columns sent */
      columns: string[];
      /** two-way columns left out: unchanged since the last write, echoes, or newer in Responsys */
      keptInResponsys: string[];
      echoes: string[];
      optedOut: boolean;
      /** the record could not take its sync status (the merge stands) */
      writeBackError?: string;
    })
  | (Identified & {
      status: 'skipped';
      code: string;
      reason: string;
      record?: SObjectRecord;
      /** LEAD_CONVERTED: the Contact that carries the person now */
      contactId?: string;
    })
  | (Identified & {
      status: 'failed';
      code: string;
      error: string;
      retryable: boolean;
      retryAfterMs?: number;
      record?: SObjectRecord;
    });

export interface PersonSyncOptions {
  salesforce: Pick<SalesforceClient, 'retrieve' | 'update'>;
  responsys: Pick<
    ResponsysClient,
    'mergeProfileMembers' | 'mergeProfileExtension' | 'retrieveProfileMembers'
  >;
  mapping: { current(): Promise<MappingSnapshot> };
  identity: Pick<IdentityService, 'resolveRecipients' | 'recordLinks'>;
  ledger: Pick<SyncLedger, 'recordWrites' | 'forRecords' | 'suppressEchoes'>;
  metrics: BridgeMetrics;
  clock: Clock;
  logger: Logger;
}

/** Fields every person sync reads besides the mapped ones. */
const SYNC_FIELDS = [
  'HasOptedOutOfEmail',
  'LastModifiedDate',
  'Responsys_RIID__c',
  'Responsys_Sync_Status__c',
  'Responsys_Opt_Out_Source__c',
  'Responsys_Opt_Out_At__c',
];

const PERMISSION = 'EMAIL_PERMISSION_STATUS_';

interface Candidate {
  change: PersonChange;
  id: string;
  record: SObjectRecord;
  match: Extract<RecipientMatch, { status: 'matched' | 'new' }>;
  profile: Record<string, string | null>;
  extensions: Record<string, Record<string, string | null>>;
  email: string | null;
  plan: ColumnPlan;
}

export interface SyncContext {
  /** the flow syncing, for metrics and logs */
  flow: string;
  signal?: AbortSignal;
  /** fields read besides the mapped ones (e.g. those program routes compare), returned in `record` */
  extraFields?: Partial<Record<PersonObject, readonly string[]>>;
}

export class PersonSync {
  private readonly locks = new KeyedLocks();

  constructor(private readonly options: PersonSyncOptions) {}

  /**
   * Syncs each change (Leads and Contacts may be mixed) and answers one result per change key.
   * `extraFields` are read too (e.g. the fields program routes compare) and come back in `record`.
   */
  async sync(changes: readonly PersonChange[], context: SyncContext): Promise<Map<string, PersonSyncResult>> {
    if (changes.length === 0) return new Map();
    // One record is never read and merged by two flows of this process at once (an opt-out in the
    // express lane and an update in the main lane): the second waits and reads the first's result.
    return this.locks.withKeys(
      changes.map((change) => change.recordId.slice(0, 15)),
      () => this.syncUnlocked(changes, context),
    );
  }

  private async syncUnlocked(
    changes: readonly PersonChange[],
    context: SyncContext,
  ): Promise<Map<string, PersonSyncResult>> {
    const results = new Map<string, PersonSyncResult>();
    const snapshot = await this.options.mapping.current();
    const candidates: Candidate[] = [];
    for (const objectType of ['Lead', 'Contact'] as const) {
      const group = changes.filter((change) => change.objectType === objectType);
      if (group.length === 0) continue;
      candidates.push(...(await this.prepare(objectType, group, snapshot, results, context.extraFields)));
    }
    if (context.signal?.aborted) return this.interrupted(candidates, results);
    await this.planTwoWayColumns(candidates, results, context.flow);
    await this.merge(candidates, results, context.signal);
    await this.writeBackOutcomes(changes, results);
    return results;
  }

  /** Reads, identifies and maps one object's records; records that go no further get their result. */
  private async prepare(
    objectType: PersonObject,
    changes: readonly PersonChange[],
    snapshot: MappingSnapshot,
    results: Map<string, PersonSyncResult>,
    extraFields: Partial<Record<PersonObject, readonly string[]>> = {},
  ): Promise<Candidate[]> {
    const fields = [
      ...new Set([
        ...snapshot.salesforceFields(objectType),
        ...IDENTITY_FIELDS[objectType],
        ...SYNC_FIELDS,
        ...(extraFields[objectType] ?? []),
      ]),
    ].filter((field) => field !== 'Id');
    const ids = changes.map((change) =>
      isSalesforceId(change.recordId) ? toId18(change.recordId) : change.recordId,
    );
    const records = await this.options.salesforce.retrieve(objectType, ids.filter(isSalesforceId), fields);
    const present: Array<{ change: PersonChange; id: string; record: SObjectRecord }> = [];
    changes.forEach((change, index) => {
      const id = ids[index]!;
      const record = records.get(id);
      if (!record) {
        results.set(change.key, {
          status: 'skipped',
          code: 'RECORD_NOT_FOUND',
          reason: `${objectType} ${change.recordId} no longer exists in Salesforce (deleted)`,
          riid: null,
          email: null,
        });
      } else if (
        change.changedFields.length > 0 &&
        !snapshot.isOutboundChange(objectType, change.changedFields) &&
        !change.changedFields.some((field) => ['email', 'hasoptedoutofemail'].includes(field.toLowerCase()))
      ) {
        results.set(change.key, {
          status: 'skipped',
          code: 'NO_MAPPED_CHANGE',
          reason: `no mapped field changed (${change.changedFields.join(', ')})`,
          record,
          riid: text(record.Responsys_RIID__c),
          email: normalisedEmail(record.Email),
        });
      } else present.push({ change, id, record });
    });
    if (present.length === 0) return [];

    const matches = await this.options.identity.resolveRecipients(
      present.map(({ id, record }) => ({
        objectType,
        id,
        email: text(record.Email),
        riid: text(record.Responsys_RIID__c),
        isConverted: record.IsConverted === true,
        convertedContactId: text(record.ConvertedContactId),
      })),
    );
    const candidates: Candidate[] = [];
    for (const { change, id, record } of present) {
      const match = matches.get(id);
      const email = normalisedEmail(record.Email);
      if (!match) {
        results.set(
          change.key,
          failed('NO_MATCH_RESULT', 'identity matching gave no answer', true, record, email),
        );
        continue;
      }
      if (match.status !== 'matched' && match.status !== 'new') {
        results.set(change.key, {
          status: 'skipped',
          code: match.code,
          reason: match.reason,
          record,
          riid: text(record.Responsys_RIID__c),
          email,
          ...(match.status === 'converted' ? { contactId: match.contactId } : {}),
        });
        continue;
      }
      const mapped = snapshot.toResponsys(objectType, record);
      if (!mapped.ok) {
        const message = mapped.errors.map((error) => error.message).join('; ');
        results.set(change.key, failed(mapped.errors[0]!.code, message, false, record, email));
        continue;
      }
      const plan = planColumns({
        snapshot,
        objectType,
        changedFields: match.status === 'new' ? [] : change.changedFields,
        profile: mapped.profile,
        extensions: mapped.extensions,
      });
      candidates.push({
        change,
        id,
        record,
        match,
        profile: mapped.profile,
        extensions: mapped.extensions,
        email: mapped.email,
        plan,
      });
    }
    return candidates;
  }

  /**
   * Two-way columns of existing recipients: leave out values unchanged since the bridge last wrote
   * them (or that are its own inbound writes coming back), and values Responsys changed later than
   * Salesforce did (one lookup for the batch, only when such a conflict is possible).
   */
  private async planTwoWayColumns(
    candidates: Candidate[],
    results: Map<string, PersonSyncResult>,
    flow: string,
  ): Promise<void> {
    const existing = candidates.filter((c) => c.match.status === 'matched' && c.plan.twoWay.length > 0);
    if (existing.length === 0) return;
    const riidOf = (candidate: Candidate) => (candidate.match as { riid: string }).riid;

    // The bridge's own inbound writes coming back (Salesforce still holds exactly what it wrote).
    const incoming: Array<LedgerValue & { candidate: Candidate; column: string }> = [];
    for (const candidate of existing) {
      for (const column of candidate.plan.twoWay) {
        const field = candidate.plan.salesforceFieldOf(column)!;
        incoming.push({
          recordKey: candidate.id,
          target: field,
          value: candidate.record[field] ?? null,
          candidate,
          column,
        });
      }
    }
    const { echoes } = await this.options.ledger.suppressEchoes('responsys_to_salesforce', incoming);
    for (const echo of echoes as typeof incoming) echo.candidate.plan.leaveOut(echo.column, 'echo');
    if (echoes.length > 0) {
      this.options.metrics.echoSuppressed({ flow, direction: 'salesforce_to_responsys' }, echoes.length);
    }

    const ledger = new Map<string, string>();
    for (const entry of await this.options.ledger.forRecords(existing.map(riidOf))) {
      if (entry.direction === 'salesforce_to_responsys')
        ledger.set(`${entry.recordKey}\u0000${entry.target}`, entry.valueHash);
    }
    const written = (candidate: Candidate, column: string) =>
      ledger.get(`${riidOf(candidate)}\u0000${profileTarget(column)}`);
    const changedSinceWrite: Array<[Candidate, string[]]> = [];
    for (const candidate of existing) {
      const changed: string[] = [];
      for (const column of candidate.plan.twoWay) {
        const last = written(candidate, column);
        if (last !== undefined && last === hashValue(candidate.profile[column] ?? null)) {
          candidate.plan.leaveOut(column, 'unchanged');
        } else changed.push(column);
      }
      if (changed.length > 0) changedSinceWrite.push([candidate, changed]);
    }

    // Responsys may have changed those columns too since the bridge wrote them: read its values and
    // let the later change win.
    const conflicted = changedSinceWrite.filter(([candidate, columns]) =>
      columns.some((column) => written(candidate, column) !== undefined),
    );
    if (conflicted.length === 0) return;
    const columns = [...new Set(conflicted.flatMap(([, list]) => list))];
    let current: Map<string, Array<Record<string, string | null>>>;
    try {
      current = (
        await this.options.responsys.retrieveProfileMembers(
          conflicted.map(([candidate]) => riidOf(candidate)),
          { by: 'RIID_', fields: [...columns, 'MODIFIED_DATE_'] },
        )
      ).byId;
    } catch (error) {
      // Without Responsys' values the rule cannot be applied: these records are tried again later.
      for (const [candidate] of conflicted) {
        results.set(
          candidate.change.key,
          failed(
            'CONFLICT_CHECK_FAILED',
            `could not read the Responsys values to compare with: ${errorMessage(error)}`,
            true,
            candidate.record,
            candidate.email,
          ),
        );
      }
      return;
    }
    for (const [candidate, list] of conflicted) {
      const row = current.get(riidOf(candidate))?.[0];
      if (!row) continue;
      const responsysTime = parseResponsysTime(row.MODIFIED_DATE_);
      const salesforceTime = Date.parse(
        String(candidate.record.LastModifiedDate ?? candidate.change.occurredAt),
      );
      for (const column of list) {
        const last = written(candidate, column);
        const changedInResponsys = last !== undefined && hashValue(row[column] ?? null) !== last;
        if (changedInResponsys && responsysTime !== undefined && responsysTime > salesforceTime) {
          candidate.plan.leaveOut(column, 'newer_in_responsys');
        }
      }
    }
  }

  private async merge(
    candidates: Candidate[],
    results: Map<string, PersonSyncResult>,
    signal?: AbortSignal,
  ): Promise<void> {
    const live = candidates.filter((candidate) => !results.has(candidate.change.key));
    // Existing recipients are merged by RIID (never creating a second one); new ones by CUSTOMER_ID_ =
    // the Salesforce id, then by email.
    const byRiid = live.filter((c) => c.match.status === 'matched');
    const created = live.filter((c) => c.match.status === 'new');
    const merged: Array<{ candidate: Candidate; riid: string }> = [];
    const retryAsNew: Candidate[] = [];

    const send = async (group: Candidate[], byRiidMatch: boolean) => {
      if (group.length === 0) return;
      const outcomes = await this.options.responsys.mergeProfileMembers(
        group.map((c) => this.profileRecord(c, byRiidMatch)),
        byRiidMatch
          ? { matchColumn: 'RIID_', insertOnNoMatch: false, defaultPermissionStatus: 'OPTOUT', signal }
          : {
              matchColumn: 'CUSTOMER_ID_',
              secondMatchColumn: 'EMAIL_ADDRESS_',
              matchOperator: 'NONE',
              defaultPermissionStatus: 'OPTOUT',
              signal,
            },
      );
      group.forEach((candidate, index) => {
        const outcome = outcomes[index]!;
        if (outcome.ok) merged.push({ candidate, riid: outcome.riid });
        else if (byRiidMatch && outcome.code === 'RECORD_NOT_FOUND') retryAsNew.push(candidate);
        else results.set(candidate.change.key, mergeFailure(outcome, candidate));
      });
    };
    await send(byRiid, true);
    await send(created, false);
    // A linked recipient deleted in Responsys is created again.
    for (const candidate of retryAsNew) candidate.plan.sendEverything();
    await send(retryAsNew, false);

    // PET columns, for the recipients that merged.
    const petFailures = await this.mergeExtensions(merged, signal);
    const links = [];
    const writes: LedgerValue[] = [];
    for (const { candidate, riid } of merged) {
      const failure = petFailures.get(candidate);
      const columns = candidate.plan.sentColumns();
      if (failure) {
        results.set(candidate.change.key, {
          ...mergeFailure(failure.outcome, candidate),
          error: `merged into the profile list, but ${failure.pet} refused the row: ${failure.outcome.message}`,
          riid,
        });
      } else {
        results.set(candidate.change.key, {
          status: 'merged',
          record: candidate.record,
          riid,
          email: candidate.email,
          created: candidate.match.status === 'new' || retryAsNew.includes(candidate),
          columns,
          keptInResponsys: candidate.plan.leftOut('newer_in_responsys'),
          echoes: candidate.plan.leftOut('echo'),
          optedOut: candidate.record.HasOptedOutOfEmail === true,
        });
      }
      links.push({
        salesforceId: candidate.id,
        objectType: candidate.change.objectType,
        riid,
        email: candidate.email,
        correlationId: candidate.change.correlationId,
      });
      for (const column of candidate.plan.sentTwoWay()) {
        writes.push({
          recordKey: riid,
          target: profileTarget(column),
          value: candidate.profile[column] ?? null,
        });
      }
    }
    if (links.length > 0) await this.options.identity.recordLinks(links);
    if (writes.length > 0) await this.options.ledger.recordWrites('salesforce_to_responsys', writes);
  }

  private profileRecord(candidate: Candidate, byRiid: boolean): ProfileRecord {
    const record: ProfileRecord = {};
    for (const column of candidate.plan.profileColumns()) record[column] = candidate.profile[column] ?? null;
    record[PERMISSION] = candidate.record.HasOptedOutOfEmail === true ? 'O' : 'I';
    // CUSTOMER_ID_ names the record that owns the recipient now (a Contact taking over its Lead's).
    record.CUSTOMER_ID_ = candidate.id;
    if (byRiid) record.RIID_ = (candidate.match as { riid: string }).riid;
    else record.EMAIL_ADDRESS_ = candidate.email;
    return record;
  }

  private async mergeExtensions(
    merged: Array<{ candidate: Candidate; riid: string }>,
    signal?: AbortSignal,
  ): Promise<Map<Candidate, { pet: string; outcome: RecordFailure }>> {
    const failures = new Map<Candidate, { pet: string; outcome: RecordFailure }>();
    const pets = new Set(merged.flatMap(({ candidate }) => candidate.plan.extensionTargets()));
    for (const pet of pets) {
      const rows = merged.filter(({ candidate }) => candidate.plan.extensionColumns(pet).length > 0);
      const outcomes = await this.options.responsys.mergeProfileExtension(
        pet,
        rows.map(({ candidate, riid }) => {
          const row: ProfileRecord = { RIID_: riid };
          for (const column of candidate.plan.extensionColumns(pet))
            row[column] = candidate.extensions[pet]?.[column] ?? null;
          return row;
        }),
        { matchColumn: 'RIID', insertOnNoMatch: true, signal },
      );
      rows.forEach(({ candidate }, index) => {
        const outcome = outcomes[index]!;
        if (!outcome.ok && !failures.has(candidate)) failures.set(candidate, { pet, outcome });
      });
    }
    return failures;
  }

  /** Writes RIID, status, time or the error back to the records (as the integration user: no echo). */
  private async writeBackOutcomes(
    changes: readonly PersonChange[],
    results: Map<string, PersonSyncResult>,
  ): Promise<void> {
    const requests: WriteBackRequest[] = [];
    for (const change of changes) {
      const result = results.get(change.key);
      if (!result || !('record' in result) || !result.record) continue;
      requests.push({ change, result, record: result.record });
    }
    const problems = await writeBack(this.options.salesforce, requests, this.options.clock.now());
    for (const [key, problem] of problems) {
      const result = results.get(key)!;
      if (result.status !== 'merged') continue;
      if (problem.retryable) {
        results.set(key, {
          status: 'failed',
          code: 'WRITE_BACK_FAILED',
          error: `merged into Responsys, but the sync status could not be written to Salesforce: ${problem.message}`,
          retryable: true,
          record: result.record,
          riid: result.riid,
          email: result.email,
        });
      } else {
        // The merge stands; the record could not take the status (e.g. deleted meanwhile).
        result.writeBackError = problem.message;
      }
    }
  }

  private interrupted(candidates: Candidate[], results: Map<string, PersonSyncResult>) {
    for (const candidate of candidates) {
      if (!results.has(candidate.change.key)) {
        results.set(
          candidate.change.key,
          failed(
            'INTERRUPTED',
            'the bridge is shutting down; tried again later',
            true,
            candidate.record,
            candidate.email,
          ),
        );
      }
    }
    return results;
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function normalisedEmail(value: unknown): string | null {
  return text(value)?.toLowerCase() ?? null;
}

function failed(
  code: string,
  error: string,
  retryable: boolean,
  record: SObjectRecord | undefined,
  email: string | null,
): Extract<PersonSyncResult, { status: 'failed' }> {
  return {
    status: 'failed',
    code,
    error,
    retryable,
    record,
    riid: record ? text(record.Responsys_RIID__c) : null,
    email,
  };
}

function mergeFailure(
  outcome: RecordFailure,
  candidate: Candidate,
): Extract<PersonSyncResult, { status: 'failed' }> {
  return {
    status: 'failed',
    code: outcome.code,
    error: outcome.message,
    retryable: outcome.retryable,
    ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
    record: candidate.record,
    riid: candidate.match.status === 'matched' ? candidate.match.riid : null,
    email: candidate.email,
  };
}

/** MODIFIED_DATE_ as Responsys answers it (`2024-05-01 10:11:12.0`, UTC). */
function parseResponsysTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const time = Date.parse(
    `${value
      .trim()
      .replace(' ', 'T')
      .replace(/\.\d+$/, '')}Z`,
  );
  return Number.isNaN(time) ? undefined : time;
}

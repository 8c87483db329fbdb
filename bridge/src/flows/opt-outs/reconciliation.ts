import { randomUUID } from 'node:crypto';
import type { ResponsysClient } from '../../responsys/client.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import { toId18, type SObjectRecord } from '../../salesforce/soql.js';
import type { WriteResult } from '../../salesforce/writes.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import type { LedgerValue } from '../../store/sync-ledger.js';
import type { SyncLogInput } from '../../store/sync-log.js';
import { EngagementEventStore, type StoredEvent } from '../engagement/event-store.js';
import { RECONCILE_OPT_OUTS_TASK } from '../engagement/names.js';
import { OPT_FIELDS, toPersonRecord } from './inbound-people.js';
import { effectiveOptOutTimes, type PersonRecord } from './inbound-rule.js';
import { toOptEvent } from './inbound.js';
import { ReconciliationReports, type ReconciliationChange, type RunCounts } from './reconciliation-store.js';

// The opt-out reconciliation (F7): compares Email Opt Out on every Lead and Contact linked to a
// Responsys recipient (read with Bulk API 2.0, page by page) with the recipient's
// EMAIL_PERMISSION_STATUS_ (read 200 at a time), and heals every disagreement by the rule:
//   opted out wins: when one side says out and the other in, both become out - unless the bridge has
//   applied an opt-in from the person (see inbound-rule.ts) newer than every opt-out it knows of, in
//   which case the opted-out side is opted in again.
// People with an opt-out or opt-in still being applied are left for the next run. Every disagreement
// and what was done about it is kept in a report (admin API, CLI); a dry run only reports.

const PERMISSION_TARGET = 'PROFILE_LIST.EMAIL_PERMISSION_STATUS_';
const PAGE_SIZE = 10_000;

export interface ReconcileOptOutsInput {
  dryRun?: boolean;
  trigger?: string;
}

export interface ReconcileOptOutsResult extends RunCounts {
  runId: number;
  dryRun: boolean;
}

export interface OptOutReconcilerOptions {
  store: Store;
  salesforce: SalesforceClient;
  responsys: Pick<ResponsysClient, 'retrieveProfileMembers' | 'mergeProfileMembers'>;
  logger: Logger;
  clock: Clock;
}

interface PersonCheck {
  riid: string;
  records: Array<PersonRecord & { email: string | null }>;
  /** EMAIL_PERMISSION_STATUS_ in Responsys, undefined when the recipient is not in the list */
  permission: 'I' | 'O' | undefined;
}

export class OptOutReconciler {
  private readonly log: Logger;

  constructor(private readonly options: OptOutReconcilerOptions) {
    this.log = options.logger.child({ task: RECONCILE_OPT_OUTS_TASK });
  }

  async run(input: ReconcileOptOutsInput = {}, signal?: AbortSignal): Promise<ReconcileOptOutsResult> {
    const { store, salesforce } = this.options;
    const dryRun = input.dryRun === true;
    const reports = new ReconciliationReports(store.db);
    const runId = await reports.start({ dryRun, trigger: input.trigger ?? 'schedule' });
    const counts: RunCounts = {
      recordsCompared: 0,
      recipientsCompared: 0,
      drift: 0,
      healedSalesforce: 0,
      healedResponsys: 0,
      skipped: 0,
      failed: 0,
    };
    this.log.info({ runId, dryRun }, 'opt-out reconciliation started');
    try {
      for (const objectType of ['Contact', 'Lead'] as const) {
        const where =
          objectType === 'Lead'
            ? 'Responsys_RIID__c != null AND IsConverted = false'
            : 'Responsys_RIID__c != null';
        const soql = `SELECT Id, ${OPT_FIELDS.join(', ')} FROM ${objectType} WHERE ${where}`;
        for await (const page of salesforce.bulkQuery(soql, {
          pageSize: PAGE_SIZE,
          priority: 'background',
        })) {
          if (signal?.aborted) throw new Error('stopped (the bridge is shutting down)');
          const changes = await this.reconcilePage(page, dryRun, counts);
          await reports.addChanges(runId, changes);
          await reports.progress(runId, counts);
        }
      }
      await reports.finish(runId, counts);
    } catch (error) {
      await reports.finish(runId, counts, errorMessage(error));
      this.log.error({ runId, err: error }, `opt-out reconciliation failed: ${errorMessage(error)}`);
      throw error;
    }
    this.log.info({ runId, dryRun, ...counts }, 'opt-out reconciliation finished');
    return { runId, dryRun, ...counts };
  }

  private async reconcilePage(
    page: readonly SObjectRecord[],
    dryRun: boolean,
    counts: RunCounts,
  ): Promise<ReconciliationChange[]> {
    const { store, responsys, salesforce, clock } = this.options;
    const byRiid = new Map<string, PersonCheck>();
    for (const record of page) {
      const riid = String(record.Responsys_RIID__c ?? '').trim();
      if (!riid) continue;
      const check = byRiid.get(riid) ?? { riid, records: [], permission: undefined };
      check.records.push({ ...toPersonRecord(record), email: (record.Email as string | null) ?? null });
      byRiid.set(riid, check);
    }
    counts.recordsCompared += page.length;
    counts.recipientsCompared += byRiid.size;
    if (byRiid.size === 0) return [];
    const riids = [...byRiid.keys()];
    const members = await responsys.retrieveProfileMembers(riids, {
      by: 'RIID_',
      fields: ['EMAIL_PERMISSION_STATUS_'],
    });
    for (const check of byRiid.values()) {
      const status = members.byId.get(check.riid)?.[0]?.EMAIL_PERMISSION_STATUS_;
      check.permission = status === 'O' || status === 'I' ? status : undefined;
    }
    const events = await new EngagementEventStore(store.db).forRiids(riids, ['Opted_Out', 'Opted_In']);
    const eventsOf = new Map<string, StoredEvent[]>();
    for (const event of events) eventsOf.set(event.riid!, [...(eventsOf.get(event.riid!) ?? []), event]);

    const changes: ReconciliationChange[] = [];
    const salesforceHeals: Array<{
      record: PersonCheck['records'][number];
      riid: string;
      optedOut: boolean;
      fields: Record<string, unknown>;
      reason: string;
      responsysBefore: string | null;
    }> = [];
    const responsysHeals: Array<{ check: PersonCheck; reason: string }> = [];
    const now = clock.now();
    for (const check of byRiid.values()) {
      const outRecords = check.records.filter((record) => record.optedOut);
      const responsysOut = check.permission === 'O';
      const anyOut = outRecords.length > 0 || responsysOut;
      const allOut =
        outRecords.length === check.records.length && (check.permission === undefined || responsysOut);
      if (!anyOut || allOut) {
        if (check.permission === undefined) {
          counts.skipped += 1;
          changes.push(
            this.change(
              check,
              check.records[0],
              'none',
              'skipped',
              'the recipient is not in the Responsys profile list',
            ),
          );
        }
        continue;
      }
      counts.drift += 1;
      const mine = eventsOf.get(check.riid) ?? [];
      if (mine.some((event) => event.optStatus === 'pending')) {
        counts.skipped += 1;
        changes.push(
          this.change(
            check,
            check.records[0],
            'none',
            'skipped',
            'an opt-out or opt-in of this person is being applied; checked again next run',
          ),
        );
        continue;
      }
      // The latest opt-in from the person the bridge applied, against every opt-out it knows of.
      const optIn = mine
        .filter((event) => event.type === 'Opted_In' && event.optStatus === 'applied')
        .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime())[0];
      const optOutAt = effectiveOptOutTimes(mine.map(toOptEvent));
      const optOutTimes = [
        ...mine.filter((event) => event.type === 'Opted_Out').map((event) => event.occurredAt.getTime()),
        ...outRecords.map((record) => optOutAt(record)?.getTime() ?? Number.POSITIVE_INFINITY),
      ];
      const optInWins =
        !!optIn && optOutTimes.every((time) => time < optIn.occurredAt.getTime()) && !responsysOut;
      if (optInWins) {
        for (const record of outRecords) {
          salesforceHeals.push({
            record,
            riid: check.riid,
            optedOut: false,
            fields: {
              HasOptedOutOfEmail: false,
              Responsys_Opt_Out_Source__c: null,
              Responsys_Opt_Out_At__c: null,
            },
            reason: `the person opted in again in Responsys at ${optIn.occurredAt.toISOString()}, after the opt-out`,
            responsysBefore: check.permission ?? null,
          });
        }
        continue;
      }
      const lastOptOut = mine.filter((event) => event.type === 'Opted_Out').pop();
      for (const record of check.records.filter((candidate) => !candidate.optedOut)) {
        salesforceHeals.push({
          record,
          riid: check.riid,
          optedOut: true,
          fields: {
            HasOptedOutOfEmail: true,
            Responsys_Opt_Out_Source__c: responsysOut
              ? 'Responsys'
              : (outRecords[0]?.optOutSource ?? 'Responsys'),
            Responsys_Opt_Out_At__c: (lastOptOut?.occurredAt ?? outRecords[0]?.optOutAt ?? now).toISOString(),
          },
          reason: responsysOut
            ? 'opted out in Responsys, not in Salesforce: opted out wins'
            : 'another record of the same person is opted out: opted out wins',
          responsysBefore: check.permission ?? null,
        });
      }
      if (!responsysOut && check.permission !== undefined) {
        responsysHeals.push({
          check,
          reason: `opted out in Salesforce (${outRecords.map((record) => record.id).join(', ')}), not in Responsys: opted out wins`,
        });
      }
    }

    if (dryRun) {
      for (const heal of salesforceHeals) {
        changes.push({
          ...this.change(
            { riid: heal.riid, permission: undefined },
            heal.record,
            'salesforce',
            'would_heal',
            heal.reason,
          ),
          responsysBefore: heal.responsysBefore,
        });
      }
      for (const heal of responsysHeals)
        changes.push(
          this.change(
            heal.check,
            heal.check.records.find((r) => r.optedOut),
            'responsys',
            'would_heal',
            heal.reason,
          ),
        );
      return changes;
    }

    // Salesforce, one update per object type for the page.
    const ledgerToSalesforce: LedgerValue[] = [];
    const ledgerToResponsys: LedgerValue[] = [];
    const syncLines: SyncLogInput[] = [];
    for (const objectType of ['Lead', 'Contact'] as const) {
      const heals = salesforceHeals.filter((heal) => heal.record.objectType === objectType);
      if (heals.length === 0) continue;
      let results: WriteResult[];
      try {
        results = await salesforce.update(
          objectType,
          heals.map((heal) => ({ Id: heal.record.id, ...heal.fields })),
        );
      } catch (error) {
        results = heals.map((_, index) => ({
          index,
          id: null,
          success: false,
          retryable: true,
          errors: [{ code: 'CALL_FAILED', message: errorMessage(error), fields: [] }],
        }));
      }
      results.forEach((result, index) => {
        const heal = heals[index]!;
        const base = this.change(
          { riid: heal.riid, permission: undefined },
          heal.record,
          'salesforce',
          'healed',
          heal.reason,
        );
        base.responsysBefore = heal.responsysBefore;
        if (result.success) {
          counts.healedSalesforce += 1;
          ledgerToSalesforce.push({
            recordKey: heal.record.id,
            target: 'HasOptedOutOfEmail',
            value: heal.optedOut,
          });
          syncLines.push(
            this.syncLine(
              heal.record.id,
              heal.record.objectType,
              heal.riid,
              heal.record.email,
              'responsys_to_salesforce',
              heal.reason,
            ),
          );
          changes.push(base);
        } else {
          counts.failed += 1;
          const error = result.errors[0];
          changes.push({
            ...base,
            outcome: 'failed',
            error: `${error?.code ?? 'UNKNOWN'}: ${error?.message ?? ''}`,
          });
        }
      });
    }
    // Responsys, 200 recipients per merge.
    if (responsysHeals.length > 0) {
      let outcomes: Awaited<ReturnType<typeof responsys.mergeProfileMembers>>;
      try {
        outcomes = await responsys.mergeProfileMembers(
          responsysHeals.map((heal) => ({ RIID_: heal.check.riid, EMAIL_PERMISSION_STATUS_: 'O' })),
          { matchColumn: 'RIID_', insertOnNoMatch: false, defaultPermissionStatus: 'OPTOUT' },
        );
      } catch (error) {
        outcomes = responsysHeals.map(() => ({
          ok: false,
          code: 'CALL_FAILED',
          message: errorMessage(error),
          retryable: true,
          scope: 'request' as const,
        }));
      }
      outcomes.forEach((outcome, index) => {
        const heal = responsysHeals[index]!;
        const record = heal.check.records.find((candidate) => candidate.optedOut);
        const base = this.change(heal.check, record, 'responsys', 'healed', heal.reason);
        if (outcome.ok) {
          counts.healedResponsys += 1;
          ledgerToResponsys.push({ recordKey: heal.check.riid, target: PERMISSION_TARGET, value: 'O' });
          syncLines.push(
            this.syncLine(
              record?.id ?? null,
              record?.objectType ?? null,
              heal.check.riid,
              record?.email ?? null,
              'salesforce_to_responsys',
              heal.reason,
            ),
          );
          changes.push(base);
        } else {
          counts.failed += 1;
          changes.push({ ...base, outcome: 'failed', error: `${outcome.code}: ${outcome.message}` });
        }
      });
    }
    await store.transaction(async (repos) => {
      if (ledgerToSalesforce.length > 0)
        await repos.syncLedger.recordWrites('responsys_to_salesforce', ledgerToSalesforce);
      if (ledgerToResponsys.length > 0)
        await repos.syncLedger.recordWrites('salesforce_to_responsys', ledgerToResponsys);
      await repos.syncLog.record(syncLines);
    });
    return changes;
  }

  private change(
    check: Pick<PersonCheck, 'riid' | 'permission'>,
    record: (PersonRecord & { email: string | null }) | undefined,
    side: ReconciliationChange['side'],
    outcome: ReconciliationChange['outcome'],
    reason: string,
  ): ReconciliationChange {
    return {
      salesforceId: record ? toId18(record.id) : null,
      objectType: record?.objectType ?? null,
      riid: check.riid,
      email: record?.email ?? null,
      side,
      salesforceBefore: record ? (record.optedOut ? 'opted out' : 'opted in') : null,
      responsysBefore: check.permission ?? null,
      outcome,
      reason,
    };
  }

  private syncLine(
    salesforceId: string | null,
    objectType: string | null,
    riid: string,
    email: string | null,
    direction: SyncLogInput['direction'],
    reason: string,
  ): SyncLogInput {
    return {
      correlationId: randomUUID(),
      flow: RECONCILE_OPT_OUTS_TASK,
      direction,
      outcome: 'succeeded',
      objectType,
      salesforceId,
      riid,
      email,
      changeType: 'RECONCILE',
      reason: `opt-out drift healed: ${reason}`,
    };
  }
}

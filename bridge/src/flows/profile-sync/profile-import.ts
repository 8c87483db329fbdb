import { randomUUID } from 'node:crypto';
import type { IdentityService } from '../../identity/identity-service.js';
import type { PersonObject } from '../../identity/types.js';
import type { MappingEngine, MappingSnapshot } from '../../mapping/engine.js';
import type { ResolvedFieldMap } from '../../mapping/validation.js';
import { PROFILE_LIST_TARGET } from '../../mapping/validation.js';
import type { RecordChangeInput } from '../../queue/record-change.js';
import {
  InboundFileReader,
  parseConnectFileName,
  parseConnectTimestamp,
  type AfterRead,
  type FileChunk,
  type FileLocation,
  type FileReadResult,
  type FileRow,
  type ReadyMarkers,
} from '../../responsys/files/index.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import { isSalesforceId, toId18, type SObjectRecord } from '../../salesforce/soql.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BridgeMetrics } from '../../shared/metrics.js';
import type { Store } from '../../store/store.js';
import { hashValue, type LedgerValue } from '../../store/sync-ledger.js';
import type { SyncLogInput } from '../../store/sync-log.js';
import { profileTarget } from '../person-sync/column-plan.js';
import { PROFILE_SYNC_FLOW } from './profile-sync.js';

// F4, Responsys back to Salesforce: fields mapped Inbound or Both follow changes made in Responsys
// (a marketer's edit, a form). Connect writes profile-list export files
// (`<account>_PROFILE_LIST_<LIST>_<time>.txt`, header row, members changed since the last export)
// next to the event files; each is read once, chunk by chunk, resuming mid-file after a crash.
//
// For each member and two-way column:
// - the value the bridge itself wrote to Responsys coming back (the export lists every member a merge
//   touched) is an echo: counted, not applied (sync ledger);
// - a value Salesforce already holds needs nothing;
// - otherwise the most recent change wins, per field: when Salesforce's value is still the one the
//   bridge last sent, only Responsys changed it and its value is written; when both changed since,
//   Responsys' MODIFIED_DATE_ is compared with the record's LastModifiedDate and the later one wins
//   (a Salesforce win is sent out again by the profile sync).
// Writes are made as the integration user (no event comes back) and remembered in the ledger both
// ways, so neither side sees them as new changes.

export const PROFILE_FILES_SOURCE = 'responsys-profile-list';

export interface ProfileImportOptions {
  location: FileLocation;
  store: Store;
  salesforce: Pick<SalesforceClient, 'retrieve' | 'update'>;
  mapping: Pick<MappingEngine, 'current'>;
  identity: Pick<IdentityService, 'resolveSalesforceRecords'>;
  /** queues outbound changes for records whose Salesforce value won */
  dispatch(changes: RecordChangeInput[]): Promise<unknown>;
  /** the profile list whose exports are read */
  listName: string;
  readyMarkers: ReadyMarkers;
  settleSeconds: number;
  afterRead: AfterRead;
  metrics: BridgeMetrics;
  clock: Clock;
  logger: Logger;
}

export interface ProfileImportReport {
  files: FileReadResult[];
  rows: number;
  /** members whose two-way values were all the bridge's own writes */
  echoes: number;
  /** members updated in Salesforce */
  updated: number;
  /** members already equal in both systems */
  unchanged: number;
  /** fields where Salesforce's later change won */
  keptSalesforce: number;
  /** members with no Salesforce record */
  unmatched: number;
  failed: number;
}

interface Member {
  row: FileRow;
  riid: string;
  correlationId: string;
  modifiedAt: Date | undefined;
  /** two-way column -> value in the export */
  values: Record<string, string | null>;
  fresh: string[];
}

type Report = Omit<ProfileImportReport, 'files'>;

export class ProfileImporter {
  readonly reader: InboundFileReader;
  private running: Promise<ProfileImportReport> | undefined;

  constructor(private readonly options: ProfileImportOptions) {
    const list = options.listName.toUpperCase();
    this.reader = new InboundFileReader({
      location: options.location,
      store: options.store,
      source: PROFILE_FILES_SOURCE,
      accept: (file) => {
        const name = parseConnectFileName(file.name);
        return name?.feed === 'PROFILE_LIST' && name.listName?.toUpperCase() === list;
      },
      readyMarkers: options.readyMarkers,
      settleMs: options.settleSeconds * 1000,
      afterRead: options.afterRead,
      chunkRows: 500,
      logger: options.logger,
      clock: options.clock,
    });
  }

  /** Reads every ready export now (joins a read already running). */
  importNow(signal?: AbortSignal): Promise<ProfileImportReport> {
    this.running ??= this.importReadyFiles(signal).finally(() => (this.running = undefined));
    return this.running;
  }

  private async importReadyFiles(signal?: AbortSignal): Promise<ProfileImportReport> {
    const report: ProfileImportReport = {
      files: [],
      rows: 0,
      echoes: 0,
      updated: 0,
      unchanged: 0,
      keptSalesforce: 0,
      unmatched: 0,
      failed: 0,
    };
    report.files = await this.reader.readAll(async (chunk) => {
      await this.importChunk(chunk, report);
      await this.options.store.transaction((repos) => chunk.savePosition(repos.inboundFiles));
    }, signal);
    if (report.rows > 0) {
      this.options.logger.info(
        { report: { ...report, files: report.files.length } },
        `profile-list export: ${report.updated} Salesforce record(s) updated, ${report.echoes} echo(es) of the bridge's own writes, ${report.unchanged} already equal`,
      );
    }
    return report;
  }

  private async importChunk(chunk: FileChunk, report: Report): Promise<void> {
    const snapshot = await this.options.mapping.current();
    const twoWay = twoWayMaps(snapshot);
    const columns = [...new Set([...twoWay.values()].flat().map((map) => map.column))];
    const members: Member[] = [];
    const lines: SyncLogInput[] = [];
    for (const row of chunk.rows) {
      report.rows += 1;
      const riid = row.values.RIID_?.trim();
      if (row.problem || !riid) {
        report.failed += 1;
        this.options.logger.warn(
          { file: chunk.file.name, line: row.line },
          `profile-list export row skipped: ${row.problem ?? 'no RIID_'}`,
        );
        continue;
      }
      const values: Record<string, string | null> = {};
      for (const column of columns) {
        if (column in row.values) values[column] = row.values[column] === '' ? null : row.values[column]!;
      }
      members.push({
        row,
        riid,
        correlationId: randomUUID(),
        modifiedAt: parseConnectTimestamp(row.values.MODIFIED_DATE_ ?? ''),
        values,
        fresh: [],
      });
    }
    if (members.length === 0 || columns.length === 0) return;

    // The bridge's own writes coming back.
    const incoming = members.flatMap((member) =>
      Object.entries(member.values).map(([column, value]) => ({
        recordKey: member.riid,
        target: profileTarget(column),
        value,
        member,
        column,
      })),
    );
    const { fresh, echoes } = await this.options.store.syncLedger.suppressEchoes(
      'salesforce_to_responsys',
      incoming,
    );
    for (const value of fresh as typeof incoming) value.member.fresh.push(value.column);
    if (echoes.length > 0) {
      this.options.metrics.echoSuppressed(
        { flow: PROFILE_SYNC_FLOW, direction: 'responsys_to_salesforce' },
        echoes.length,
      );
    }
    const changed = members.filter((member) => member.fresh.length > 0);
    report.echoes += members.length - changed.length;
    if (changed.length === 0) return;

    // Whose member is it in Salesforce?
    const matches = await this.options.identity.resolveSalesforceRecords(
      changed.map((member) => ({
        key: member.riid,
        riid: member.riid,
        customerId: member.row.values.CUSTOMER_ID_ || null,
        email: member.row.values.EMAIL_ADDRESS_ || null,
      })),
    );
    const byObject = new Map<PersonObject, Array<{ member: Member; id: string }>>();
    for (const member of changed) {
      const match = matches.get(member.riid);
      if (match?.status !== 'matched') {
        report.unmatched += 1;
        continue;
      }
      const list = byObject.get(match.objectType) ?? [];
      list.push({ member, id: toId18(match.salesforceId) });
      byObject.set(match.objectType, list);
    }

    const ledgerWrites: { inbound: LedgerValue[]; outbound: LedgerValue[] } = { inbound: [], outbound: [] };
    const followUps: RecordChangeInput[] = [];
    for (const [objectType, entries] of byObject) {
      const maps = twoWay.get(objectType) ?? [];
      if (maps.length === 0) continue;
      const records = await this.options.salesforce.retrieve(
        objectType,
        entries.map((entry) => entry.id).filter(isSalesforceId),
        [...new Set([...snapshot.salesforceFields(objectType), 'LastModifiedDate'])].filter(
          (f) => f !== 'Id',
        ),
      );
      const outboundLedger = await this.lastWritten(entries.map((entry) => entry.member.riid));
      const updates: Array<{
        entry: (typeof entries)[number];
        values: Record<string, unknown>;
        fields: string[];
        kept: string[];
      }> = [];
      for (const entry of entries) {
        const record = records.get(entry.id);
        if (!record) {
          report.unmatched += 1;
          continue;
        }
        const plan = this.plan(snapshot, objectType, maps, entry.member, record, outboundLedger);
        if (plan.error) {
          report.failed += 1;
          lines.push(this.line(entry, objectType, 'skipped', plan.error, 'INVALID_VALUE'));
          continue;
        }
        for (const { column } of plan.inSync) {
          ledgerWrites.outbound.push({
            recordKey: entry.member.riid,
            target: profileTarget(column),
            value: entry.member.values[column] ?? null,
          });
        }
        if (plan.kept.length > 0) {
          report.keptSalesforce += plan.kept.length;
          followUps.push({
            objectType,
            recordId: entry.id,
            changeType: 'UPDATE',
            changedFields: plan.kept,
            correlationId: entry.member.correlationId,
            source: 'profile-import',
          });
        }
        if (Object.keys(plan.values).length === 0) {
          if (plan.kept.length === 0) report.unchanged += 1;
          else {
            lines.push(
              this.line(
                entry,
                objectType,
                'skipped',
                `Responsys changed ${plan.kept.join(', ')} earlier than Salesforce did: Salesforce's values are kept and sent`,
                'SALESFORCE_NEWER',
              ),
            );
          }
          continue;
        }
        updates.push({ entry, values: plan.values, fields: Object.keys(plan.values), kept: plan.kept });
      }
      if (updates.length === 0) continue;
      const results = await this.options.salesforce.update(
        objectType,
        updates.map(({ entry, values }) => ({ Id: entry.id, ...values })),
        { correlationIds: updates.map(({ entry }) => entry.member.correlationId) },
      );
      for (const result of results) {
        const { entry, values, fields, kept } = updates[result.index]!;
        if (!result.success) {
          report.failed += 1;
          const message = result.errors.map((error) => `${error.code}: ${error.message}`).join('; ');
          lines.push(
            this.line(
              entry,
              objectType,
              result.retryable ? 'retrying' : 'dead_lettered',
              `Salesforce refused the update: ${message}`,
              result.errors[0]?.code ?? 'WRITE_FAILED',
            ),
          );
          continue;
        }
        report.updated += 1;
        for (const [field, value] of Object.entries(values)) {
          ledgerWrites.inbound.push({ recordKey: entry.id, target: field, value });
          const map = maps.find((candidate) => candidate.salesforceField.name === field);
          if (map) {
            ledgerWrites.outbound.push({
              recordKey: entry.member.riid,
              target: profileTarget(map.column),
              value: entry.member.values[map.column] ?? null,
            });
          }
        }
        const when = entry.member.modifiedAt
          ? ` (changed there at ${entry.member.modifiedAt.toISOString()})`
          : '';
        lines.push(
          this.line(
            entry,
            objectType,
            'succeeded',
            `${fields.join(', ')} updated from Responsys${when}` +
              (kept.length > 0 ? `; kept Salesforce's newer ${kept.join(', ')}` : ''),
            null,
            { fields, kept },
          ),
        );
      }
    }
    await this.options.store.syncLedger.recordWrites('responsys_to_salesforce', ledgerWrites.inbound);
    await this.options.store.syncLedger.recordWrites('salesforce_to_responsys', ledgerWrites.outbound);
    await this.options.store.syncLog.record(lines);
    if (followUps.length > 0) {
      try {
        await this.options.dispatch(followUps);
      } catch (error) {
        this.options.logger.error(
          { err: error },
          `Salesforce's newer values could not be queued: ${errorMessage(error)}`,
        );
      }
    }
  }

  /** What the bridge last wrote to each recipient's two-way columns, and when (by `riid\u0000target`). */
  private async lastWritten(riids: string[]): Promise<Map<string, { hash: string; at: Date }>> {
    const written = new Map<string, { hash: string; at: Date }>();
    for (const entry of await this.options.store.syncLedger.forRecords(riids)) {
      if (entry.direction === 'salesforce_to_responsys')
        written.set(`${entry.recordKey}\u0000${entry.target}`, {
          hash: entry.valueHash,
          at: entry.writtenAt,
        });
    }
    return written;
  }

  /** Per fresh column: already equal, Responsys wins (written), or Salesforce's later change wins. */
  private plan(
    snapshot: MappingSnapshot,
    objectType: PersonObject,
    maps: readonly ResolvedFieldMap[],
    member: Member,
    record: SObjectRecord,
    lastWritten: Map<string, { hash: string; at: Date }>,
  ): { values: Record<string, unknown>; kept: string[]; inSync: ResolvedFieldMap[]; error?: string } {
    const freshColumns = new Set(member.fresh);
    const profile: Record<string, string | null> = {};
    for (const column of freshColumns) profile[column] = member.values[column] ?? null;
    const inbound = snapshot.toSalesforce(objectType, { profile });
    if (!inbound.ok)
      return {
        values: {},
        kept: [],
        inSync: [],
        error: inbound.errors.map((error) => error.message).join('; '),
      };
    const outbound = snapshot.toResponsys(objectType, record);
    const salesforceTime = Date.parse(String(record.LastModifiedDate ?? ''));
    const values: Record<string, unknown> = {};
    const kept: string[] = [];
    const inSync: ResolvedFieldMap[] = [];
    for (const map of maps) {
      if (!freshColumns.has(map.column)) continue;
      const field = map.salesforceField.name;
      if (!(field in inbound.values)) continue;
      const incoming = inbound.values[field];
      const current = record[field] ?? null;
      if (sameValue(current, incoming)) {
        inSync.push(map);
        continue;
      }
      const sent = lastWritten.get(`${member.riid}\u0000${profileTarget(map.column)}`);
      // An export taken before the bridge's last write of the column is out of date for it.
      if (sent && member.modifiedAt && member.modifiedAt.getTime() < sent.at.getTime() - 1000) continue;
      // Did Salesforce change the field since the bridge last sent it?
      const salesforceValue = outbound.ok ? (outbound.profile[map.column] ?? null) : undefined;
      const salesforceUnchanged =
        sent !== undefined && salesforceValue !== undefined && hashValue(salesforceValue) === sent.hash;
      const responsysLater =
        member.modifiedAt !== undefined &&
        (Number.isNaN(salesforceTime) || member.modifiedAt.getTime() > salesforceTime);
      if (salesforceUnchanged || responsysLater) values[field] = incoming;
      else kept.push(field);
    }
    return { values, kept, inSync };
  }

  private line(
    entry: { member: Member; id: string },
    objectType: PersonObject,
    outcome: SyncLogInput['outcome'],
    reason: string,
    errorCode: string | null,
    details?: Record<string, unknown>,
  ): SyncLogInput {
    return {
      correlationId: entry.member.correlationId,
      flow: PROFILE_SYNC_FLOW,
      direction: 'responsys_to_salesforce',
      outcome,
      objectType,
      salesforceId: entry.id,
      riid: entry.member.riid,
      email: entry.member.row.values.EMAIL_ADDRESS_ || null,
      reason,
      errorCode,
      occurredAt: entry.member.modifiedAt ?? null,
      finishedAt: this.options.clock.now(),
      details: details ?? null,
    };
  }
}

/** Maps that bring a profile-list column back into Salesforce, per object. */
function twoWayMaps(snapshot: MappingSnapshot): Map<PersonObject, ResolvedFieldMap[]> {
  const result = new Map<PersonObject, ResolvedFieldMap[]>();
  for (const objectType of ['Lead', 'Contact'] as const) {
    result.set(
      objectType,
      snapshot.mapsFor(objectType, 'inbound').filter((map) => map.target === PROFILE_LIST_TARGET),
    );
  }
  return result;
}

function sameValue(a: unknown, b: unknown): boolean {
  const empty = (value: unknown) => value === null || value === undefined || value === '';
  if (empty(a) && empty(b)) return true;
  return String(a) === String(b);
}

import { serverMaintainedColumns, type FieldDefinition, type MatchColumn } from '../account/definitions.js';
import { checkCell, isEmailAddress } from '../account/fieldValues.js';
import { errors } from '../http/wire.js';
import { MAX_RECORDS_PER_REQUEST, type ResponsysQuirks } from '../options.js';
import type { AccountState } from '../store/accountState.js';
import type { MemberRecord, ProfileList } from '../store/profileList.js';
import { parseMergeRule, type MergeRule } from './mergeRule.js';

// Merge List Recipients: upsert up to 200 records by the merge rule. Request-level problems are a 400
// envelope; a bad record becomes a `MERGEFAILED: Record <i> = <CODE>: <message>` row while the other
// records of the call are merged.

export interface RecordData {
  fieldNames: string[];
  records: unknown[][];
}

/** Thrown for one record; becomes its MERGEFAILED row. */
export class RecordFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Validates `recordData` (shared by lists, PETs and supplemental tables). */
export function parseRecordData(input: unknown): RecordData {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw errors.invalidParameter('RecordData is null');
  const data = input as Record<string, unknown>;
  const fieldNames = data.fieldNames;
  if (!Array.isArray(fieldNames) || fieldNames.length === 0) {
    throw errors.invalidParameter('FieldList is null OR empty');
  }
  if (!fieldNames.every((f) => typeof f === 'string' && f.length > 0)) {
    throw errors.invalidParameter('Field names must be non-empty strings');
  }
  const records = data.records;
  if (!Array.isArray(records) || records.length === 0)
    throw errors.invalidParameter('Records are null OR empty');
  if (records.length > MAX_RECORDS_PER_REQUEST) throw errors.recipientLimitExceeded(MAX_RECORDS_PER_REQUEST);
  return { fieldNames: fieldNames as string[], records: records as unknown[][] };
}

/** Resolves field names against the list, case-insensitively; unknown or repeated names fail the call. */
export function resolveListFields(
  list: { column(name: string): FieldDefinition | undefined },
  names: string[],
) {
  const fields: FieldDefinition[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const field = list.column(name);
    if (!field) unknown.push(name);
    else if (seen.has(field.fieldName)) throw errors.invalidParameter(`Duplicate field name ${name}`);
    else {
      seen.add(field.fieldName);
      fields.push(field);
    }
  }
  if (unknown.length > 0) throw errors.invalidFieldName(`Invalid field name(s): ${unknown.join(', ')}`);
  return fields;
}

/** Cells by canonical column; `translate` maps incoming codes (opt-in value, format value) first. */
export function recordValues(
  fields: FieldDefinition[],
  row: unknown,
  translate?: (column: string, value: string | null) => string | null,
): Map<string, string | null> {
  if (!Array.isArray(row)) throw new RecordFailure('INVALID_PARAMETER', 'Record is not an array of values');
  if (row.length !== fields.length) {
    throw new RecordFailure(
      'INVALID_PARAMETER',
      `Record has ${row.length} values but ${fields.length} field names were given`,
    );
  }
  const values = new Map<string, string | null>();
  fields.forEach((field, j) => {
    const raw: unknown = row[j];
    const cell =
      translate && (typeof raw === 'string' || raw === null) ? translate(field.fieldName, raw || null) : raw;
    const check = checkCell(field, cell);
    if (!check.ok) throw new RecordFailure('INVALID_PARAMETER', check.message);
    values.set(field.fieldName, check.value);
  });
  return values;
}

export interface MergeContext {
  account: AccountState;
  now: number;
  sourceIp: string | null;
  quirks: ResponsysQuirks;
}

export interface MergeResult {
  rule: MergeRule;
  rows: string[][];
}

function translatePermission(value: string | null, rule: MergeRule): string | null {
  if (value === null) return null;
  if (rule.optinValue !== null && value === rule.optinValue) return 'I';
  if (rule.optoutValue !== null && value === rule.optoutValue) return 'O';
  if (rule.optinValue === null && rule.optoutValue === null && (value === 'I' || value === 'O')) return value;
  throw new RecordFailure(
    'INVALID_PARAMETER',
    `The value "${value}" for EMAIL_PERMISSION_STATUS_ matches neither optinValue nor optoutValue`,
  );
}

function translateFormat(value: string | null, rule: MergeRule): string | null {
  if (value === null) return null;
  if (rule.htmlValue !== null && value === rule.htmlValue) return 'H';
  if (rule.textValue !== null && value === rule.textValue) return 'T';
  if (['H', 'T', 'M', 'N'].includes(value)) return value;
  throw new RecordFailure(
    'INVALID_PARAMETER',
    `The value "${value}" for EMAIL_FORMAT_ matches neither htmlValue nor textValue`,
  );
}

function findMatch(
  list: ProfileList,
  rule: MergeRule,
  keys: Map<MatchColumn, string | null>,
): MemberRecord | undefined {
  const lookup = (column: MatchColumn) => {
    const value = keys.get(column);
    return value ? list.find(column, value) : [];
  };
  const [first, second] = rule.matchColumns;
  if (rule.matchOperator === 'AND' && second) {
    const secondRiids = new Set(lookup(second).map((m) => m.RIID_));
    return lookup(first!).find((m) => secondRiids.has(m.RIID_));
  }
  // NONE: the first match column decides; the second is tried only when the first finds nobody.
  // With duplicates, the oldest recipient (lowest RIID) is the one updated.
  const byFirst = lookup(first!);
  const candidates = byFirst.length > 0 || !second ? byFirst : lookup(second);
  return candidates.reduce<MemberRecord | undefined>(
    (oldest, m) => (!oldest || Number(m.RIID_) < Number(oldest.RIID_) ? m : oldest),
    undefined,
  );
}

export function mergeProfileMembers(list: ProfileList, body: unknown, ctx: MergeContext): MergeResult {
  if (!body || typeof body !== 'object') throw errors.invalidParameter('Request body is empty');
  const request = body as Record<string, unknown>;
  const recordData = parseRecordData(request.recordData);
  const rule = parseMergeRule(request.mergeRule);
  const fields = resolveListFields(list, recordData.fieldNames);
  const fieldNames = new Set(fields.map((f) => f.fieldName));
  for (const column of rule.matchColumns) {
    if (!fieldNames.has(column))
      throw errors.invalidParameter(`Match column ${column} is not in the field names`);
  }

  const rows = recordData.records.map((row, i) => {
    try {
      return [mergeRecord(list, rule, fields, row, ctx)];
    } catch (error) {
      if (!(error instanceof RecordFailure)) throw error;
      return [
        `MERGEFAILED: Record ${i} = ${error.code}: ${error.message}${ctx.quirks.listFailureLineEnding}`,
      ];
    }
  });
  return { rule, rows };
}

function mergeRecord(
  list: ProfileList,
  rule: MergeRule,
  fields: FieldDefinition[],
  row: unknown,
  ctx: MergeContext,
): string {
  const values = recordValues(fields, row, (column, value) => {
    if (column === 'EMAIL_PERMISSION_STATUS_') return translatePermission(value, rule);
    if (column === 'EMAIL_FORMAT_') return translateFormat(value, rule);
    return value;
  });
  const keys = new Map<MatchColumn, string | null>();
  for (const column of rule.matchColumns) keys.set(column, values.get(column) ?? null);
  const email = values.get('EMAIL_ADDRESS_');
  if (email && !isEmailAddress(email)) throw new RecordFailure('INVALID_PARAMETER', 'Bad Email Format');
  const riidValue = values.get('RIID_');
  if (riidValue !== undefined && riidValue !== null && !/^\d+$/.test(riidValue)) {
    throw new RecordFailure('INVALID_PARAMETER', `The value ${riidValue} is not a valid RIID_`);
  }

  const firstKey = keys.get(rule.matchColumns[0]!);
  if (!firstKey && rule.matchColumns[0] !== 'EMAIL_ADDRESS_' && rule.matchColumns[0] !== 'MOBILE_NUMBER_') {
    throw new RecordFailure('INVALID_PARAMETER', `Match column ${rule.matchColumns[0]} is null`);
  }

  const existing = findMatch(list, rule, keys);
  for (const channel of rule.requiredChannels) {
    const value = values.has(channel) ? values.get(channel) : existing?.[channel];
    if (!value) throw new RecordFailure('INVALID_PARAMETER', `Channel column ${channel} is null`);
  }

  // Columns the server maintains (and RIID_, which is only a match key) are never written.
  const writable = new Map<string, string | null>();
  for (const [column, value] of values) {
    if (column !== 'RIID_' && !serverMaintainedColumns.has(column)) writable.set(column, value);
  }

  if (existing) {
    if (rule.updateOnMatch === 'NO_UPDATE') return existing.RIID_!;
    if (!writable.has('EMAIL_PERMISSION_STATUS_') && ctx.quirks.defaultPermissionStatusOnUpdate) {
      writable.set('EMAIL_PERMISSION_STATUS_', rule.defaultPermissionStatus === 'OPTIN' ? 'I' : 'O');
    }
    list.update(existing, writable, ctx.now);
    return existing.RIID_!;
  }

  if (!rule.insertOnNoMatch) {
    throw new RecordFailure('RECORD_NOT_FOUND', 'No matching record found and insertOnNoMatch is false');
  }
  if (rule.matchColumns[0] === 'RIID_' && riidValue) {
    throw new RecordFailure(
      'RECORD_NOT_FOUND',
      `No recipient with RIID_ ${riidValue}; RIIDs are assigned by Responsys`,
    );
  }
  if (!writable.has('EMAIL_PERMISSION_STATUS_') || writable.get('EMAIL_PERMISSION_STATUS_') === null) {
    writable.set('EMAIL_PERMISSION_STATUS_', rule.defaultPermissionStatus === 'OPTIN' ? 'I' : 'O');
  }
  const member = list.insert(ctx.account.allocateRiid(), writable, ctx.now, ctx.sourceIp);
  return member.RIID_!;
}

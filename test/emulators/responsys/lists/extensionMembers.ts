import {
  hashMatchColumns,
  matchColumns,
  type FieldDefinition,
  type MatchColumn,
} from '../account/definitions.js';
import { errors } from '../http/wire.js';
import type { ProfileExtension, ProfileList } from '../store/profileList.js';
import { parseRecordData, RecordFailure, recordValues, type MergeContext } from './mergeMembers.js';

// Merge Profile Extension Recipients. Match columns here carry NO trailing underscore (`RIID`,
// `EMAIL_ADDRESS`, ...); `RIID_` is answered "Match Column is null" as Oracle documents. Both the
// current `matchColumnName1`/`matchColumnName2` and the swagger's single `matchColumn` are accepted.

const petMatchColumns = new Map<string, MatchColumn>(matchColumns.map((c) => [c.slice(0, -1), c]));

function petMatchColumn(value: unknown): MatchColumn | null {
  if (typeof value !== 'string') return null;
  return petMatchColumns.get(value.toUpperCase()) ?? null;
}

export interface ExtensionMergeResult {
  rows: string[][];
  echo: {
    insertOnNoMatch: unknown;
    updateOnMatch: unknown;
    matchColumnName1: unknown;
    matchColumnName2: unknown;
  };
}

export function mergeExtensionMembers(
  list: ProfileList,
  extension: ProfileExtension,
  body: unknown,
  ctx: MergeContext,
): ExtensionMergeResult {
  if (!body || typeof body !== 'object') throw errors.invalidParameter('Request body is empty');
  const request = body as Record<string, unknown>;
  const recordData = parseRecordData(request.recordData);
  const requestedMatch = request.matchColumnName1 ?? request.matchColumn;
  const first = petMatchColumn(requestedMatch);
  if (!first) throw errors.invalidParameter('Match Column is null');
  const second = request.matchColumnName2 == null ? null : petMatchColumn(request.matchColumnName2);
  if (request.matchColumnName2 != null && !second) throw errors.invalidParameter('Match Column 2 is invalid');
  const insert = request.insertOnNoMatch ?? true;
  if (typeof insert !== 'boolean') throw errors.invalidParameter('insertOnNoMatch must be true or false');
  const update = request.updateOnMatch ?? 'REPLACE_ALL';
  if (update !== 'REPLACE_ALL' && update !== 'NO_UPDATE') {
    throw errors.invalidParameter('updateOnMatch must be REPLACE_ALL or NO_UPDATE');
  }

  // A PET field list names PET columns plus the list column(s) used to find the recipient.
  const fields: FieldDefinition[] = [];
  const unknown: string[] = [];
  for (const name of recordData.fieldNames) {
    const field =
      extension.column(name) ??
      (matchColumns as readonly string[])
        .map((c) => list.column(c))
        .find((f) => f?.fieldName === name.toUpperCase());
    if (field) fields.push(field);
    else unknown.push(name);
  }
  if (unknown.length > 0) throw errors.invalidFieldName(`Invalid field name(s): ${unknown.join(', ')}`);
  const fieldNames = new Set(fields.map((f) => f.fieldName));
  const keyColumns = [first, ...(second ? [second] : [])];
  // Hash matches update existing rows only.
  const mayInsert = insert && !keyColumns.some((c) => hashMatchColumns.has(c));

  const rows = recordData.records.map((row, i) => {
    try {
      const values = recordValues(fields, row);
      if (!fieldNames.has(first)) {
        throw new RecordFailure('INVALID_PARAMETER', `Field names must include the list merge key ${first}`);
      }
      let members = list.find(first, values.get(first) ?? '');
      if (members.length === 0 && second && values.get(second))
        members = list.find(second, values.get(second)!);
      const member = members[0];
      if (!member)
        throw new RecordFailure('RECORD_NOT_FOUND', `No recipient in ${list.name} matches ${first}`);
      const riid = Number(member.RIID_);
      const existing = extension.rows.get(riid);
      if (existing && update === 'NO_UPDATE') return [String(riid)];
      if (!existing && !mayInsert) {
        throw new RecordFailure('RECORD_NOT_FOUND', `No ${extension.name} record for RIID ${riid}`);
      }
      const target = existing ?? extension.emptyRow(riid);
      for (const [column, value] of values) {
        if (extension.column(column) && column !== 'RIID_') target[column] = value;
      }
      extension.rows.set(riid, target);
      return [String(riid)];
    } catch (error) {
      if (!(error instanceof RecordFailure)) throw error;
      return [
        `MERGEFAILED: Record ${i} = ${error.code}: ${error.message}${ctx.quirks.listFailureLineEnding}`,
      ];
    }
  });
  return {
    rows,
    echo: {
      insertOnNoMatch: request.insertOnNoMatch ?? null,
      updateOnMatch: request.updateOnMatch ?? null,
      matchColumnName1: requestedMatch ?? null,
      matchColumnName2: request.matchColumnName2 ?? null,
    },
  };
}

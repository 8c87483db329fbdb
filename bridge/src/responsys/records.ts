import type { ApiFunctionName } from './api-functions.js';
import { ResponsysError } from './errors.js';

// Reading the `recordData` of Responsys answers, and the per-record failures Responsys reports inside
// an HTTP 200: `MERGEFAILED: Record <i> = <CODE>: <message>` (list and PET merges; supplemental
// tables omit the code) and `DELETEFAILED: NO records found for id`.

export interface RecordData {
  fieldNames: string[];
  records: Array<Array<string | null>>;
}

export interface RowFailure {
  /** the `Record <i>` index Responsys names (0-based position in the request) */
  index?: number;
  code: string;
  message: string;
}

export function readRecordData(body: unknown, fn: ApiFunctionName): RecordData {
  const recordData = (body as { recordData?: unknown } | null)?.recordData as
    { fieldNames?: unknown; records?: unknown } | undefined;
  const fieldNames = recordData?.fieldNames;
  const records = recordData?.records;
  if (
    !Array.isArray(fieldNames) ||
    !fieldNames.every((name) => typeof name === 'string') ||
    !Array.isArray(records) ||
    !records.every((row) => Array.isArray(row))
  ) {
    throw new ResponsysError(`Responsys answered ${fn} without recordData.fieldNames and records`, {
      errorCode: 'UNEXPECTED_RESPONSE',
      apiFunction: fn,
      httpStatus: 200,
      retryable: true,
    });
  }
  return {
    fieldNames: fieldNames as string[],
    records: (records as unknown[][]).map((row) =>
      row.map((cell) => (cell === null || cell === undefined ? null : String(cell))),
    ),
  };
}

const mergeFailure = /^MERGEFAILED:\s*(?:Record\s+(\d+)\s*=\s*)?(?:([A-Z][A-Z0-9_]*[A-Z0-9]):\s+)?([\s\S]*)$/;

/** The failure in a merge answer row, or undefined when the row is a success. */
export function parseMergeFailure(cell: string | null | undefined): RowFailure | undefined {
  if (typeof cell !== 'string' || !cell.startsWith('MERGEFAILED')) return undefined;
  const match = mergeFailure.exec(cell.trim());
  const message = (match?.[3] ?? cell).trim();
  return {
    ...(match?.[1] === undefined ? {} : { index: Number(match[1]) }),
    code: match?.[2] ?? 'MERGE_FAILED',
    message: message || 'Responsys refused the record without a reason',
  };
}

/** DELETEFAILED rows; `notFound` when Responsys says there was nothing to delete. */
export function parseDeleteFailure(
  cell: string | null | undefined,
): (RowFailure & { notFound: boolean }) | undefined {
  if (typeof cell !== 'string' || !cell.startsWith('DELETEFAILED')) return undefined;
  const message = cell.replace(/^DELETEFAILED:\s*/, '').trim();
  return { code: 'DELETE_FAILED', message, notFound: /no records? (were )?found/i.test(message) };
}

/** Column names as Responsys returns them in answers, for case-insensitive lookups. */
export function rowObject(fieldNames: string[], row: Array<string | null>): Record<string, string | null> {
  const object: Record<string, string | null> = {};
  fieldNames.forEach((name, index) => {
    object[name.toUpperCase()] = row[index] ?? null;
  });
  return object;
}

import { BridgeError } from '../shared/errors.js';

// Bulk API 2.0 result pages are CSV (RFC 4180): a header row, comma-separated values, double quotes
// around values that need them with `""` inside, LF or CRLF line endings, an optional byte-order mark.
// This reader does only that, in one pass over the text: a general CSV library spends most of a large
// backfill's reading time on options Bulk results never use.

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export interface BulkCsv {
  columns: string[];
  rows: string[][];
}

/** Splits a Bulk API result page into its header and rows (empty lines are skipped). */
export function parseBulkCsv(text: string): BulkCsv {
  const records: string[][] = [];
  let record: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const end = text.length;
  let lineStart = true;
  while (i < end) {
    const code = text.charCodeAt(i);
    if (lineStart && (code === LF || code === CR)) {
      i += 1;
      continue;
    }
    lineStart = false;
    let value: string;
    if (code === QUOTE) {
      // A quoted value: runs to the quote that is not doubled.
      let start = i + 1;
      let parts: string | undefined;
      for (;;) {
        const close = text.indexOf('"', start);
        if (close < 0) throw malformed(records.length + 1, 'a quoted value is not closed');
        if (text.charCodeAt(close + 1) === QUOTE) {
          parts = (parts ?? '') + text.slice(start, close + 1);
          start = close + 2;
          continue;
        }
        value = (parts ?? '') + text.slice(start, close);
        i = close + 1;
        break;
      }
    } else {
      let stop = i;
      while (stop < end) {
        const c = text.charCodeAt(stop);
        if (c === COMMA || c === LF || c === CR) break;
        stop += 1;
      }
      value = text.slice(i, stop);
      i = stop;
    }
    record.push(value);
    const next = i < end ? text.charCodeAt(i) : LF;
    if (next === COMMA) {
      i += 1;
      if (i >= end) record.push('');
      continue;
    }
    if (next === CR || next === LF) {
      i += next === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      records.push(record);
      record = [];
      lineStart = true;
      continue;
    }
    throw malformed(records.length + 1, 'unexpected text after a quoted value');
  }
  if (record.length > 0) records.push(record);
  const [columns, ...rows] = records;
  if (!columns) return { columns: [], rows: [] };
  for (let n = 0; n < rows.length; n += 1) {
    if (rows[n]!.length !== columns.length) {
      throw malformed(n + 2, `${rows[n]!.length} values for ${columns.length} columns`);
    }
  }
  return { columns, rows };
}

function malformed(line: number, problem: string): BridgeError {
  return new BridgeError(
    'UPSTREAM_FAILED',
    `Salesforce sent a Bulk API result that is not valid CSV (record ${line}: ${problem})`,
  );
}

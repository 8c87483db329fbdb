import { parse } from 'csv-parse/sync';
import { ApiError } from '../errors.js';
import type { ComputedValue } from '../schema/types.js';

// CSV as Bulk API 2.0 speaks it: a job chooses its column delimiter and line ending; result files
// quote every non-empty cell, and an empty cell is a null.

export type ColumnDelimiter = 'COMMA' | 'TAB' | 'PIPE' | 'SEMICOLON' | 'CARET' | 'BACKQUOTE';
export type LineEnding = 'LF' | 'CRLF';

export const DELIMITERS: Record<ColumnDelimiter, string> = {
  COMMA: ',',
  TAB: '\t',
  PIPE: '|',
  SEMICOLON: ';',
  CARET: '^',
  BACKQUOTE: '`',
};

export function parseCsv(text: string, delimiter: ColumnDelimiter): string[][] {
  try {
    return parse(text, {
      delimiter: DELIMITERS[delimiter],
      bom: true,
      skip_empty_lines: true,
      relax_quotes: false,
    }) as string[][];
  } catch (error) {
    throw ApiError.of(400, 'InvalidBatch', `InvalidBatch : Failed to parse CSV: ${(error as Error).message}`);
  }
}

function cell(text: string): string {
  if (text === '') return '';
  // Most cells hold no quote: skip the regex for them (result files run to millions of cells).
  return text.includes('"') ? `"${text.replace(/"/g, '""')}"` : `"${text}"`;
}

/** One cell of a query result file: a null or compound value is an empty cell. */
export function csvCell(value: ComputedValue): string {
  if (value === null || typeof value === 'object') return '';
  return cell(typeof value === 'string' ? value : String(value));
}

export function csvLine(cells: readonly string[], delimiter: ColumnDelimiter): string {
  return cells.map(cell).join(DELIMITERS[delimiter]);
}

export function csvText(
  header: readonly string[],
  rows: Iterable<readonly string[]>,
  delimiter: ColumnDelimiter,
  lineEnding: LineEnding,
): string {
  const eol = lineEnding === 'CRLF' ? '\r\n' : '\n';
  const parts: string[] = [csvLine(header, delimiter)];
  for (const row of rows) parts.push(csvLine(row, delimiter));
  return parts.join(eol) + eol;
}

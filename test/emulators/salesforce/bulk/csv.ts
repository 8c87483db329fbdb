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

/**
 * A query result page written as UTF-8 bytes straight into a buffer: cells quoted and quotes
 * doubled in the same pass, so a 100,000-row result builds no string per cell or per row.
 */
export class CsvPageWriter {
  private bytes: Buffer;
  private length = 0;
  private readonly delimiter: number;
  private readonly eol: Buffer;

  /**
   * `cells` sizes the buffer up front (generously: pages never touched cost nothing), so that a
   * page is not copied again and again as it grows.
   */
  constructor(delimiter: ColumnDelimiter, lineEnding: LineEnding, cells = 0) {
    this.bytes = Buffer.allocUnsafe(Math.min(64 * 1024 + cells * 32, 64 * 1024 * 1024));
    this.delimiter = DELIMITERS[delimiter].charCodeAt(0);
    this.eol = Buffer.from(lineEnding === 'CRLF' ? '\r\n' : '\n');
  }

  /** One line: a null or compound value is an empty cell, anything else is quoted. */
  line(values: readonly ComputedValue[]): void {
    for (let c = 0; c < values.length; c++) {
      if (c > 0) this.byte(this.delimiter);
      const value = values[c]!;
      if (value === null || typeof value === 'object') continue;
      const text = typeof value === 'string' ? value : String(value);
      if (text !== '') this.quoted(text);
    }
    for (const b of this.eol) this.byte(b);
  }

  /** The page so far (the writer's own memory: take it once, at the end). */
  toBuffer(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  private byte(b: number): void {
    if (this.length === this.bytes.length) this.grow(1);
    this.bytes[this.length++] = b;
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + needed));
    this.bytes.copy(next, 0, 0, this.length);
    this.bytes = next;
  }

  /** `"text"` with `"` doubled, encoded as Buffer.from(text) would (lone surrogates as U+FFFD). */
  private quoted(text: string): void {
    // At most 3 bytes per UTF-16 unit (a doubled quote is 2, a surrogate pair 4 for 2 units).
    const needed = text.length * 3 + 2;
    if (this.length + needed > this.bytes.length) this.grow(needed);
    const out = this.bytes;
    let at = this.length;
    out[at++] = 0x22;
    for (let i = 0; i < text.length; i++) {
      let code = text.charCodeAt(i);
      if (code < 0x80) {
        if (code === 0x22) out[at++] = 0x22;
        out[at++] = code;
      } else if (code < 0x800) {
        out[at++] = 0xc0 | (code >> 6);
        out[at++] = 0x80 | (code & 0x3f);
      } else {
        if (code >= 0xd800 && code <= 0xdfff) {
          const low = code <= 0xdbff ? text.charCodeAt(i + 1) : NaN;
          if (low >= 0xdc00 && low <= 0xdfff) {
            const point = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            out[at++] = 0xf0 | (point >> 18);
            out[at++] = 0x80 | ((point >> 12) & 0x3f);
            out[at++] = 0x80 | ((point >> 6) & 0x3f);
            out[at++] = 0x80 | (point & 0x3f);
            i += 1;
            continue;
          }
          code = 0xfffd;
        }
        out[at++] = 0xe0 | (code >> 12);
        out[at++] = 0x80 | ((code >> 6) & 0x3f);
        out[at++] = 0x80 | (code & 0x3f);
      }
    }
    out[at++] = 0x22;
    this.length = at;
  }
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

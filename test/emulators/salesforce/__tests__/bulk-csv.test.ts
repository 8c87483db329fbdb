import { describe, expect, it } from 'vitest';
import { CsvPageWriter, csvText, type ColumnDelimiter, type LineEnding } from '../bulk/csv.js';
import type { ComputedValue } from '../schema/types.js';

// Query result pages are written as bytes by CsvPageWriter; the reference is the row-by-row text
// (csvText over each value's string, a null or compound value as an empty cell) encoded as UTF-8.

const header = ['Id', 'Name', 'Notes', 'Flag', 'Amount', 'Born', 'Seen', 'Address'];
const rows: ComputedValue[][] = [
  ['003A', 'Plain', 'no quotes here', true, 42, '1990-02-03', '2026-01-02T03:04:05.000Z', null],
  ['003B', 'Say "hi", then\nleave', 'a,b;c|d\te^f`g\r\nh', false, -0.5, null, null, { city: 'Lyon' }],
  ['003C', '', '"', 0, 1e21, '', 'only "quotes" "" here', null],
  [
    '003D',
    'Zoë € ✓',
    '😀 emoji and 𝄞 clef',
    null,
    3.14159,
    'ÿ\u0080\u07ff\u0800\uffff',
    'lone \ud800 high',
    'lone \udc00 low',
  ],
  ['003E', `${'x'.repeat(70_000)}"`, 'end \ud83d', null, null, null, null, null],
];

function referenceBytes(
  delimiter: ColumnDelimiter,
  lineEnding: LineEnding,
  lines: ComputedValue[][],
): Buffer {
  const cells = lines.map((row) =>
    row.map((value) => (value === null || typeof value === 'object' ? '' : String(value))),
  );
  return Buffer.from(csvText(header, cells, delimiter, lineEnding));
}

function written(delimiter: ColumnDelimiter, lineEnding: LineEnding, lines: ComputedValue[][]): Buffer {
  const page = new CsvPageWriter(delimiter, lineEnding);
  page.line(header);
  for (const row of lines) page.line(row);
  return page.toBuffer();
}

describe('Bulk query result pages as bytes', () => {
  const layouts: Array<[ColumnDelimiter, LineEnding]> = [
    ['COMMA', 'LF'],
    ['COMMA', 'CRLF'],
    ['TAB', 'LF'],
    ['PIPE', 'CRLF'],
    ['SEMICOLON', 'LF'],
    ['CARET', 'LF'],
    ['BACKQUOTE', 'CRLF'],
  ];

  it.each(layouts)(
    'with %s and %s, equal the row-by-row CSV for quotes, nulls, delimiters, line breaks, booleans, numbers, dates and non-ASCII text',
    (delimiter, lineEnding) => {
      expect(written(delimiter, lineEnding, rows).equals(referenceBytes(delimiter, lineEnding, rows))).toBe(
        true,
      );
    },
  );

  it('grow past their first buffer over thousands of rows, on empty cells as on quoted ones, without losing a byte', () => {
    const empty: ComputedValue[] = header.map(() => null);
    const many = [
      ...Array.from({ length: 10_000 }, () => empty),
      ...Array.from({ length: 5_000 }, (_, i) => [
        `003${i}`,
        `Name ${i} "q"`,
        i % 3 ? `é${i}` : null,
        i % 2 === 0,
        i,
        null,
        null,
        null,
      ]),
    ];
    expect(written('COMMA', 'LF', many).equals(referenceBytes('COMMA', 'LF', many))).toBe(true);
  });
});

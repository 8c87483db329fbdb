import { describe, expect, it } from 'vitest';
import { parseBulkCsv } from '../../../bridge/src/salesforce/bulk-csv.js';

// The Bulk API 2.0 result reader: RFC 4180 as Salesforce writes it, nothing more.

describe('reading Bulk API result pages', () => {
  it('splits the header and rows, with quoted values, doubled quotes, commas and line breaks inside', () => {
    const text =
      '\ufeff"Id","Name","Description"\r\n"001","Acme, Inc.","He said ""hi""\nthen left"\r\n002,Plain,\r\n\r\n';
    expect(parseBulkCsv(text)).toEqual({
      columns: ['Id', 'Name', 'Description'],
      rows: [
        ['001', 'Acme, Inc.', 'He said "hi"\nthen left'],
        ['002', 'Plain', ''],
      ],
    });
  });

  it('reads LF line endings and a last line without one, and skips empty lines', () => {
    expect(parseBulkCsv('A,B\n\n1,2\n3,"4"').rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('answers no columns and no rows for an empty page', () => {
    expect(parseBulkCsv('')).toEqual({ columns: [], rows: [] });
  });

  it('refuses a row with the wrong number of values and an unclosed quote, naming the record', () => {
    expect(() => parseBulkCsv('A,B\n1,2,3\n')).toThrow(/record 2: 3 values for 2 columns/);
    expect(() => parseBulkCsv('A\n"open\n')).toThrow(/record 2: a quoted value is not closed/);
  });
});

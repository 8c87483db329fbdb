import type { FieldDefinition, SupplementalTableDefinition } from '../account/definitions.js';
import { newRow, rowTemplate } from './profileList.js';

export type TableRow = Record<string, string | null>;

/**
 * A supplemental table. Rows of a table with a primary key are stored under that key; a table without
 * one stores rows under a generated id and builds a match index per request (once per call, never per
 * record).
 */
export class SupplementalTable {
  readonly name: string;
  readonly folderName: string;
  readonly fields: FieldDefinition[];
  readonly primaryKey: string[];
  readonly rows = new Map<string, TableRow>();
  private readonly byName: Map<string, FieldDefinition>;
  private readonly rowTemplate: TableRow;
  private nextRowId = 1;

  constructor(definition: SupplementalTableDefinition) {
    this.name = definition.name;
    this.folderName = definition.folderName;
    this.fields = definition.fields;
    this.primaryKey = definition.primaryKey;
    this.byName = new Map(this.fields.map((f) => [f.fieldName, f]));
    this.rowTemplate = rowTemplate(this.fields);
  }

  /** Supplemental table column names are case-sensitive in API payloads. */
  column(name: string): FieldDefinition | undefined {
    return this.byName.get(name);
  }

  static key(values: Array<string | null>): string {
    return JSON.stringify(values);
  }

  keyOf(row: TableRow, columns: string[]): string {
    return SupplementalTable.key(columns.map((c) => row[c] ?? null));
  }

  /** For tables without a primary key: match-key → row ids, built once for a request. */
  indexBy(columns: string[]): Map<string, string> {
    const index = new Map<string, string>();
    for (const [id, row] of this.rows) index.set(this.keyOf(row, columns), id);
    return index;
  }

  newRowId(): string {
    return `row-${this.nextRowId++}`;
  }

  emptyRow(): TableRow {
    return newRow(this.rowTemplate);
  }
}

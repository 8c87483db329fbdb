import type { SchemaCatalog } from '../schema/catalog.js';
import type { FieldDef, FieldValue, ObjectDef, RecordLookup, StoredRecord } from '../schema/types.js';

// In-memory tables. Records are immutable snapshots: every write stores a new object, so a reader
// (a query cursor, a bulk result, an after-commit listener) can keep the old one safely. Live rows are
// indexed by external id / unique / idLookup fields and by every reference field, so upserts,
// duplicate checks, child lookups and cascade deletes stay O(1) per record at 100,000 rows.

export interface RecordChange {
  object: string;
  id: string;
  kind: 'insert' | 'update' | 'delete' | 'undelete';
  before: Readonly<StoredRecord> | undefined;
  after: Readonly<StoredRecord> | undefined;
  /** Fields whose stored value differs between before and after (system fields included). */
  changedFields: string[];
  /**
   * Done by Salesforce as a side effect of another record's delete or undelete (a cascade, a lookup
   * cleared): not user-initiated, so triggers do not fire for it.
   */
  cascade?: boolean;
}

/** Index key -> the id (one match, the common case for external ids) or the ids (several). */
type ValueIndex = Map<string, string | Set<string>>;

function indexedIds(entry: string | Set<string> | undefined): Iterable<string> {
  if (entry === undefined) return [];
  return typeof entry === 'string' ? [entry] : entry;
}

export function indexKey(field: FieldDef, value: FieldValue): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const text = String(value);
  const caseSensitive = field.caseSensitive || field.type === 'id' || field.type === 'reference';
  return caseSensitive ? text : text.toLowerCase();
}

export class Table {
  /** Every row, deleted ones (IsDeleted = true, in the recycle bin) included. */
  readonly rows = new Map<string, StoredRecord>();
  readonly valueIndexes = new Map<string, ValueIndex>();
  readonly referenceIndexes = new Map<string, ValueIndex>();
  private readonly indexedFields: FieldDef[];
  private readonly referenceFields: FieldDef[];
  liveCount = 0;

  constructor(readonly object: ObjectDef) {
    this.indexedFields = object.fields.filter(
      (f) => (f.externalId || f.unique || f.idLookup) && f.type !== 'id' && !f.compute,
    );
    this.referenceFields = object.fields.filter((f) => f.type === 'reference' && !f.compute);
    for (const f of this.indexedFields) this.valueIndexes.set(f.name, new Map());
    for (const f of this.referenceFields) this.referenceIndexes.set(f.name, new Map());
  }

  isLive(record: StoredRecord): boolean {
    return record.IsDeleted !== true;
  }

  private indexRecord(record: StoredRecord, add: boolean): void {
    const id = record.Id as string;
    const apply = (index: ValueIndex, key: string | undefined) => {
      if (key === undefined) return;
      const entry = index.get(key);
      if (add) {
        if (entry === undefined) index.set(key, id);
        else if (typeof entry === 'string') {
          if (entry !== id) index.set(key, new Set([entry, id]));
        } else entry.add(id);
      } else if (entry !== undefined) {
        if (typeof entry === 'string') {
          if (entry === id) index.delete(key);
        } else {
          entry.delete(id);
          if (entry.size === 1) index.set(key, entry.values().next().value as string);
          else if (entry.size === 0) index.delete(key);
        }
      }
    };
    for (const f of this.indexedFields) apply(this.valueIndexes.get(f.name)!, indexKey(f, record[f.name] ?? null));
    for (const f of this.referenceFields) {
      const v = record[f.name];
      apply(this.referenceIndexes.get(f.name)!, typeof v === 'string' && v ? v : undefined);
    }
  }

  /** Stores a new version of a row (or removes it with `next` undefined), keeping indexes in step. */
  write(id: string, next: StoredRecord | undefined): void {
    const previous = this.rows.get(id);
    if (previous && this.isLive(previous)) {
      this.indexRecord(previous, false);
      this.liveCount -= 1;
    }
    if (next) {
      this.rows.set(id, next);
      if (this.isLive(next)) {
        this.indexRecord(next, true);
        this.liveCount += 1;
      }
    } else {
      this.rows.delete(id);
    }
  }

  /** Ids of live rows whose indexed field equals the value. */
  lookup(field: FieldDef, value: FieldValue): string[] {
    const key = indexKey(field, value);
    if (key === undefined) return [];
    const index = this.valueIndexes.get(field.name) ?? this.referenceIndexes.get(field.name);
    if (!index) {
      const out: string[] = [];
      for (const row of this.rows.values()) {
        if (this.isLive(row) && indexKey(field, row[field.name] ?? null) === key) out.push(row.Id as string);
      }
      return out;
    }
    return [...indexedIds(index.get(key))];
  }

  hasIndex(fieldName: string): boolean {
    return this.valueIndexes.has(fieldName) || this.referenceIndexes.has(fieldName);
  }
}

export class DataStore implements RecordLookup {
  private readonly tables = new Map<string, Table>();

  constructor(readonly catalog: SchemaCatalog) {
    this.clear();
  }

  clear(): void {
    this.tables.clear();
    for (const object of this.catalog.objects) {
      if (object.kind !== 'event') this.tables.set(object.name, new Table(object));
    }
  }

  table(objectName: string): Table {
    const table = this.tables.get(objectName);
    if (!table) throw new Error(`no table for ${objectName}`);
    return table;
  }

  tableForId(id: string): Table | undefined {
    const object = this.catalog.objectForId(id);
    return object ? this.tables.get(object.name) : undefined;
  }

  allTables(): Table[] {
    return [...this.tables.values()];
  }

  /** Any row by id, deleted ones included. */
  get(id: string): StoredRecord | undefined {
    return this.tableForId(id)?.rows.get(id);
  }

  getLive(id: string): StoredRecord | undefined {
    const row = this.get(id);
    return row && row.IsDeleted !== true ? row : undefined;
  }

  children(objectName: string, referenceField: string, parentId: string): StoredRecord[] {
    const table = this.tables.get(objectName);
    if (!table) return [];
    const index = table.referenceIndexes.get(referenceField);
    if (!index) return [];
    const out: StoredRecord[] = [];
    for (const id of indexedIds(index.get(parentId))) {
      const row = table.rows.get(id);
      if (row) out.push(row);
    }
    return out;
  }
}

interface UndoEntry {
  table: Table;
  id: string;
  previous: StoredRecord | undefined;
}

export interface Savepoint {
  undo: number;
  changes: number;
  effects: number;
}

/**
 * A unit of work with savepoints. Writes apply to the tables at once (later writes in the same
 * transaction see earlier ones, as in Apex) and are undone on rollback; the list of changes is
 * handed to after-commit listeners only when the transaction commits.
 */
export class Transaction {
  private readonly undoLog: UndoEntry[] = [];
  readonly changes: RecordChange[] = [];
  /** Work to do only if the transaction commits (publishing platform events, for example). */
  readonly effects: Array<() => void> = [];
  private open = true;

  constructor(readonly store: DataStore) {}

  write(objectName: string, id: string, next: StoredRecord | undefined, change?: RecordChange): void {
    if (!this.open) throw new Error('transaction is closed');
    const table = this.store.table(objectName);
    this.undoLog.push({ table, id, previous: table.rows.get(id) });
    table.write(id, next);
    if (change) this.changes.push(change);
  }

  savepoint(): Savepoint {
    return { undo: this.undoLog.length, changes: this.changes.length, effects: this.effects.length };
  }

  rollbackTo(savepoint: Savepoint): void {
    while (this.undoLog.length > savepoint.undo) {
      const entry = this.undoLog.pop()!;
      entry.table.write(entry.id, entry.previous);
    }
    this.changes.length = savepoint.changes;
    this.effects.length = savepoint.effects;
  }

  rollback(): void {
    this.rollbackTo({ undo: 0, changes: 0, effects: 0 });
    this.open = false;
  }

  commit(): RecordChange[] {
    this.open = false;
    for (const effect of this.effects) effect();
    return this.changes;
  }

  get isOpen(): boolean {
    return this.open;
  }
}

import { randomUUID } from 'node:crypto';
import { RecordFailure, type RecordError } from '../errors.js';
import type { EmulatorClock } from '../clock.js';
import type { SchemaCatalog } from '../schema/catalog.js';
import type { IdFactory } from '../schema/ids.js';
import { normalizeId } from '../schema/ids.js';
import type { FieldDef, FieldValue, ObjectDef, StoredRecord } from '../schema/types.js';
import type { PlatformEventBus } from './platform-events.js';
import { objectRules, type RuleContext } from './rules.js';
import { indexKey, type DataStore, type RecordChange, Transaction } from './store.js';
import { checkFieldValue, checkReference, notWritable, requiredFieldsMissing } from './validation.js';

// Every write in the org goes through here, whatever the API: REST, collections, composite, Bulk API,
// the control API and demo data. It validates like Salesforce, maintains system fields, applies the
// standard objects' own behaviour (rules.ts), and after a transaction commits hands the list of
// changes, with before/after values and the acting user, to after-commit listeners. The Streaming
// API half of the emulator models the package's Apex triggers on that hook.

export type ApiSurface = 'rest' | 'bulk' | 'control' | 'seed';

export interface WriteContext {
  user: { id: string; username: string };
  api: ApiSurface;
  /** The `client=` of the Sforce-Call-Options header, if any. */
  client: string | null;
  /** An injected record-level fault (a lock error, for example) for the next record written. */
  recordFault?: () => RecordError | undefined;
}

export interface ActingUser {
  id: string;
  username: string;
  permissionSets: string[];
  customPermissions: string[];
}

export interface CommittedTransaction {
  transactionKey: string;
  committedAt: string;
  user: ActingUser;
  api: ApiSurface;
  client: string | null;
  changes: RecordChange[];
}

export type AfterCommitListener = (transaction: CommittedTransaction) => void;

/** A record about to be saved (insert or update), after the standard objects' own rules. */
export interface BeforeSaveEvent {
  object: string;
  /** The values to be saved; a hook may change them, as a before trigger does. */
  record: StoredRecord;
  /** The stored record on update, undefined on insert. */
  existing: Readonly<StoredRecord> | undefined;
  unit: UnitOfWork;
}

/** Runs where before-insert and before-update triggers run (the model of the package's triggers). */
export type BeforeSaveHook = (event: BeforeSaveEvent) => void;

export interface PipelineDeps {
  catalog: SchemaCatalog;
  store: DataStore;
  clock: EmulatorClock;
  ids: IdFactory;
  events: PlatformEventBus;
  /** Permission sets and custom permissions a user holds right now. */
  permissionsOf: (userId: string) => { permissionSets: string[]; customPermissions: string[] };
}

export interface WriteOptions {
  /** Internal writes (rules, lead conversion, seeding) may set fields the API cannot. */
  trusted?: boolean;
}

export class MultipleMatches extends Error {
  constructor(
    readonly field: FieldDef,
    readonly ids: string[],
  ) {
    super(`${field.name}: more than one record found for external id field: [${ids.join(', ')}]`);
  }
}

const SYSTEM_FIELDS = new Set([
  'Id',
  'IsDeleted',
  'CreatedDate',
  'CreatedById',
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
]);

function formatAutoNumber(format: string, n: number, now: Date): string {
  return format
    .replace(/\{(0+)\}/, (_m, zeros: string) => String(n).padStart(zeros.length, '0'))
    .replace(/\{0\}/, String(n))
    .replace(/\{YYYY\}/g, String(now.getUTCFullYear()))
    .replace(/\{YY\}/g, String(now.getUTCFullYear()).slice(2))
    .replace(/\{MM\}/g, String(now.getUTCMonth() + 1).padStart(2, '0'))
    .replace(/\{DD\}/g, String(now.getUTCDate()).padStart(2, '0'));
}

/** The writes of one transaction. Methods throw RecordFailure for a record Salesforce would reject. */
export class UnitOfWork {
  /** One timestamp per transaction: every record saved together carries the same system dates. */
  readonly now: string;

  constructor(
    private readonly pipeline: WritePipeline,
    readonly tx: Transaction,
    readonly context: WriteContext,
  ) {
    this.now = pipeline.deps.clock.iso();
  }

  private get deps(): PipelineDeps {
    return this.pipeline.deps;
  }

  private ruleContext(trusted: boolean): RuleContext {
    return {
      unit: this,
      store: this.deps.store,
      catalog: this.deps.catalog,
      now: this.now,
      today: this.now.slice(0, 10),
      user: this.context.user,
      trusted,
    };
  }

  private objectOrFail(objectName: string): ObjectDef {
    const object = this.deps.catalog.object(objectName);
    if (!object) throw RecordFailure.of('INVALID_TYPE', `sObject type '${objectName}' is not supported.`);
    return object;
  }

  private injectedFault(): void {
    const fault = this.context.recordFault?.();
    if (fault) throw new RecordFailure([fault]);
  }

  /** Resolves names case-insensitively and runs the per-field checks. */
  private checkValues(
    object: ObjectDef,
    values: Record<string, FieldValue>,
    mode: 'create' | 'update',
    trusted: boolean,
  ): Map<FieldDef, FieldValue> {
    const resolved = new Map<FieldDef, FieldValue>();
    const locked: FieldDef[] = [];
    for (const [name, value] of Object.entries(values)) {
      const f = this.deps.catalog.field(object, name);
      if (!f) throw RecordFailure.of('INVALID_FIELD', `No such column '${name}' on sobject of type ${object.name}`);
      if (f.name === 'Id' && mode === 'update') continue;
      if (f.name === 'Id' && !trusted) {
        throw RecordFailure.of('INVALID_FIELD', 'cannot specify Id in an insert call', ['Id']);
      }
      if (!trusted && !(mode === 'create' ? f.createable : f.updateable)) {
        locked.push(f);
        continue;
      }
      resolved.set(f, value);
    }
    if (locked.length) throw notWritable(locked);
    for (const [f, value] of resolved) {
      const checked = f.type === 'reference' ? value : checkFieldValue(f, value);
      resolved.set(f, checked);
    }
    for (const [f, value] of resolved) {
      if (f.type === 'reference') resolved.set(f, checkReference(f, value, this.deps.catalog, this.deps.store));
    }
    return resolved;
  }

  private checkUnique(object: ObjectDef, record: StoredRecord, fields: Iterable<FieldDef>): void {
    const table = this.deps.store.table(object.name);
    for (const f of fields) {
      if (!f.unique) continue;
      const value = record[f.name] ?? null;
      if (indexKey(f, value) === undefined) continue;
      const other = table.lookup(f, value).find((id) => id !== record.Id);
      if (other) {
        throw RecordFailure.of(
          'DUPLICATE_VALUE',
          `duplicate value found: ${f.name} duplicates value on record with id: ${other}`,
        );
      }
    }
  }

  private checkRequired(object: ObjectDef, record: StoredRecord, onlyFields?: Set<FieldDef>): void {
    const missing = this.pipeline
      .plan(object)
      .required.filter(
        (f) => (!onlyFields || onlyFields.has(f)) && (record[f.name] === null || record[f.name] === undefined),
      );
    if (missing.length) throw requiredFieldsMissing(missing);
  }

  insert(objectName: string, values: Record<string, FieldValue>, options: WriteOptions = {}): StoredRecord {
    const trusted = options.trusted ?? false;
    const object = this.objectOrFail(objectName);
    if (object.kind === 'event') throw new Error('platform events are published, not inserted');
    if (!object.createable && !trusted) {
      throw RecordFailure.of('INVALID_TYPE_FOR_OPERATION', `entity type cannot be inserted: ${object.label}`);
    }
    if (!trusted) this.injectedFault();
    const provided = this.checkValues(object, values, 'create', trusted);
    const plan = this.pipeline.plan(object);
    const now = this.now;
    // Records are stored sparsely: a field that is absent is null.
    const record: StoredRecord = { ...plan.defaults };
    for (const [f, value] of provided) {
      if (value === null) delete record[f.name];
      else record[f.name] = value;
    }
    if (trusted && values.Id) record.Id = normalizeId(String(values.Id)) ?? null;
    const context = this.ruleContext(trusted);
    const rules = objectRules[object.name];
    rules?.beforeInsert?.(record, new Set([...provided.keys()].map((f) => f.name)), context);
    this.pipeline.runBeforeSave({ object: object.name, record, existing: undefined, unit: this });
    this.checkRequired(object, record);
    if (!record.Id) record.Id = this.deps.ids.next(object.keyPrefix);
    if (plan.textName && !record.Name) record.Name = record.Id;
    if (plan.has.IsDeleted) record.IsDeleted = false;
    for (const name of ['CreatedDate', 'LastModifiedDate', 'SystemModstamp'] as const) {
      if (plan.has[name] && (!trusted || !record[name])) record[name] = now;
    }
    for (const name of ['CreatedById', 'LastModifiedById'] as const) {
      if (plan.has[name] && (!trusted || !record[name])) record[name] = this.context.user.id;
    }
    if (plan.has.OwnerId && !record.OwnerId) record.OwnerId = this.context.user.id;
    for (const f of plan.autoNumber) {
      record[f.name] = formatAutoNumber(f.displayFormat ?? '{0}', this.pipeline.nextAutoNumber(object, f), new Date(now));
    }
    for (const key of Object.keys(record)) if (record[key] === null || record[key] === undefined) delete record[key];
    this.checkUnique(object, record, plan.unique);
    const id = record.Id as string;
    this.tx.write(object.name, id, record, {
      object: object.name,
      id,
      kind: 'insert',
      before: undefined,
      after: record,
      changedFields: Object.keys(record),
    });
    rules?.afterInsert?.(record, context);
    return this.deps.store.get(id) ?? record;
  }

  /** The live record behind an id for an update or delete, or the error Salesforce gives. */
  private existing(objectName: string | undefined, rawId: string): { object: ObjectDef; row: StoredRecord } {
    const id = normalizeId(rawId);
    const expected = objectName ? this.deps.catalog.object(objectName) : undefined;
    if (!id) {
      const label = expected ? `${expected.label} ID` : 'Record ID';
      throw RecordFailure.of('MALFORMED_ID', `${label}: id value of incorrect type: ${rawId}`, ['Id']);
    }
    const object = this.deps.catalog.objectForId(id);
    if (!object || (expected && object !== expected)) {
      const label = expected ? `${expected.label} ID` : 'Record ID';
      throw RecordFailure.of('MALFORMED_ID', `${label}: id value of incorrect type: ${id}`, ['Id']);
    }
    const row = object.kind === 'event' ? undefined : this.deps.store.get(id);
    if (!row) throw RecordFailure.of('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
    if (row.IsDeleted === true) throw RecordFailure.of('ENTITY_IS_DELETED', 'entity is deleted');
    return { object, row };
  }

  update(
    objectName: string | undefined,
    id: string,
    values: Record<string, FieldValue>,
    options: WriteOptions = {},
  ): StoredRecord {
    const trusted = options.trusted ?? false;
    const { object, row } = this.existing(objectName, id);
    if (!object.updateable && !trusted) {
      throw RecordFailure.of('INVALID_TYPE_FOR_OPERATION', `entity type cannot be updated: ${object.label}`);
    }
    const rules = objectRules[object.name];
    const context = this.ruleContext(trusted);
    rules?.guardUpdate?.(row, context);
    if (!trusted) this.injectedFault();
    const provided = this.checkValues(object, values, 'update', trusted);
    const next: StoredRecord = { ...row };
    for (const [f, value] of provided) next[f.name] = value;
    rules?.beforeUpdate?.(next, row, new Set([...provided.keys()].map((f) => f.name)), context);
    this.pipeline.runBeforeSave({ object: object.name, record: next, existing: row, unit: this });
    this.checkRequired(object, next, new Set(provided.keys()));
    const plan = this.pipeline.plan(object);
    const now = this.now;
    if (plan.has.LastModifiedDate) next.LastModifiedDate = now;
    if (plan.has.SystemModstamp) next.SystemModstamp = now;
    if (plan.has.LastModifiedById) next.LastModifiedById = this.context.user.id;
    if (plan.has.OwnerId && !next.OwnerId) next.OwnerId = row.OwnerId ?? null;
    for (const key of Object.keys(next)) if (next[key] === null || next[key] === undefined) delete next[key];
    this.checkUnique(object, next, provided.keys());
    const changedFields = [...new Set([...Object.keys(next), ...Object.keys(row)])].filter(
      (k) => (next[k] ?? null) !== (row[k] ?? null),
    );
    this.tx.write(object.name, next.Id as string, next, {
      object: object.name,
      id: next.Id as string,
      kind: 'update',
      before: row,
      after: next,
      changedFields,
    });
    rules?.afterUpdate?.(next, row, context);
    return this.deps.store.get(next.Id as string) ?? next;
  }

  /**
   * Insert or update by an external id (or idLookup) field: no match inserts, one match updates,
   * several matches throw MultipleMatches (HTTP 300 / DUPLICATE_EXTERNAL_ID).
   */
  upsert(
    objectName: string,
    externalIdField: string,
    externalIdValue: FieldValue,
    values: Record<string, FieldValue>,
    options: WriteOptions = {},
  ): { record: StoredRecord; created: boolean } {
    const object = this.objectOrFail(objectName);
    const f = this.deps.catalog.field(object, externalIdField);
    if (!f || !(f.externalId || f.idLookup)) {
      throw RecordFailure.of(
        'INVALID_FIELD',
        `Provided external ID field does not exist or is not accessible: ${externalIdField}`,
      );
    }
    const matches =
      f.name === 'Id'
        ? [normalizeId(String(externalIdValue))].filter((id): id is string => !!id && !!this.deps.store.getLive(id))
        : this.deps.store.table(object.name).lookup(f, externalIdValue);
    if (matches.length > 1) throw new MultipleMatches(f, matches);
    const body = { ...values };
    for (const key of Object.keys(body)) if (key.toLowerCase() === f.name.toLowerCase()) delete body[key];
    if (matches.length === 1) {
      return { record: this.update(object.name, matches[0]!, body, options), created: false };
    }
    const insertValues = f.name === 'Id' ? body : { ...body, [f.name]: externalIdValue };
    return { record: this.insert(object.name, insertValues, options), created: true };
  }

  delete(rawId: string, objectName?: string, options: WriteOptions & { cascadeRoot?: string } = {}): void {
    const { object, row } = this.existing(objectName, rawId);
    const trusted = options.trusted ?? false;
    if (!object.deletable && !trusted) {
      throw RecordFailure.of('INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id');
    }
    if (!trusted && !options.cascadeRoot) this.injectedFault();
    const id = row.Id as string;
    const root = options.cascadeRoot ?? id;
    objectRules[object.name]?.beforeDelete?.(row, this.ruleContext(trusted));
    for (const rel of object.childRelationships) {
      if (!rel.restrictedDelete) continue;
      if (this.deps.store.children(rel.childSObject, rel.field, id).some((c) => c.IsDeleted !== true)) {
        throw RecordFailure.of(
          'DELETE_FAILED',
          `Your attempt to delete ${object.label} could not be completed because it is associated with ${rel.childSObject} records.`,
        );
      }
    }
    const now = this.now;
    const hasIsDeleted = object.fields.some((f) => f.name === 'IsDeleted');
    const next = hasIsDeleted ? { ...row, IsDeleted: true, SystemModstamp: now } : undefined;
    this.tx.write(object.name, id, next, {
      object: object.name,
      id,
      kind: 'delete',
      before: row,
      after: next,
      changedFields: hasIsDeleted ? ['IsDeleted', 'SystemModstamp'] : [],
      ...(options.cascadeRoot ? { cascade: true } : {}),
    });
    if (next) this.tx.effects.push(() => this.pipeline.recordDeletion(id, root, now));
    for (const rel of object.childRelationships) {
      for (const child of this.deps.store.children(rel.childSObject, rel.field, id)) {
        if (child.IsDeleted === true) continue;
        if (rel.cascadeDelete) this.delete(child.Id as string, rel.childSObject, { trusted: true, cascadeRoot: root });
        else this.setNull(rel.childSObject, child, rel.field);
      }
    }
  }

  private setNull(objectName: string, row: StoredRecord, fieldName: string): void {
    const next: StoredRecord = { ...row, SystemModstamp: this.now };
    delete next[fieldName];
    this.tx.write(objectName, row.Id as string, next, {
      object: objectName,
      id: row.Id as string,
      kind: 'update',
      before: row,
      after: next,
      changedFields: [fieldName, 'SystemModstamp'],
      cascade: true,
    });
  }

  /** Restores a record from the recycle bin, with the children its deletion cascaded to. */
  undelete(rawId: string): StoredRecord {
    const id = normalizeId(rawId);
    const row = id ? this.deps.store.get(id) : undefined;
    const object = id ? this.deps.catalog.objectForId(id) : undefined;
    if (!id || !row || !object) throw RecordFailure.of('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
    if (row.IsDeleted !== true) throw RecordFailure.of('UNDELETE_FAILED', 'Entity is not in the recycle bin');
    const restore = (target: StoredRecord, objectName: string, cascade: boolean) => {
      const next = { ...target, IsDeleted: false, SystemModstamp: this.now };
      this.tx.write(objectName, target.Id as string, next, {
        object: objectName,
        id: target.Id as string,
        kind: 'undelete',
        before: target,
        after: next,
        changedFields: ['IsDeleted', 'SystemModstamp'],
        ...(cascade ? { cascade: true } : {}),
      });
      this.tx.effects.push(() => this.pipeline.forgetDeletion(target.Id as string));
    };
    this.checkUnique(object, { ...row, IsDeleted: false }, object.fields);
    restore(row, object.name, false);
    for (const childId of this.pipeline.cascadedFrom(id)) {
      const child = this.deps.store.get(childId);
      const childObject = this.deps.catalog.objectForId(childId);
      if (child && childObject && child.IsDeleted === true) restore(child, childObject.name, true);
    }
    return this.deps.store.get(id)!;
  }

  /** Removes a record for good (Bulk API hardDelete), children included. */
  hardDelete(rawId: string, objectName?: string, cascade = false): void {
    const { object, row } = this.existing(objectName, rawId);
    this.injectedFault();
    const id = row.Id as string;
    this.tx.write(object.name, id, undefined, {
      object: object.name,
      id,
      kind: 'delete',
      before: row,
      after: undefined,
      changedFields: [],
      ...(cascade ? { cascade: true } : {}),
    });
    for (const rel of object.childRelationships) {
      for (const child of this.deps.store.children(rel.childSObject, rel.field, id)) {
        if (rel.cascadeDelete) this.hardDelete(child.Id as string, rel.childSObject, true);
        else if (child.IsDeleted !== true) this.setNull(rel.childSObject, child, rel.field);
      }
    }
  }

  /**
   * Publishes a platform event. The message is validated like a record and delivered when the
   * transaction commits (a rolled-back request publishes nothing).
   */
  publish(objectName: string, values: Record<string, FieldValue>): { id: string; eventUuid: string } {
    const object = this.objectOrFail(objectName);
    if (object.kind !== 'event') throw new Error(`${objectName} is not a platform event`);
    this.injectedFault();
    const provided = this.checkValues(object, values, 'create', false);
    const payload: StoredRecord = {};
    for (const f of object.fields) {
      if (f.custom) payload[f.name] = provided.get(f) ?? (f.type === 'boolean' ? false : null);
    }
    this.checkRequired(object, payload);
    const now = this.now;
    const eventUuid = randomUUID();
    const id = this.deps.ids.next(object.keyPrefix);
    const message = {
      channel: `/event/${object.name}`,
      object: object.name,
      eventUuid,
      payload: { CreatedDate: now, CreatedById: this.context.user.id, ...payload },
      publishedAt: now,
      publishedBy: { ...this.context.user },
    };
    this.tx.effects.push(() => this.deps.events.publish(message));
    return { id, eventUuid };
  }

  /** Runs one record's write under a savepoint: a RecordFailure undoes only that record's work. */
  attempt<T>(write: () => T): { ok: true; value: T } | { ok: false; error: RecordFailure | MultipleMatches } {
    const savepoint = this.tx.savepoint();
    try {
      return { ok: true, value: write() };
    } catch (error) {
      this.tx.rollbackTo(savepoint);
      if (error instanceof RecordFailure || error instanceof MultipleMatches) return { ok: false, error };
      throw error;
    }
  }
}

/** Per-object facts the pipeline needs on every write, computed once. */
interface ObjectPlan {
  /** Non-null values a new record starts with (checkbox and picklist defaults). */
  defaults: StoredRecord;
  required: FieldDef[];
  unique: FieldDef[];
  autoNumber: FieldDef[];
  /** A custom object's Text name field: left blank on create, Salesforce fills it with the id. */
  textName: boolean;
  has: Record<'IsDeleted' | 'CreatedDate' | 'CreatedById' | 'LastModifiedDate' | 'LastModifiedById' | 'SystemModstamp' | 'OwnerId', boolean>;
}

export class WritePipeline {
  private readonly listeners = new Set<AfterCommitListener>();
  private readonly beforeSaveHooks = new Set<BeforeSaveHook>();
  private readonly plans = new Map<ObjectDef, ObjectPlan>();
  private readonly autoNumbers = new Map<string, number>();
  /** Recycle bin bookkeeping: when each deleted id went, and which delete it cascaded from. */
  private readonly deletions = new Map<string, { root: string; at: string }>();

  constructor(readonly deps: PipelineDeps) {}

  onAfterCommit(listener: AfterCommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onBeforeSave(hook: BeforeSaveHook): () => void {
    this.beforeSaveHooks.add(hook);
    return () => this.beforeSaveHooks.delete(hook);
  }

  runBeforeSave(event: BeforeSaveEvent): void {
    for (const hook of this.beforeSaveHooks) hook(event);
  }

  /**
   * Runs `work` in one transaction. Any exception rolls everything back; on success the changes are
   * committed and after-commit listeners run (synchronously, before the API answers).
   */
  run<T>(context: WriteContext, work: (unit: UnitOfWork) => T): T {
    const tx = new Transaction(this.deps.store);
    const unit = new UnitOfWork(this, tx, context);
    let result: T;
    try {
      result = work(unit);
    } catch (error) {
      tx.rollback();
      throw error;
    }
    const changes = tx.commit();
    if (changes.length && this.listeners.size) {
      const permissions = this.deps.permissionsOf(context.user.id);
      const committed: CommittedTransaction = {
        transactionKey: randomUUID(),
        committedAt: this.deps.clock.iso(),
        user: { ...context.user, ...permissions },
        api: context.api,
        client: context.client,
        changes,
      };
      for (const listener of this.listeners) {
        try {
          listener(committed);
        } catch (error) {
          console.error('[salesforce-emulator] after-commit listener failed', error);
        }
      }
    }
    return result;
  }

  plan(object: ObjectDef): ObjectPlan {
    let plan = this.plans.get(object);
    if (plan) return plan;
    const defaults: StoredRecord = {};
    for (const f of object.fields) {
      if (f.compute) continue;
      if (f.defaultValue !== null && f.defaultValue !== undefined) defaults[f.name] = f.defaultValue;
      else if (f.defaultedOnCreate && (f.type === 'picklist' || f.type === 'multipicklist')) {
        const def = f.picklistValues.find((p) => p.defaultValue);
        if (def) defaults[f.name] = def.value;
      }
    }
    const names = new Set(object.fields.map((f) => f.name));
    plan = {
      defaults,
      required: object.fields.filter(
        (f) =>
          !f.nillable &&
          f.type !== 'boolean' &&
          !f.compute &&
          !SYSTEM_FIELDS.has(f.name) &&
          f.name !== 'OwnerId' &&
          !f.autoNumber &&
          (f.createable || f.updateable),
      ),
      unique: object.fields.filter((f) => f.unique),
      autoNumber: object.fields.filter((f) => f.autoNumber),
      textName: object.kind === 'custom' && object.fields.some((f) => f.name === 'Name' && !f.autoNumber),
      has: {
        IsDeleted: names.has('IsDeleted'),
        CreatedDate: names.has('CreatedDate'),
        CreatedById: names.has('CreatedById'),
        LastModifiedDate: names.has('LastModifiedDate'),
        LastModifiedById: names.has('LastModifiedById'),
        SystemModstamp: names.has('SystemModstamp'),
        OwnerId: names.has('OwnerId'),
      },
    };
    this.plans.set(object, plan);
    return plan;
  }

  nextAutoNumber(object: ObjectDef, f: FieldDef): number {
    const key = `${object.name}.${f.name}`;
    const n = (this.autoNumbers.get(key) ?? 0) + 1;
    this.autoNumbers.set(key, n);
    return n;
  }

  recordDeletion(id: string, root: string, at: string): void {
    this.deletions.set(id, { root, at });
  }

  forgetDeletion(id: string): void {
    this.deletions.delete(id);
  }

  cascadedFrom(root: string): string[] {
    return [...this.deletions].filter(([id, d]) => d.root === root && id !== root).map(([id]) => id);
  }

  deletedAt(id: string): string | undefined {
    return this.deletions.get(id)?.at;
  }

  /** Clears bookkeeping (the control API's reset). */
  reset(): void {
    this.autoNumbers.clear();
    this.deletions.clear();
  }
}

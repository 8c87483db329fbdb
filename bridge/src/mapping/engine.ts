import type { Logger } from '../shared/logger.js';
import { BridgeError, errorMessage } from '../shared/errors.js';
import type { Clock } from '../shared/clock.js';
import type { ProfileRow } from '../responsys/types.js';
import type { FieldMapSource, ResponsysSchemaSource, SalesforceFieldInfo } from './field-map.js';
import type { SalesforceValue } from './transform.js';
import {
  PROFILE_LIST_TARGET,
  validateFieldMaps,
  type FieldMapProblem,
  type ResolvedFieldMap,
} from './validation.js';

// The mapping engine: loads Responsys_Field_Map__mdt through a FieldMapSource, validates it against
// both systems, and maps records both ways. Flows take a MappingSnapshot once per batch (`current()`),
// so a refresh in the middle of a batch never mixes two mappings. A refresh that fails keeps the last
// good mapping. Per-record problems (an invalid email, a value too long, an unmapped picklist value)
// come back per record and never fail a batch.

export type MappingErrorCode =
  'INVALID_EMAIL' | 'VALUE_TOO_LONG' | 'UNMAPPED_VALUE' | 'INVALID_VALUE' | 'UNKNOWN_OBJECT';

export interface MappingError {
  code: MappingErrorCode;
  /** the metadata record whose map failed */
  map: string;
  /** Salesforce field path and Responsys column concerned */
  field: string;
  column: string;
  message: string;
}

/** A Salesforce record mapped to Responsys rows. */
export type OutboundMapping =
  | {
      ok: true;
      /** profile-list columns -> values (what the maps produce; the flow adds CUSTOMER_ID_ and match keys) */
      profile: Record<string, string | null>;
      /** PET name -> columns -> values, only for PETs some map writes */
      extensions: Record<string, Record<string, string | null>>;
      /** the normalised email (trimmed, lower case) when a map writes EMAIL_ADDRESS_ and it has a value */
      email: string | null;
    }
  | { ok: false; errors: MappingError[] };

/** Responsys values mapped to Salesforce field values. */
export type InboundMapping =
  | {
      ok: true;
      /** Salesforce field API name -> value, ready for an update */
      values: Record<string, string | number | boolean | null>;
      /** fields left alone, and why */
      skipped: Array<{ map: string; field: string; column: string; reason: string }>;
    }
  | { ok: false; errors: MappingError[] };

/** Responsys rows for one person: the profile-list row and any PET rows, column -> value. */
export interface ResponsysRows {
  profile?: ProfileRow;
  extensions?: Record<string, ProfileRow>;
}

// Deliberately simple: one @, no spaces, a dot in the domain. Responsys answers "Bad Email Format" for
// the rest, but checking here keeps a bad address from costing a merge row and names the field.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The validated mapping at one moment. Immutable. */
export class MappingSnapshot {
  /**
   * Outbound maps by object (lower case), their paths split once: toResponsys runs for every record
   * of a backfill, so it must not filter the maps or split paths again each time.
   */
  private readonly outboundPlans = new Map<string, OutboundStep[]>();

  constructor(
    readonly maps: readonly ResolvedFieldMap[],
    readonly problems: readonly FieldMapProblem[],
    readonly loadedAt: Date,
    readonly profileList: { name: string; folderName: string },
  ) {}

  mapsFor(object: string, direction: 'outbound' | 'inbound'): ResolvedFieldMap[] {
    return this.maps.filter(
      (map) =>
        map.object.toLowerCase() === object.toLowerCase() &&
        (direction === 'outbound' ? map.outbound : map.inbound),
    );
  }

  /** Salesforce fields to read for outbound mapping (SOQL paths, parents included), with Id first. */
  salesforceFields(object: string): string[] {
    return unique(['Id', ...this.mapsFor(object, 'outbound').map((map) => map.salesforcePath)]);
  }

  /** Salesforce fields inbound maps write. */
  inboundSalesforceFields(object: string): string[] {
    return unique(this.mapsFor(object, 'inbound').map((map) => map.salesforcePath));
  }

  /** Responsys columns inbound maps read: profile-list columns and PET columns per PET. */
  inboundColumns(object: string): { profileList: string[]; extensions: Record<string, string[]> } {
    const profileList: string[] = [];
    const extensions: Record<string, string[]> = {};
    for (const map of this.mapsFor(object, 'inbound')) {
      if (map.target === PROFILE_LIST_TARGET) profileList.push(map.column);
      else (extensions[map.target] ??= []).push(map.column);
    }
    return { profileList: unique(profileList), extensions };
  }

  /** PETs outbound maps write for an object. */
  extensionTargets(object: string): string[] {
    return unique(
      this.mapsFor(object, 'outbound')
        .map((map) => map.target)
        .filter((target) => target !== PROFILE_LIST_TARGET),
    );
  }

  /**
   * Whether a change to these Salesforce fields (Changed_Fields__c) changes what the bridge sends:
   * true when a mapped field, or the lookup of a mapped parent field (AccountId for Account.Name), is
   * among them. An empty list (unknown) counts as a change.
   */
  isOutboundChange(object: string, changedFields: readonly string[]): boolean {
    if (changedFields.length === 0) return true;
    const changed = new Set(changedFields.map((field) => field.trim().toLowerCase()));
    return this.mapsFor(object, 'outbound').some((map) => changed.has(map.watchedField.toLowerCase()));
  }

  /** Maps one Salesforce record (SOQL JSON, parents nested) to Responsys rows. */
  toResponsys(object: string, record: Record<string, unknown>): OutboundMapping {
    const steps = this.outboundSteps(object);
    if (steps === undefined) {
      return {
        ok: false,
        errors: [
          {
            code: 'UNKNOWN_OBJECT',
            map: '',
            field: '',
            column: '',
            message: `No active field maps for ${object}`,
          },
        ],
      };
    }
    const profile: Record<string, string | null> = {};
    const extensions: Record<string, Record<string, string | null>> = {};
    const errors: MappingError[] = [];
    for (const { map, path } of steps) {
      const result = map.transform.outbound(readPath(record, path));
      if (!result.ok) {
        errors.push(mappingError(map, result.code, `${map.salesforcePath}: ${result.message} (${map.name})`));
        continue;
      }
      let value = result.value;
      if (map.column === 'EMAIL_ADDRESS_' && value !== null) {
        value = value.trim().toLowerCase();
        if (value === '') value = null;
        else if (!EMAIL.test(value)) {
          errors.push(
            mappingError(
              map,
              'INVALID_EMAIL',
              `${map.salesforcePath} "${value}" is not a valid email address`,
            ),
          );
          continue;
        }
      }
      // Characters are code points, never more than UTF-16 units: only a long string needs counting.
      if (value !== null && map.columnMaxLength !== undefined && value.length > map.columnMaxLength) {
        const length = Array.from(value).length;
        if (length > map.columnMaxLength) {
          errors.push(
            mappingError(
              map,
              'VALUE_TOO_LONG',
              `${map.salesforcePath} is ${length} characters long; ${map.column} holds ${map.columnMaxLength} (${map.name})`,
            ),
          );
          continue;
        }
      }
      if (map.target === PROFILE_LIST_TARGET) profile[map.column] = value;
      else (extensions[map.target] ??= {})[map.column] = value;
    }
    if (errors.length > 0) return { ok: false, errors };
    const email = profile.EMAIL_ADDRESS_ ?? null;
    return { ok: true, profile, extensions, email };
  }

  /** The outbound maps of an object with their split paths; undefined when no map names the object. */
  private outboundSteps(object: string): OutboundStep[] | undefined {
    const key = object.toLowerCase();
    let steps = this.outboundPlans.get(key);
    if (!steps) {
      if (!isMappedObject(object, this.maps)) return undefined;
      steps = this.mapsFor(object, 'outbound').map((map) => ({ map, path: map.salesforcePath.split('.') }));
      this.outboundPlans.set(key, steps);
    }
    return steps;
  }

  /** toResponsys for a batch: one result per record, in order. */
  toResponsysBatch(object: string, records: Array<Record<string, unknown>>): OutboundMapping[] {
    return records.map((record) => this.toResponsys(object, record));
  }

  /** Maps Responsys rows (profile list and PETs) to Salesforce field values for Inbound and Both maps. */
  toSalesforce(object: string, rows: ResponsysRows): InboundMapping {
    const values: Record<string, string | number | boolean | null> = {};
    const skipped: Array<{ map: string; field: string; column: string; reason: string }> = [];
    const errors: MappingError[] = [];
    for (const map of this.mapsFor(object, 'inbound')) {
      const row = map.target === PROFILE_LIST_TARGET ? rows.profile : findRow(rows.extensions, map.target);
      const raw = row ? readColumn(row, map.column) : undefined;
      if (raw === undefined) continue;
      const fail = (code: MappingErrorCode, message: string) =>
        errors.push({ code, map: map.name, field: map.salesforcePath, column: map.column, message });
      const skip = (reason: string) =>
        skipped.push({ map: map.name, field: map.salesforcePath, column: map.column, reason });
      const result = map.transform.inbound(raw);
      if (result.ok === 'skip') {
        skip(result.reason);
        continue;
      }
      if (result.ok === false) {
        fail(result.code, `${map.column}: ${result.message} (${map.name})`);
        continue;
      }
      const converted = toSalesforceType(result.value, map.salesforceField);
      if (!converted.ok) {
        fail(converted.code, `${map.column} → ${map.salesforcePath}: ${converted.message} (${map.name})`);
        continue;
      }
      if (converted.value === null && map.salesforceField.nillable === false) {
        skip(`${map.salesforcePath} is required in Salesforce and ${map.column} is empty`);
        continue;
      }
      values[map.salesforceField.name] = converted.value;
    }
    return errors.length > 0 ? { ok: false, errors } : { ok: true, values, skipped };
  }
}

export interface MappingEngineOptions {
  /** the Salesforce side (resolved when first needed, so module order does not matter) */
  salesforce: FieldMapSource | (() => FieldMapSource);
  responsys: ResponsysSchemaSource | (() => ResponsysSchemaSource);
  logger: Logger;
  clock?: Clock;
  /** the profile list maps target (default: the Responsys client's) */
  listName?: string;
}

export class MappingEngine {
  private snapshot: MappingSnapshot | undefined;
  private loading: Promise<MappingSnapshot> | undefined;
  private lastFailure: { at: Date; message: string } | undefined;

  constructor(private readonly options: MappingEngineOptions) {}

  /** The current mapping, loading it first if it never loaded. */
  current(): Promise<MappingSnapshot> {
    return this.snapshot ? Promise.resolve(this.snapshot) : this.refresh();
  }

  /**
   * Loads and validates the field maps again. On failure the previous mapping stays in use (and the
   * error is thrown to the caller); without a previous mapping, callers get the error.
   */
  refresh(): Promise<MappingSnapshot> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** The maps in use (empty before the first load). */
  loadedMaps(): readonly ResolvedFieldMap[] {
    return this.snapshot?.maps ?? [];
  }

  /** The last loaded mapping's problems, and whether the last refresh failed. */
  status(): {
    loaded: boolean;
    loadedAt?: Date;
    maps: number;
    problems: FieldMapProblem[];
    lastFailure?: { at: Date; message: string };
  } {
    return {
      loaded: this.snapshot !== undefined,
      ...(this.snapshot ? { loadedAt: this.snapshot.loadedAt } : {}),
      maps: this.snapshot?.maps.length ?? 0,
      problems: [...(this.snapshot?.problems ?? [])],
      ...(this.lastFailure ? { lastFailure: this.lastFailure } : {}),
    };
  }

  private async load(): Promise<MappingSnapshot> {
    const now = () => (this.options.clock ?? { now: () => new Date() }).now();
    const salesforce =
      typeof this.options.salesforce === 'function' ? this.options.salesforce() : this.options.salesforce;
    const responsys =
      typeof this.options.responsys === 'function' ? this.options.responsys() : this.options.responsys;
    try {
      const records = await salesforce.loadFieldMaps();
      const result = await validateFieldMaps(records, {
        salesforce,
        responsys,
        listName: this.options.listName,
      });
      const snapshot = new MappingSnapshot(result.maps, result.problems, now(), result.profileList);
      this.report(snapshot, records.filter((record) => record.active).length);
      this.snapshot = snapshot;
      this.lastFailure = undefined;
      return snapshot;
    } catch (error) {
      const message = `Could not load the Responsys field maps: ${errorMessage(error)}`;
      this.lastFailure = { at: now(), message };
      this.options.logger.error(
        { err: error },
        this.snapshot
          ? `${message}; keeping the mapping loaded at ${this.snapshot.loadedAt.toISOString()}`
          : message,
      );
      throw new BridgeError('UPSTREAM_FAILED', message, { cause: error });
    }
  }

  private report(snapshot: MappingSnapshot, active: number): void {
    const changed = JSON.stringify(snapshot.problems) !== JSON.stringify(this.snapshot?.problems ?? []);
    for (const problem of changed ? snapshot.problems : []) {
      const line = { fieldMap: problem.record };
      const text = `Field map ${problem.record}: ${problem.message}`;
      if (problem.severity === 'error')
        this.options.logger.error(line, `${text} (the map is ignored until fixed)`);
      else this.options.logger.warn(line, text);
    }
    const level = this.snapshot && !changed ? 'debug' : 'info';
    this.options.logger[level](
      { fieldMaps: { active, valid: snapshot.maps.length, problems: snapshot.problems.length } },
      `Responsys field maps loaded: ${snapshot.maps.length} of ${active} active maps in use`,
    );
  }
}

function isMappedObject(object: string, maps: readonly ResolvedFieldMap[]): boolean {
  return maps.some((map) => map.object.toLowerCase() === object.toLowerCase());
}

interface OutboundStep {
  map: ResolvedFieldMap;
  /** `Account.Name` as ['Account', 'Name'] */
  path: readonly string[];
}

function mappingError(map: ResolvedFieldMap, code: MappingErrorCode, message: string): MappingError {
  return { code, map: map.name, field: map.salesforcePath, column: map.column, message };
}

/** Reads `Account.Name` from SOQL JSON (`{Account: {Name: 'x'}}`); keys match case-insensitively. */
function readPath(record: Record<string, unknown>, path: readonly string[]): SalesforceValue {
  let current: unknown = record;
  for (const segment of path) {
    if (!current || typeof current !== 'object') return null;
    const object = current as Record<string, unknown>;
    const key =
      segment in object
        ? segment
        : Object.keys(object).find((name) => name.toLowerCase() === segment.toLowerCase());
    current = key === undefined ? null : object[key];
  }
  if (current === undefined || current === null) return null;
  if (typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean')
    return current;
  return null;
}

function readColumn(row: ProfileRow, column: string): string | null | undefined {
  if (column in row) return row[column];
  const key = Object.keys(row).find((name) => name.toLowerCase() === column.toLowerCase());
  return key === undefined ? undefined : row[key];
}

function findRow(rows: Record<string, ProfileRow> | undefined, target: string): ProfileRow | undefined {
  if (!rows) return undefined;
  const key = Object.keys(rows).find((name) => name.toLowerCase() === target.toLowerCase());
  return key === undefined ? undefined : rows[key];
}

const numericTypes = new Set(['double', 'int', 'currency', 'percent', 'long']);
const textTypes = new Set([
  'string',
  'email',
  'phone',
  'url',
  'textarea',
  'picklist',
  'multipicklist',
  'combobox',
  'encryptedstring',
]);

/** A value in the type Salesforce expects for the field (checkbox, number, text within its length). */
function toSalesforceType(
  value: string | boolean | null,
  field: SalesforceFieldInfo,
):
  | { ok: true; value: string | number | boolean | null }
  | { ok: false; code: MappingErrorCode; message: string } {
  if (value === null) return { ok: true, value: null };
  const type = field.type.toLowerCase();
  if (type === 'boolean') {
    if (typeof value === 'boolean') return { ok: true, value };
    const text = value.trim().toLowerCase();
    if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
    return { ok: false, code: 'INVALID_VALUE', message: `"${value}" is not true or false` };
  }
  const text = String(value);
  if (numericTypes.has(type)) {
    if (text.trim() === '') return { ok: true, value: null };
    const number = Number(text.trim());
    if (!Number.isFinite(number))
      return { ok: false, code: 'INVALID_VALUE', message: `"${text}" is not a number` };
    return { ok: true, value: number };
  }
  if (textTypes.has(type)) {
    if (field.length !== undefined && field.length > 0 && Array.from(text).length > field.length) {
      return {
        ok: false,
        code: 'VALUE_TOO_LONG',
        message: `${Array.from(text).length} characters; the field holds ${field.length}`,
      };
    }
    if (type === 'picklist' && field.restrictedPicklist && field.picklistValues) {
      if (!field.picklistValues.includes(text)) {
        return {
          ok: false,
          code: 'UNMAPPED_VALUE',
          message: `"${text}" is not a value of the restricted picklist`,
        };
      }
    }
  }
  return { ok: true, value: text === '' ? null : text };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

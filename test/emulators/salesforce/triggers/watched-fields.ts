import type { FieldValue, ObjectDef, StoredRecord } from '../schema/types.js';

// Which Lead and Contact fields the package's triggers watch, read from the same source as the Apex
// (ResponsysWatchedFields, ResponsysFieldMapSelector): the Responsys_Field_Map__mdt records, and the
// value comparisons of ResponsysFieldValues.

export const FIELD_MAP_TYPE = 'Responsys_Field_Map__mdt';

/** Watched on Lead and Contact whatever the maps say (ResponsysWatchedFields.ALWAYS_WATCHED). */
export const ALWAYS_WATCHED = ['Email', 'HasOptedOutOfEmail'] as const;

/** The opt-out flag: its flips publish OPT_OUT / OPT_IN instead of UPDATE. */
export const OPT_OUT_FIELD = 'HasOptedOutOfEmail';

/** Maps with these directions send values to Responsys (ResponsysFieldMapSelector.activeOutbound). */
export const OUTBOUND_DIRECTIONS = ['Outbound', 'Both'] as const;

export interface FieldMapRecord {
  developerName: string;
  object: string | null;
  salesforceField: string | null;
  direction: string | null;
  active: boolean;
}

export function fieldMapFromRow(row: Readonly<StoredRecord>): FieldMapRecord {
  const text = (value: FieldValue | undefined) => (typeof value === 'string' ? value : null);
  return {
    developerName: text(row.DeveloperName) ?? '',
    object: text(row.Object__c),
    salesforceField: text(row.Salesforce_Field__c),
    direction: text(row.Direction__c),
    active: row.Active__c === true,
  };
}

/** Apex `==` on strings ignores case, and the selector compares with `==`. */
function apexEquals(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}

export function activeOutbound(maps: readonly FieldMapRecord[], objectName: string): FieldMapRecord[] {
  return maps.filter(
    (map) =>
      map.active &&
      OUTBOUND_DIRECTIONS.some((direction) => apexEquals(map.direction, direction)) &&
      apexEquals(map.object, objectName),
  );
}

/** Account.Name becomes AccountId, Partner__r.Name becomes Partner__c; a plain field stays as is. */
export function toRecordField(fieldPath: string | null): string {
  const path = (fieldPath ?? '').trim();
  const dot = path.indexOf('.');
  if (dot < 0) return path;
  const relationship = path.slice(0, dot);
  if (relationship.toLowerCase().endsWith('__r')) return `${relationship.slice(0, -3)}__c`;
  return `${relationship}Id`;
}

/**
 * The watched fields of an object: canonical API names, sorted, so Changed_Fields__c lists are
 * stable. A map naming a field the object lacks is ignored (a typo in Setup never blocks a save).
 */
export function watchedFields(object: ObjectDef, maps: readonly FieldMapRecord[]): string[] {
  const byLowerName = new Map(object.fields.map((f) => [f.name.toLowerCase(), f.name]));
  const candidates = [
    ...ALWAYS_WATCHED,
    ...activeOutbound(maps, object.name).map((map) => toRecordField(map.salesforceField)),
  ];
  const watched = new Set<string>();
  for (const candidate of candidates) {
    const name = byLowerName.get(candidate.toLowerCase());
    if (name) watched.add(name);
  }
  return [...watched].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** ResponsysFieldValues.hasValue: a non-blank string, a true checkbox, or any other non-null value. */
export function hasValue(value: FieldValue | undefined): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.trim() !== '';
  return value !== null && value !== undefined;
}

/** ResponsysFieldValues.differ: strings compare case-sensitively (a fixed email case is a change). */
export function differ(value: FieldValue | undefined, oldValue: FieldValue | undefined): boolean {
  return (value ?? null) !== (oldValue ?? null);
}

import { columnMaxLength, customColumnNameProblem, profileListSystemColumns } from '../responsys/naming.js';
import type { ColumnDescription } from '../responsys/types.js';
import type {
  FieldMapRecord,
  FieldMapSource,
  ResponsysSchemaSource,
  SalesforceFieldInfo,
} from './field-map.js';
import { Transform, TransformSyntaxError } from './transform.js';

// Validates Responsys_Field_Map__mdt records against both systems before any record is mapped: the
// Salesforce field exists (describe, parent paths included), the Responsys column is a valid name and
// exists in the profile list or the PET, the transform parses, and no two maps write the same place.
// Every problem names the metadata record. A record with an error is left out (the others keep
// working); warnings point at values that will fail record by record.

export const PROFILE_LIST_TARGET = 'PROFILE_LIST';
export const mappedObjects = ['Lead', 'Contact'] as const;
export type MappedObject = (typeof mappedObjects)[number];
export type MapDirection = 'Outbound' | 'Inbound' | 'Both';

/** Columns the bridge itself owns in every merge; a map may not write them. */
const bridgeOwnedColumns: Record<string, string> = {
  CUSTOMER_ID_: 'the bridge sets CUSTOMER_ID_ to the Salesforce record id',
};

const MAX_PATH_DEPTH = 5;

export interface ResolvedFieldMap {
  /** DeveloperName of the metadata record */
  name: string;
  object: MappedObject;
  direction: MapDirection;
  outbound: boolean;
  inbound: boolean;
  /** the SOQL path with Salesforce's spelling, e.g. Account.Name */
  salesforcePath: string;
  /** the field on the mapped object whose change changes the value (AccountId for Account.Name) */
  watchedField: string;
  /** describe of the field the value comes from (the last path segment) */
  salesforceField: SalesforceFieldInfo;
  /** PROFILE_LIST or the PET's name as Responsys spells it */
  target: string;
  /** column name as Responsys spells it */
  column: string;
  columnType: string;
  /** longest value the column holds (STRn, CHAR), if known */
  columnMaxLength: number | undefined;
  transform: Transform;
}

export interface FieldMapProblem {
  /** the metadata record's DeveloperName ('' for problems about the whole mapping) */
  record: string;
  severity: 'error' | 'warning';
  message: string;
}

export interface ValidationResult {
  maps: ResolvedFieldMap[];
  problems: FieldMapProblem[];
  profileList: { name: string; folderName: string };
}

export async function validateFieldMaps(
  records: FieldMapRecord[],
  sources: { salesforce: FieldMapSource; responsys: ResponsysSchemaSource; listName?: string },
): Promise<ValidationResult> {
  const describes = new Map<string, Promise<SalesforceFieldInfo[] | undefined>>();
  const describe = (objectName: string) => {
    const key = objectName.toLowerCase();
    if (!describes.has(key)) describes.set(key, sources.salesforce.describeFields(objectName));
    return describes.get(key)!;
  };
  const active = records.filter((record) => record.active).sort((a, b) => a.name.localeCompare(b.name));
  // The objects' describes start now, beside the Responsys ones, rather than one after another as the
  // maps come to them (each is a round trip; a backfill waits for the mapping before it reads).
  // Errors surface where each map's path is resolved.
  for (const name of new Set(active.map((record) => record.object.toLowerCase()))) {
    const object = mappedObjects.find((candidate) => candidate.toLowerCase() === name);
    if (object) describe(object).catch(() => undefined);
  }
  const [list, extensions] = await Promise.all([
    sources.responsys.describeProfileList(sources.listName),
    sources.responsys.listProfileExtensions(sources.listName),
  ]);

  const problems: FieldMapProblem[] = [];
  const maps: ResolvedFieldMap[] = [];
  for (const record of active) {
    const error = (message: string) => problems.push({ record: record.name, severity: 'error', message });
    const warn = (message: string) => problems.push({ record: record.name, severity: 'warning', message });
    const before = problems.length;
    const hasErrors = () => problems.slice(before).some((problem) => problem.severity === 'error');

    const object = mappedObjects.find((name) => name.toLowerCase() === record.object.toLowerCase());
    if (!object) error(`Object__c "${record.object}" must be Lead or Contact`);
    const direction = (['Outbound', 'Inbound', 'Both'] as const).find(
      (name) => name.toLowerCase() === record.direction.toLowerCase(),
    );
    if (!direction) error(`Direction__c "${record.direction}" must be Outbound, Inbound or Both`);

    let transform: Transform | undefined;
    try {
      transform = Transform.parse(record.transform);
    } catch (caught) {
      if (!(caught instanceof TransformSyntaxError)) throw caught;
      error(`Transform__c ${caught.message.replace(/^Transform /, '')}`);
    }

    const column = resolveColumn(record, list, extensions, direction, error);
    const path = object ? await resolvePath(record.salesforceField, object, describe, error) : undefined;
    if (hasErrors() || !object || !direction || !transform || !column || !path) continue;

    const outbound = direction !== 'Inbound';
    const inbound = direction !== 'Outbound';
    if (inbound && path.segments.length > 1) {
      error(
        `Salesforce_Field__c "${record.salesforceField}" is a parent field; ${direction} maps need a field of ${object} itself`,
      );
      continue;
    }
    if (inbound && path.field.updateable === false) {
      error(`Salesforce_Field__c "${path.path}" cannot be written on ${object}; make the map Outbound`);
      continue;
    }
    const maxLength = columnMaxLength(column.type);
    if (outbound && maxLength !== undefined && !transform.has('map') && !transform.has('bool')) {
      const longest = transform.truncatesTo ?? longestValue(path.field);
      if (longest !== undefined && longest > maxLength) {
        warn(
          `${path.path} holds up to ${longest} characters but ${column.name} only ${maxLength}: longer values will fail ` +
            `record by record (add truncate:${maxLength} to Transform__c to cut them)`,
        );
      }
    }
    if (transform.has('bool') && path.field.type !== 'boolean') {
      warn(
        `bool expects a checkbox, but ${path.path} is a ${path.field.type} field; values other than true/false will fail`,
      );
    }
    maps.push({
      name: record.name,
      object,
      direction,
      outbound,
      inbound,
      salesforcePath: path.path,
      watchedField: path.watchedField,
      salesforceField: path.field,
      target: column.target,
      column: column.name,
      columnType: column.type,
      columnMaxLength: maxLength,
      transform,
    });
  }
  return {
    maps: withoutConflicts(maps, problems),
    problems,
    profileList: { name: list.name, folderName: list.folderName },
  };
}

function resolveColumn(
  record: FieldMapRecord,
  list: { name: string; fields: ColumnDescription[] },
  extensions: Array<{ name: string; fields: ColumnDescription[] }>,
  direction: MapDirection | undefined,
  error: (message: string) => void,
): { target: string; name: string; type: string } | undefined {
  const name = record.responsysColumn.trim();
  const targetName = record.target.trim();
  const isProfileList = targetName.toUpperCase() === PROFILE_LIST_TARGET;
  const extension = isProfileList
    ? undefined
    : extensions.find((pet) => pet.name.toLowerCase() === targetName.toLowerCase());
  if (!isProfileList && !extension) {
    const known = extensions.map((pet) => pet.name).join(', ') || 'none';
    error(
      `Target__c "${targetName}" is neither PROFILE_LIST nor a profile extension table of ${list.name} (PETs: ${known})`,
    );
    return undefined;
  }
  const system = profileListSystemColumns.get(name.toUpperCase());
  if (isProfileList && system) {
    const owned = bridgeOwnedColumns[name.toUpperCase()];
    if (owned && direction !== 'Inbound') {
      error(`Responsys_Column__c ${name.toUpperCase()} cannot be mapped: ${owned}`);
      return undefined;
    }
    if (system.readOnly && direction !== 'Inbound') {
      error(
        `Responsys_Column__c ${name.toUpperCase()} is maintained by Responsys and cannot be written; make the map Inbound`,
      );
      return undefined;
    }
  } else {
    const problem = customColumnNameProblem(name);
    if (problem) {
      error(`Responsys_Column__c "${name}" ${problem}`);
      return undefined;
    }
  }
  const table = extension ?? list;
  const column = table.fields.find((field) => field.name.toLowerCase() === name.toLowerCase());
  if (!column) {
    const where = extension ? `profile extension table ${extension.name}` : `profile list ${list.name}`;
    error(`Responsys_Column__c "${name}" does not exist in the ${where}`);
    return undefined;
  }
  return { target: extension ? extension.name : PROFILE_LIST_TARGET, name: column.name, type: column.type };
}

async function resolvePath(
  rawPath: string,
  object: MappedObject,
  describe: (objectName: string) => Promise<SalesforceFieldInfo[] | undefined>,
  error: (message: string) => void,
): Promise<
  { path: string; segments: string[]; field: SalesforceFieldInfo; watchedField: string } | undefined
> {
  const segments = rawPath.trim().split('.');
  if (rawPath.trim() === '' || segments.some((segment) => !/^[A-Za-z][A-Za-z0-9_]*$/.test(segment))) {
    error(
      `Salesforce_Field__c "${rawPath}" is not a field API name (such as Title, or Account.Name for a parent field)`,
    );
    return undefined;
  }
  if (segments.length > MAX_PATH_DEPTH) {
    error(`Salesforce_Field__c "${rawPath}" goes more than ${MAX_PATH_DEPTH - 1} parents up`);
    return undefined;
  }
  let currentObject: string = object;
  const canonical: string[] = [];
  let watchedField = '';
  for (const [index, segment] of segments.entries()) {
    const fields = await describe(currentObject);
    if (!fields) {
      error(`Salesforce_Field__c "${rawPath}": the object ${currentObject} does not exist`);
      return undefined;
    }
    const last = index === segments.length - 1;
    if (last) {
      const field = fields.find((candidate) => candidate.name.toLowerCase() === segment.toLowerCase());
      if (!field) {
        error(`Salesforce_Field__c "${rawPath}": ${currentObject} has no field ${segment}`);
        return undefined;
      }
      canonical.push(field.name);
      if (index === 0) watchedField = field.name;
      return { path: canonical.join('.'), segments: canonical, field, watchedField };
    }
    const lookup = fields.find(
      (candidate) =>
        candidate.relationshipName?.toLowerCase() === segment.toLowerCase() && candidate.referenceTo?.length,
    );
    if (!lookup) {
      error(`Salesforce_Field__c "${rawPath}": ${currentObject} has no parent relationship ${segment}`);
      return undefined;
    }
    canonical.push(lookup.relationshipName!);
    if (index === 0) watchedField = lookup.name;
    currentObject = lookup.referenceTo![0]!;
  }
  return undefined;
}

/** Two maps writing the same Responsys column (outbound) or the same Salesforce field (inbound). */
function withoutConflicts(maps: ResolvedFieldMap[], problems: FieldMapProblem[]): ResolvedFieldMap[] {
  const writers = new Map<string, string>();
  const kept: ResolvedFieldMap[] = [];
  for (const map of maps) {
    const keys = [
      ...(map.outbound ? [`out|${map.object}|${map.target}|${map.column}`.toUpperCase()] : []),
      ...(map.inbound ? [`in|${map.object}|${map.salesforcePath}`.toUpperCase()] : []),
    ];
    const clash = keys.map((key) => writers.get(key)).find((owner) => owner !== undefined);
    if (clash) {
      const what =
        map.outbound && writers.has(keys[0]!)
          ? `${map.target} ${map.column}`
          : `${map.object}.${map.salesforcePath}`;
      problems.push({
        record: map.name,
        severity: 'error',
        message: `${clash} already maps ${what} for ${map.object}; only one map may write it`,
      });
      continue;
    }
    for (const key of keys) writers.set(key, map.name);
    kept.push(map);
  }
  return kept;
}

/** The longest value a field can hold: its length, or for a picklist its longest value. */
function longestValue(field: SalesforceFieldInfo): number | undefined {
  if (field.type === 'picklist' && field.picklistValues?.length) {
    return Math.max(...field.picklistValues.map((value) => Array.from(value).length));
  }
  return field.length;
}

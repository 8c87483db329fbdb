import { ApiError, RecordFailure } from '../../errors.js';
import type { SchemaCatalog } from '../../schema/catalog.js';
import type { FieldDef, FieldValue, ObjectDef } from '../../schema/types.js';
import { coerceJson } from '../../data/values.js';
import type { DataStore } from '../../data/store.js';

// Reading a record from a REST JSON body. Deserialization is all-or-nothing, as on Salesforce: an
// unknown field (INVALID_FIELD) or a value that cannot become its field's type (JSON_PARSER_ERROR)
// fails the whole request, even inside an sObject Collection. A parent given by external id
// (`"Account": {"Ext_Id__c": "A-1"}`) is resolved per record, at save time.

export interface ParentByExternalId {
  field: FieldDef;
  parent: ObjectDef;
  externalField: FieldDef;
  value: FieldValue;
}

export interface RecordInput {
  values: Record<string, FieldValue>;
  parents: ParentByExternalId[];
  /** `attributes.type`, when the body names it. */
  type?: string;
  /** A lower-case `id` or `Id` key (collections update by it). */
  id?: string;
}

function column(raw: string, key: string): string {
  const at = raw.indexOf(`"${key}"`);
  if (at < 0) return '';
  const line = raw.slice(0, at).split('\n').length;
  const col = at - raw.lastIndexOf('\n', at - 1);
  return ` at [line:${line}, column:${col + key.length + 3}]`;
}

export function jsonParserError(message: string): ApiError {
  return ApiError.of(400, 'JSON_PARSER_ERROR', message);
}

export function readRecord(
  catalog: SchemaCatalog,
  object: ObjectDef,
  body: unknown,
  rawBody: string,
  options: { idKey?: boolean } = {},
): RecordInput {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw jsonParserError(
      `Cannot deserialize instance of ${object.name} from ${Array.isArray(body) ? 'START_ARRAY' : 'VALUE_STRING'} value or request may be missing a required field at [line:1, column:1]`,
    );
  }
  const input: RecordInput = { values: {}, parents: [] };
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === 'attributes') {
      const type = (value as { type?: unknown } | null)?.type;
      if (typeof type === 'string') input.type = type;
      continue;
    }
    if (options.idKey && key.toLowerCase() === 'id') {
      input.id = value === null || value === undefined ? undefined : String(value);
      continue;
    }
    const field = catalog.field(object, key);
    if (!field && value && typeof value === 'object' && !Array.isArray(value)) {
      const reference = catalog.parentRelationship(object, key);
      const entries = Object.entries(value as Record<string, unknown>).filter(([k]) => k !== 'attributes');
      const parent = reference ? catalog.object(reference.referenceTo[0]!) : undefined;
      const externalField =
        parent && entries.length === 1 ? catalog.field(parent, entries[0]![0]) : undefined;
      if (reference && parent && externalField && (externalField.externalId || externalField.idLookup)) {
        const coerced = coerceJson(externalField, entries[0]![1]);
        if (!coerced.ok) throw jsonParserError(`${coerced.problem}${column(rawBody, key)}`);
        input.parents.push({ field: reference, parent, externalField, value: coerced.value });
        continue;
      }
    }
    if (!field)
      throw ApiError.of(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`);
    const coerced = coerceJson(field, value);
    if (!coerced.ok) throw jsonParserError(`${coerced.problem}${column(rawBody, key)}`);
    input.values[field.name] = coerced.value;
  }
  return input;
}

/** Resolves parents given by external id into reference values; a miss fails this record only. */
export function resolveParents(input: RecordInput, store: DataStore): Record<string, FieldValue> {
  const values = { ...input.values };
  for (const p of input.parents) {
    const matches = store.table(p.parent.name).lookup(p.externalField, p.value);
    if (matches.length === 0) {
      throw RecordFailure.of(
        'INVALID_FIELD',
        `Foreign key external ID: ${String(p.value)} not found for field ${p.externalField.name} in entity ${p.parent.name}`,
      );
    }
    if (matches.length > 1) {
      throw RecordFailure.of(
        'INVALID_FIELD',
        `Foreign key external ID: ${String(p.value)} matches more than one record for field ${p.externalField.name} in entity ${p.parent.name}`,
      );
    }
    values[p.field.name] = matches[0]!;
  }
  return values;
}

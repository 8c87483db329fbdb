import { RecordFailure } from '../errors.js';
import type { SchemaCatalog } from '../schema/catalog.js';
import { normalizeId } from '../schema/ids.js';
import { isTextType, type FieldDef, type FieldValue } from '../schema/types.js';
import type { DataStore } from './store.js';

// Field-level checks Salesforce runs on every save, with its status codes and message texts.

// Salesforce's address check is close to the HTML5 one: a local part, an @, and a dotted domain.
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+$/;

export function isValidEmail(value: string): boolean {
  return EMAIL.test(value);
}

function roundTo(value: number, scale: number): number {
  const factor = 10 ** scale;
  return Math.round(value * factor) / factor;
}

/** Checks one value against its field's type, length, picklist and range; returns the value to store. */
export function checkFieldValue(field: FieldDef, value: FieldValue): FieldValue {
  if (value === null) return null;
  if (isTextType(field.type) && typeof value === 'string') {
    if (field.length && value.length > field.length) {
      throw RecordFailure.of(
        'STRING_TOO_LONG',
        `${field.label}: data value too large: ${value} (max length=${field.length})`,
        [field.name],
      );
    }
    if (field.type === 'email' && value !== '' && !isValidEmail(value)) {
      throw RecordFailure.of('INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${value}`, [
        field.name,
      ]);
    }
    if (field.restrictedPicklist && (field.type === 'picklist' || field.type === 'multipicklist')) {
      const allowed = new Set(field.picklistValues.filter((p) => p.active).map((p) => p.value));
      const given = field.type === 'multipicklist' ? value.split(';') : [value];
      const bad = given.find((v) => !allowed.has(v));
      if (bad !== undefined) {
        throw RecordFailure.of(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${field.label}: bad value for restricted picklist field: ${bad}`,
          [field.name],
        );
      }
    }
    return value === '' ? null : value;
  }
  if (typeof value === 'number') {
    const integerDigits = field.type === 'int' ? field.digits || 9 : field.precision - field.scale;
    const rounded = field.type === 'int' ? value : roundTo(value, field.scale);
    if (integerDigits > 0 && Math.abs(rounded) >= 10 ** integerDigits) {
      throw RecordFailure.of(
        'NUMBER_OUTSIDE_VALID_RANGE',
        `${field.label}: value outside of valid range on numeric field: ${value}`,
        [field.name],
      );
    }
    return rounded;
  }
  return value;
}

/** Checks that a reference points at a live record of an allowed type; returns the 18-character id. */
export function checkReference(
  field: FieldDef,
  value: FieldValue,
  catalog: SchemaCatalog,
  store: DataStore,
): FieldValue {
  if (value === null || value === '') return null;
  const id = normalizeId(String(value));
  if (!id) {
    throw RecordFailure.of('MALFORMED_ID', `${field.label}: id value of incorrect type: ${String(value)}`, [
      field.name,
    ]);
  }
  const target = catalog.objectForId(id);
  if (!target || !field.referenceTo.includes(target.name)) {
    throw RecordFailure.of('FIELD_INTEGRITY_EXCEPTION', `${field.label}: id value of incorrect type: ${id}`, [
      field.name,
    ]);
  }
  const row = store.get(id);
  if (!row) throw RecordFailure.of('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', []);
  if (row.IsDeleted === true) throw RecordFailure.of('ENTITY_IS_DELETED', 'entity is deleted', []);
  return id;
}

export function requiredFieldsMissing(fields: FieldDef[]): RecordFailure {
  const names = fields.map((f) => f.name);
  return RecordFailure.of('REQUIRED_FIELD_MISSING', `Required fields are missing: [${names.join(', ')}]`, names);
}

export function notWritable(fields: FieldDef[]): RecordFailure {
  const names = fields.map((f) => f.name);
  return RecordFailure.of(
    'INVALID_FIELD_FOR_INSERT_UPDATE',
    `Unable to create/update fields: ${names.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
    names,
  );
}

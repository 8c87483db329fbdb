import { isTextType, type ComputedValue, type FieldDef, type FieldValue } from '../schema/types.js';

// Converting values at the API boundary. Salesforce deserializes REST JSON strictly (a value that
// cannot become the field's type fails the whole request with JSON_PARSER_ERROR) and CSV leniently
// per row (INVALID_TYPE_ON_FIELD_IN_RECORD on that row only). Stored values are plain: text, numbers,
// booleans, `YYYY-MM-DD` dates and ISO-8601 UTC datetimes with milliseconds.

export type Coerced = { ok: true; value: FieldValue } | { ok: false; problem: string };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

export function parseDate(text: string): string | undefined {
  const m = DATE.exec(text.trim()) ?? DATETIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validDate(y, mo, d)) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** ISO datetime in UTC with milliseconds, from any ISO-8601 form Salesforce accepts. */
export function parseDateTime(text: string): string | undefined {
  const m = DATETIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!validDate(y, mo, d)) return undefined;
  const hh = Number(m[4] ?? 0);
  const mi = Number(m[5] ?? 0);
  const ss = Number(m[6] ?? 0);
  if (hh > 23 || mi > 59 || ss > 59) return undefined;
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  const epoch = Date.UTC(y, mo - 1, d, hh, mi, ss, ms) - offsetMinutes * 60_000;
  return new Date(epoch).toISOString();
}

const JSON_TYPE_NAMES: Record<string, string> = {
  boolean: 'boolean',
  int: 'int',
  double: 'double',
  currency: 'currency',
  percent: 'double',
  date: 'date',
  datetime: 'datetime',
};

function jsonTokenName(value: unknown): string {
  if (typeof value === 'string') return 'VALUE_STRING';
  if (typeof value === 'number') return Number.isInteger(value) ? 'VALUE_NUMBER_INT' : 'VALUE_NUMBER_FLOAT';
  if (typeof value === 'boolean') return value ? 'VALUE_TRUE' : 'VALUE_FALSE';
  if (Array.isArray(value)) return 'START_ARRAY';
  return 'START_OBJECT';
}

/** Converts a JSON value from a REST body. A failure is a JSON_PARSER_ERROR for the whole request. */
export function coerceJson(field: FieldDef, value: unknown): Coerced {
  if (value === null) return { ok: true, value: field.type === 'boolean' ? false : null };
  const fail = (): Coerced => {
    const shown = typeof value === 'object' ? '' : ` value ${String(value)}`;
    const typeName = JSON_TYPE_NAMES[field.type] ?? 'string';
    return {
      ok: false,
      problem: `Cannot deserialize instance of ${typeName} from ${jsonTokenName(value)}${shown} or request may be missing a required field`,
    };
  };
  if (typeof value === 'object') return fail();
  if (isTextType(field.type) || field.type === 'id' || field.type === 'reference') {
    return { ok: true, value: String(value) };
  }
  switch (field.type) {
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
        return { ok: true, value: value.toLowerCase() === 'true' };
      }
      if (typeof value === 'number' && (value === 0 || value === 1)) return { ok: true, value: value === 1 };
      return fail();
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      if (typeof value === 'boolean') return fail();
      const n = typeof value === 'number' ? value : String(value).trim() === '' ? NaN : Number(value);
      if (!Number.isFinite(n)) return fail();
      if (field.type === 'int' && !Number.isInteger(n)) return fail();
      return { ok: true, value: n };
    }
    case 'date': {
      if (typeof value !== 'string') return fail();
      if (value === '') return { ok: true, value: null };
      const d = parseDate(value);
      return d ? { ok: true, value: d } : fail();
    }
    case 'datetime': {
      if (typeof value !== 'string') return fail();
      if (value === '') return { ok: true, value: null };
      const dt = parseDateTime(value);
      return dt ? { ok: true, value: dt } : fail();
    }
    default:
      return fail();
  }
}

/** The Bulk API's marker for "set this field to null"; an empty cell leaves the field unchanged. */
export const CSV_NULL = '#N/A';

/**
 * Converts a CSV cell from a Bulk API upload. `undefined` means "leave unchanged" (an empty cell).
 * A failure is an INVALID_TYPE_ON_FIELD_IN_RECORD error for that row.
 */
export function coerceCsv(field: FieldDef, text: string): Coerced | undefined {
  if (text === '') return undefined;
  if (text === CSV_NULL) return { ok: true, value: field.type === 'boolean' ? false : null };
  const fail = (): Coerced => ({ ok: false, problem: `${field.label}: value not of required type: ${text}` });
  if (isTextType(field.type) || field.type === 'id' || field.type === 'reference') return { ok: true, value: text };
  switch (field.type) {
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['true', '1', 'yes', 'y', 'on'].includes(t)) return { ok: true, value: true };
      if (['false', '0', 'no', 'n', 'off'].includes(t)) return { ok: true, value: false };
      return fail();
    }
    case 'int':
    case 'double':
    case 'currency':
    case 'percent': {
      const n = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(n)) return fail();
      if (field.type === 'int' && !Number.isInteger(n)) return fail();
      return { ok: true, value: n };
    }
    case 'date': {
      const d = parseDate(text);
      return d ? { ok: true, value: d } : fail();
    }
    case 'datetime': {
      const dt = parseDateTime(text);
      return dt ? { ok: true, value: dt } : fail();
    }
    default:
      return fail();
  }
}

/** REST JSON renders datetimes as `2024-05-01T12:34:56.000+0000`. */
export function restDateTime(iso: string): string {
  return iso.replace(/Z$/, '+0000');
}

/** A stored or computed value as REST JSON shows it. */
export function toRestValue(field: FieldDef, value: ComputedValue | undefined): unknown {
  if (value === undefined || value === null) return null;
  if (field.type === 'datetime' && typeof value === 'string') return restDateTime(value);
  return value;
}

/** Compares values the way SOQL does: text case-insensitively, everything else by value. */
export function compareValues(a: FieldValue, b: FieldValue): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const la = a.toLowerCase();
    const lb = b.toLowerCase();
    return la < lb ? -1 : la > lb ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a).localeCompare(String(b));
}

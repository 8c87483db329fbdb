import type { FieldDefinition } from './definitions.js';

// Validation of one incoming cell against its column type. Failures become per-record
// `MERGEFAILED` rows; the message text for type errors is the recorded one
// (`The value "1w" is not valid for the field type INTEGER`).

export type CellCheck = { ok: true; value: string | null } | { ok: false; message: string };

const timestampPatterns = [
  /^\d{4}-\d{2}-\d{2}$/,
  /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/,
];

function invalid(value: string, field: FieldDefinition): CellCheck {
  return { ok: false, message: `The value "${value}" is not valid for the field type ${field.fieldType}` };
}

/** Record values are JSON strings; numbers and booleans are accepted as their text, "" means null. */
export function checkCell(field: FieldDefinition, raw: unknown): CellCheck {
  if (raw === null || raw === undefined) return { ok: true, value: null };
  if (typeof raw === 'object') return invalid(JSON.stringify(raw), field);
  const value = String(raw);
  if (value === '') return { ok: true, value: null };
  const type = field.fieldType;
  if (type.startsWith('STR')) {
    const max = Number(type.slice(3));
    if (value.length > max) {
      return {
        ok: false,
        message: `The value "${value}" exceeds the maximum length of ${max} for the field type ${type}`,
      };
    }
    return { ok: true, value };
  }
  switch (type) {
    case 'CHAR':
      return value.length === 1 ? { ok: true, value } : invalid(value, field);
    case 'INTEGER':
      return /^[+-]?\d{1,18}$/.test(value) ? { ok: true, value } : invalid(value, field);
    case 'NUMBER':
      return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)
        ? { ok: true, value }
        : invalid(value, field);
    case 'TIMESTAMP': {
      const shaped = timestampPatterns.some((p) => p.test(value));
      const parsed = Date.parse(value.includes('T') || value.length === 10 ? value : value.replace(' ', 'T'));
      return shaped && !Number.isNaN(parsed) ? { ok: true, value } : invalid(value, field);
    }
    default:
      return { ok: true, value };
  }
}

/** A deliberately plain address check: one `@`, no spaces, a dot in the domain. */
export function isEmailAddress(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

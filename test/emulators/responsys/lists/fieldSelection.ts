import type { Request } from 'express';
import type { FieldDefinition } from '../account/definitions.js';
import { errors } from '../http/wire.js';

/** First value of a query parameter (repeated parameters arrive as arrays). */
export function queryValue(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export function queryValues(req: Request, name: string): string[] {
  const value = (req.query as Record<string, unknown>)[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/**
 * The `fs` field selection of retrieve calls: `all` or comma-separated names (≤150 characters).
 * RIID_ always comes first, so a caller can tell whose row it is.
 */
export function selectFields(
  table: { fields: FieldDefinition[]; column(name: string): FieldDefinition | undefined },
  selection: string[] | string | undefined,
  options: { maxLength?: number; alwaysRiid?: boolean } = {},
): FieldDefinition[] {
  const names = typeof selection === 'string' ? selection.split(',') : (selection ?? []);
  const text = names.join(',');
  if (text.trim() === '') throw errors.invalidParameter('Field list (fs) is null OR empty');
  if (options.maxLength !== undefined && text.length > options.maxLength) {
    throw errors.invalidParameter(`Field list (fs) exceeds ${options.maxLength} characters`);
  }
  if (names.length === 1 && names[0]!.trim().toLowerCase() === 'all') return table.fields;
  const fields: FieldDefinition[] = [];
  const unknown: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (name === '') continue;
    const field = table.column(name);
    if (!field) unknown.push(name);
    else if (!fields.includes(field)) fields.push(field);
  }
  if (unknown.length > 0) throw errors.invalidFieldName(`Invalid field name(s): ${unknown.join(', ')}`);
  const riid = table.column('RIID_');
  if (options.alwaysRiid !== false && riid && !fields.includes(riid)) fields.unshift(riid);
  return fields;
}

export function project(row: Record<string, string | null>, fields: FieldDefinition[]): Array<string | null> {
  return fields.map((f) => row[f.fieldName] ?? null);
}

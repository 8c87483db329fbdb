import { BridgeError } from '../shared/errors.js';

// Small, safe building blocks for SOQL the bridge writes itself: record ids in both lengths, quoted
// literals, and names checked before they are put into a query.

export type SObjectRecord = Record<string, unknown> & { Id: string };

const ID_PATTERN = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export function isSalesforceId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** The 18-character, case-safe form of a record id (15-character ids get their checksum suffix). */
export function toId18(id: string): string {
  if (!ID_PATTERN.test(id))
    throw new BridgeError('VALIDATION_FAILED', `"${id}" is not a Salesforce record id`);
  if (id.length === 18) return id;
  let suffix = '';
  for (let block = 0; block < 3; block += 1) {
    let bits = 0;
    for (let position = 0; position < 5; position += 1) {
      const char = id.charAt(block * 5 + position);
      if (char >= 'A' && char <= 'Z') bits |= 1 << position;
    }
    suffix += SUFFIX_ALPHABET.charAt(bits);
  }
  return id + suffix;
}

/** Id prefixes of the objects the bridge syncs. */
export const ID_PREFIXES = { Lead: '00Q', Contact: '003', Account: '001', Opportunity: '006' } as const;

export function objectTypeOfId(id: string): 'Lead' | 'Contact' | undefined {
  if (id.startsWith(ID_PREFIXES.Lead)) return 'Lead';
  if (id.startsWith(ID_PREFIXES.Contact)) return 'Contact';
  return undefined;
}

/** A SOQL string literal. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const PATH = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*$/;

/** An object API name, checked. */
export function soqlObject(name: string): string {
  if (!NAME.test(name)) throw new BridgeError('VALIDATION_FAILED', `"${name}" is not an object API name`);
  return name;
}

/** Field API names (parent fields as `Account.Name`), checked and de-duplicated case-insensitively. */
export function soqlFields(fields: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const field of fields) {
    if (!PATH.test(field)) throw new BridgeError('VALIDATION_FAILED', `"${field}" is not a field API name`);
    if (!seen.has(field.toLowerCase())) seen.set(field.toLowerCase(), field);
  }
  return [...seen.values()];
}

/** Removes the `attributes` entries jsforce leaves on records and on parent records. */
export function stripAttributes<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => stripAttributes(item)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (key !== 'attributes') result[key] = stripAttributes(item);
    }
    return result as T;
  }
  return value;
}

// Responsys naming rules and the profile list's system columns (responsys-api.md sections 2.5 and 10).

/** Match columns of list merges (with the trailing underscore system columns have). */
export const listMatchColumns = [
  'RIID_',
  'CUSTOMER_ID_',
  'EMAIL_ADDRESS_',
  'MOBILE_NUMBER_',
  'EMAIL_MD5_HASH_',
  'EMAIL_SHA256_HASH_',
] as const;
export type ListMatchColumn = (typeof listMatchColumns)[number];

/** Match columns of PET merges: the same keys WITHOUT the trailing underscore. */
export type ExtensionMatchColumn =
  'RIID' | 'CUSTOMER_ID' | 'EMAIL_ADDRESS' | 'MOBILE_NUMBER' | 'EMAIL_MD5_HASH' | 'EMAIL_SHA256_HASH';

/** System columns of every profile list; `readOnly` ones are maintained by Responsys. */
export const profileListSystemColumns: ReadonlyMap<string, { readOnly: boolean }> = new Map([
  ['RIID_', { readOnly: true }],
  ['CREATED_SOURCE_IP_', { readOnly: true }],
  ['CUSTOMER_ID_', { readOnly: false }],
  ['EMAIL_ADDRESS_', { readOnly: false }],
  ['EMAIL_DOMAIN_', { readOnly: true }],
  ['EMAIL_ISP_', { readOnly: true }],
  ['EMAIL_FORMAT_', { readOnly: false }],
  ['EMAIL_PERMISSION_STATUS_', { readOnly: false }],
  ['EMAIL_DELIVERABILITY_STATUS_', { readOnly: true }],
  ['EMAIL_PERMISSION_REASON_', { readOnly: true }],
  ['EMAIL_MD5_HASH_', { readOnly: true }],
  ['EMAIL_SHA256_HASH_', { readOnly: true }],
  ['MOBILE_NUMBER_', { readOnly: false }],
  ['MOBILE_COUNTRY_', { readOnly: false }],
  ['MOBILE_PERMISSION_STATUS_', { readOnly: false }],
  ['MOBILE_DELIVERABILITY_STATUS_', { readOnly: true }],
  ['MOBILE_PERMISSION_REASON_', { readOnly: true }],
  ['POSTAL_STREET_1_', { readOnly: false }],
  ['POSTAL_STREET_2_', { readOnly: false }],
  ['CITY_', { readOnly: false }],
  ['STATE_', { readOnly: false }],
  ['POSTAL_CODE_', { readOnly: false }],
  ['COUNTRY_', { readOnly: false }],
  ['POSTAL_PERMISSION_STATUS_', { readOnly: false }],
  ['POSTAL_DELIVERABILITY_STATUS_', { readOnly: true }],
  ['POSTAL_PERMISSION_REASON_', { readOnly: true }],
  ['CREATED_DATE_', { readOnly: true }],
  ['MODIFIED_DATE_', { readOnly: true }],
]);

const reservedSingleLetters = new Set(['A', 'E', 'G', 'K', 'M', 'P', 'T', 'U']);

/**
 * Why `name` is not a valid custom column name (≤30 characters of A-Z a-z 0-9 $ # _, starting with a
 * letter, not ending with `_`, not one of the reserved single letters), or undefined when it is.
 */
export function customColumnNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > 30) return `is ${name.length} characters long (at most 30)`;
  if (!/^[A-Za-z]/.test(name)) return 'must start with a letter';
  if (!/^[A-Za-z0-9$#_]+$/.test(name)) return 'may only contain letters, digits, $, # and _';
  if (name.endsWith('_')) return 'ends with "_", which Responsys reserves for system columns';
  if (reservedSingleLetters.has(name.toUpperCase())) return 'is a single letter Responsys reserves';
  return undefined;
}

/** A name that can appear in `fieldNames` of a list or PET merge: a system column or a custom one. */
export function isListColumnName(name: string): boolean {
  return profileListSystemColumns.has(name.toUpperCase()) || customColumnNameProblem(name) === undefined;
}

/** Supplemental-table columns follow the custom naming rules but keep their case. */
export function isTableColumnName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9$#_]{0,29}$/.test(name);
}

/** Maximum length of a column type such as `STR50`, undefined for other types. */
export function columnMaxLength(fieldType: string | undefined): number | undefined {
  const match = /^STR(\d+)$/i.exec(fieldType ?? '');
  if (match) return Number(match[1]);
  if (fieldType?.toUpperCase() === 'CHAR') return 1;
  return undefined;
}

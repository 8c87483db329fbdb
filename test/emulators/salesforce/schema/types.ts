// The emulator's schema model. Field and object properties carry the names and meanings of the
// Salesforce describe result (createable, updateable, nillable, defaultedOnCreate, ...), so validation,
// SOQL and describe all read the same facts.

export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'picklist'
  | 'multipicklist'
  | 'combobox'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'reference'
  | 'address';

/** A stored field value: text, number, boolean, ISO date (`YYYY-MM-DD`) or datetime (ISO, UTC), or null. */
export type FieldValue = string | number | boolean | null;
export type StoredRecord = Record<string, FieldValue>;

export interface PicklistValue {
  value: string;
  label: string;
  active: boolean;
  defaultValue: boolean;
}

/** Read-only view of the data a computed field needs (a parent or related record). */
export interface RecordLookup {
  get(id: string): StoredRecord | undefined;
  /** Live (not deleted) records of `objectName` whose `referenceField` points at `parentId`. */
  children(objectName: string, referenceField: string, parentId: string): StoredRecord[];
}

/** What a computed field yields: a scalar, or the object of a compound address field. */
export type ComputedValue = FieldValue | { [key: string]: FieldValue };

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  length: number;
  precision: number;
  scale: number;
  digits: number;
  nillable: boolean;
  createable: boolean;
  updateable: boolean;
  defaultedOnCreate: boolean;
  unique: boolean;
  externalId: boolean;
  idLookup: boolean;
  caseSensitive: boolean;
  calculated: boolean;
  autoNumber: boolean;
  custom: boolean;
  filterable: boolean;
  sortable: boolean;
  groupable: boolean;
  nameField: boolean;
  picklistValues: PicklistValue[];
  restrictedPicklist: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  /** On a reference field: what deleting the parent does to this record. */
  deleteConstraint: 'SetNull' | 'Cascade' | 'Restrict' | null;
  /** On a reference field: the name of the relationship seen from the parent (`Contacts`), if any. */
  childRelationshipName: string | null;
  compoundFieldName: string | null;
  /** Checkbox default or formula-free default value applied on create. */
  defaultValue: FieldValue;
  inlineHelpText: string | null;
  /** AutoNumber display format, e.g. `ENG-{00000000}`. */
  displayFormat: string | null;
  /** Values computed when read (compound fields, values mirrored from a related record). */
  compute?: (record: StoredRecord, lookup: RecordLookup) => ComputedValue;
}

export type ObjectKind = 'standard' | 'custom' | 'metadata' | 'event';

export interface ChildRelationship {
  childSObject: string;
  field: string;
  relationshipName: string | null;
  cascadeDelete: boolean;
  restrictedDelete: boolean;
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  kind: ObjectKind;
  custom: boolean;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  queryable: boolean;
  searchable: boolean;
  triggerable: boolean;
  undeletable: boolean;
  fields: FieldDef[];
  /** Filled by the catalog once every object is known. */
  childRelationships: ChildRelationship[];
}

export type FieldOptions = Partial<Omit<FieldDef, 'name' | 'type' | 'label'>>;

const STRINGISH: ReadonlySet<FieldType> = new Set([
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'picklist',
  'multipicklist',
  'combobox',
]);

export function isTextType(type: FieldType): boolean {
  return STRINGISH.has(type);
}

export function isNumericType(type: FieldType): boolean {
  return type === 'int' || type === 'double' || type === 'currency' || type === 'percent';
}

/** A field with the defaults Salesforce gives an ordinary, editable, nillable field of that type. */
export function field(name: string, type: FieldType, label: string, options: FieldOptions = {}): FieldDef {
  const longText = type === 'textarea' && (options.length ?? 255) > 255;
  const filterable = !(longText || type === 'address' || type === 'multipicklist');
  const sortable = filterable;
  const groupable =
    sortable && !['double', 'currency', 'percent', 'datetime', 'textarea'].includes(type) && !longText;
  const base: FieldDef = {
    name,
    label,
    type,
    length: 0,
    precision: 0,
    scale: 0,
    digits: 0,
    nillable: type !== 'boolean',
    createable: true,
    updateable: true,
    defaultedOnCreate: type === 'boolean',
    unique: false,
    externalId: false,
    idLookup: false,
    caseSensitive: false,
    calculated: false,
    autoNumber: false,
    custom: name.endsWith('__c'),
    filterable,
    sortable,
    groupable,
    nameField: false,
    picklistValues: [],
    restrictedPicklist: false,
    referenceTo: [],
    relationshipName: null,
    deleteConstraint: null,
    childRelationshipName: null,
    compoundFieldName: null,
    defaultValue: type === 'boolean' ? false : null,
    inlineHelpText: null,
    displayFormat: null,
  };
  return { ...base, ...options };
}

export function picklist(values: Array<string | [string, string]>, defaultValue?: string): PicklistValue[] {
  return values.map((entry) => {
    const [value, label] = Array.isArray(entry) ? entry : [entry, entry];
    return { value, label, active: true, defaultValue: value === defaultValue };
  });
}

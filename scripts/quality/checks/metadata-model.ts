import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { listFiles } from './files.js';

// What the package defines, read from its Salesforce DX source files: the gate compares this with the
// contract (contract-names.json) and with every name the code refers to.

export type ObjectKind = 'standard' | 'custom' | 'platformEvent' | 'customMetadata';

export interface FieldDefinition {
  object: string;
  name: string;
  file: string;
  type?: string;
  length?: number;
  precision?: number;
  scale?: number;
  externalId: boolean;
  unique: boolean;
  required: boolean;
  values: string[];
  referenceTo?: string;
  relationshipName?: string;
}

export interface ObjectDefinition {
  name: string;
  kind: ObjectKind;
  file?: string;
  properties: Record<string, unknown>;
  fields: Map<string, FieldDefinition>;
}

export interface CustomMetadataRecord {
  type: string;
  name: string;
  file: string;
  values: { field: string; value: unknown; xsiType?: string; nil: boolean }[];
}

export interface PermissionSetDefinition {
  name: string;
  file: string;
  customPermissions: string[];
  classAccesses: string[];
  customMetadataTypes: string[];
  objects: { object: string; read: boolean; create: boolean; edit: boolean; del: boolean }[];
  fields: { field: string; readable: boolean; editable: boolean }[];
}

export interface PackageMetadata {
  objects: Map<string, ObjectDefinition>;
  customPermissions: Set<string>;
  permissionSets: Map<string, PermissionSetDefinition>;
  customMetadataRecords: CustomMetadataRecord[];
  apexClasses: Set<string>;
}

const REPEATED_PATHS = new Set([
  'CustomField.valueSet.valueSetDefinition.value',
  'CustomMetadata.values',
  'PermissionSet.fieldPermissions',
  'PermissionSet.objectPermissions',
  'PermissionSet.classAccesses',
  'PermissionSet.customPermissions',
  'PermissionSet.customMetadataTypeAccesses',
  'PermissionSet.userPermissions',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jPath) => REPEATED_PATHS.has(String(jPath)),
});

export function objectKind(name: string): ObjectKind {
  if (name.endsWith('__c')) return 'custom';
  if (name.endsWith('__e')) return 'platformEvent';
  if (name.endsWith('__mdt')) return 'customMetadata';
  return 'standard';
}

async function parseFile(file: string): Promise<Record<string, unknown>> {
  return parser.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') {
    const inner = (value as Record<string, unknown>)['#text'];
    return inner === undefined ? undefined : String(inner);
  }
  return String(value);
}

function number(value: unknown): number | undefined {
  const raw = text(value);
  return raw === undefined || raw === '' ? undefined : Number(raw);
}

function bool(value: unknown): boolean {
  return text(value) === 'true';
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(asRecord) : value === undefined ? [] : [asRecord(value)];
}

function ensureObject(objects: Map<string, ObjectDefinition>, name: string): ObjectDefinition {
  let object = objects.get(name);
  if (!object) {
    object = { name, kind: objectKind(name), properties: {}, fields: new Map() };
    objects.set(name, object);
  }
  return object;
}

/** Reads objects, fields, custom metadata records, custom permissions, permission sets and class names. */
export async function loadPackageMetadata(forceAppDir: string): Promise<PackageMetadata> {
  const files = await listFiles(forceAppDir, (name) => name.endsWith('-meta.xml'));
  const metadata: PackageMetadata = {
    objects: new Map(),
    customPermissions: new Set(),
    permissionSets: new Map(),
    customMetadataRecords: [],
    apexClasses: new Set(),
  };
  for (const file of files) {
    const name = basename(file);
    if (name.endsWith('.object-meta.xml')) {
      const object = ensureObject(metadata.objects, name.slice(0, -'.object-meta.xml'.length));
      object.file = file;
      object.properties = asRecord((await parseFile(file)).CustomObject);
    } else if (name.endsWith('.field-meta.xml') && basename(dirname(file)) === 'fields') {
      const objectName = basename(dirname(dirname(file)));
      const field = asRecord((await parseFile(file)).CustomField);
      const fieldName = text(field.fullName) ?? name.slice(0, -'.field-meta.xml'.length);
      const valueSet = asRecord(asRecord(field.valueSet).valueSetDefinition);
      ensureObject(metadata.objects, objectName).fields.set(fieldName, {
        object: objectName,
        name: fieldName,
        file,
        type: text(field.type),
        length: number(field.length),
        precision: number(field.precision),
        scale: number(field.scale),
        externalId: bool(field.externalId),
        unique: bool(field.unique),
        required: bool(field.required),
        values: list(valueSet.value).map((value) => text(value.fullName) ?? ''),
        referenceTo: text(field.referenceTo),
        relationshipName: text(field.relationshipName),
      });
    } else if (name.endsWith('.md-meta.xml')) {
      const [type = '', recordName = ''] = name.slice(0, -'.md-meta.xml'.length).split('.');
      const record = asRecord((await parseFile(file)).CustomMetadata);
      metadata.customMetadataRecords.push({
        type: `${type}__mdt`,
        name: recordName,
        file,
        values: list(record.values).map((entry) => {
          const value = asRecord(entry).value;
          const attributes = asRecord(value);
          return {
            field: text(entry.field) ?? '',
            value: text(value),
            xsiType: typeof attributes['@_xsi:type'] === 'string' ? attributes['@_xsi:type'] : undefined,
            nil: attributes['@_xsi:nil'] === 'true',
          };
        }),
      });
    } else if (name.endsWith('.customPermission-meta.xml')) {
      metadata.customPermissions.add(name.slice(0, -'.customPermission-meta.xml'.length));
    } else if (name.endsWith('.permissionset-meta.xml')) {
      const permissionSet = asRecord((await parseFile(file)).PermissionSet);
      const setName = name.slice(0, -'.permissionset-meta.xml'.length);
      metadata.permissionSets.set(setName, {
        name: setName,
        file,
        customPermissions: list(permissionSet.customPermissions)
          .filter((entry) => bool(entry.enabled))
          .map((entry) => text(entry.name) ?? ''),
        classAccesses: list(permissionSet.classAccesses)
          .filter((entry) => bool(entry.enabled))
          .map((entry) => text(entry.apexClass) ?? ''),
        customMetadataTypes: list(permissionSet.customMetadataTypeAccesses)
          .filter((entry) => bool(entry.enabled))
          .map((entry) => text(entry.name) ?? ''),
        objects: list(permissionSet.objectPermissions).map((entry) => ({
          object: text(entry.object) ?? '',
          read: bool(entry.allowRead),
          create: bool(entry.allowCreate),
          edit: bool(entry.allowEdit),
          del: bool(entry.allowDelete),
        })),
        fields: list(permissionSet.fieldPermissions).map((entry) => ({
          field: text(entry.field) ?? '',
          readable: bool(entry.readable),
          editable: bool(entry.editable),
        })),
      });
    } else if (name.endsWith('.cls-meta.xml')) {
      metadata.apexClasses.add(name.slice(0, -'.cls-meta.xml'.length));
    }
  }
  return metadata;
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import {
  field,
  picklist,
  type FieldDef,
  type FieldValue,
  type ObjectDef,
  type PicklistValue,
} from './types.js';

// Reads the package's source-format metadata (force-app) so the emulator serves exactly what the
// package defines: custom fields on standard objects, custom objects, platform events, custom
// metadata types and their records, permission sets and custom permissions. Anything the loader
// does not understand is reported in `problems` rather than guessed.

export interface CustomMetadataRecord {
  type: string;
  developerName: string;
  label: string;
  protected: boolean;
  values: Record<string, FieldValue>;
}

export interface PermissionSetDef {
  name: string;
  label: string;
  description: string | null;
  customPermissions: string[];
}

export interface CustomPermissionDef {
  name: string;
  label: string;
  description: string | null;
}

export interface PackageMetadata {
  /** Custom objects (`__c`), custom metadata types (`__mdt`) and platform events (`__e`). */
  objects: ObjectDef[];
  /** Custom fields the package adds to standard objects, by object name. */
  standardObjectFields: Map<string, FieldDef[]>;
  customMetadataRecords: CustomMetadataRecord[];
  permissionSets: PermissionSetDef[];
  customPermissions: CustomPermissionDef[];
  problems: string[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) =>
    [
      'CustomField.valueSet.valueSetDefinition.value',
      'CustomObject.fields.valueSet.valueSetDefinition.value',
      'CustomObject.fields',
      'CustomMetadata.values',
      'PermissionSet.customPermissions',
    ].includes(String(jpath)),
});

type XmlNode = Record<string, unknown>;

function readXml(path: string, root: string): XmlNode {
  let parsed: XmlNode;
  try {
    parsed = parser.parse(readFileSync(path, 'utf8')) as XmlNode;
  } catch (error) {
    throw new Error(`cannot parse package metadata ${path}: ${(error as Error).message}`, { cause: error });
  }
  const node = parsed[root];
  if (!node || typeof node !== 'object') throw new Error(`${path} has no <${root}> element`);
  return node as XmlNode;
}

function str(node: XmlNode, key: string): string | undefined {
  const v = node[key];
  if (v === undefined || v === null || typeof v === 'object') return undefined;
  return String(v);
}

function flag(node: XmlNode, key: string): boolean {
  return str(node, key) === 'true';
}

function num(node: XmlNode, key: string): number | undefined {
  const v = str(node, key);
  return v === undefined ? undefined : Number(v);
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Every `main/default`-style source folder under the package directory (or the folder itself). */
function sourceRoots(forceAppDir: string): string[] {
  const roots: string[] = [];
  const visit = (dir: string, depth: number) => {
    const entries = listDir(dir);
    if (
      ['objects', 'customMetadata', 'permissionsets', 'customPermissions'].some((e) => entries.includes(e))
    ) {
      roots.push(dir);
      return;
    }
    if (depth === 0) return;
    for (const entry of entries) {
      const child = join(dir, entry);
      if (isDir(child)) visit(child, depth - 1);
    }
  };
  visit(forceAppDir, 3);
  return roots;
}

function picklistValues(
  fieldNode: XmlNode,
  problems: string[],
  where: string,
): {
  values: PicklistValue[];
  restricted: boolean;
} {
  const valueSet = fieldNode.valueSet as XmlNode | undefined;
  if (!valueSet) return { values: [], restricted: false };
  if (valueSet.valueSetName) {
    problems.push(
      `${where}: global value set ${String(valueSet.valueSetName)} is not loaded; values unrestricted`,
    );
    return { values: [], restricted: false };
  }
  const definition = (valueSet.valueSetDefinition ?? {}) as XmlNode;
  const entries = (definition.value ?? []) as XmlNode[];
  const values = entries.map((entry) => ({
    value: str(entry, 'fullName') ?? '',
    label: str(entry, 'label') ?? str(entry, 'fullName') ?? '',
    active: str(entry, 'isActive') !== 'false',
    defaultValue: flag(entry, 'default'),
  }));
  return { values, restricted: flag(valueSet, 'restricted') };
}

/** A quoted formula literal default (`"abc"`), or undefined for anything that needs evaluating. */
function literalDefault(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const m = /^"(.*)"$/s.exec(raw.trim()) ?? /^'(.*)'$/s.exec(raw.trim());
  return m ? m[1] : undefined;
}

function customField(node: XmlNode, objectName: string, problems: string[]): FieldDef | undefined {
  const name = str(node, 'fullName');
  const type = str(node, 'type');
  const where = `${objectName}.${name ?? '?'}`;
  if (!name || !type) {
    problems.push(`${where}: field without fullName or type`);
    return undefined;
  }
  const label = str(node, 'label') ?? name;
  const required = flag(node, 'required');
  const common = {
    nillable: !required,
    externalId: flag(node, 'externalId'),
    unique: flag(node, 'unique'),
    caseSensitive: flag(node, 'caseSensitive'),
    inlineHelpText: str(node, 'inlineHelpText') ?? null,
  };
  const idLookup = common.externalId || common.unique;
  if (str(node, 'formula') !== undefined) {
    problems.push(
      `${where}: formula fields are served read-only and always null (formulas are not evaluated)`,
    );
  }
  const formula =
    str(node, 'formula') !== undefined ? { createable: false, updateable: false, calculated: true } : {};
  switch (type) {
    case 'Text':
      return field(name, 'string', label, {
        ...common,
        length: num(node, 'length') ?? 255,
        idLookup,
        ...formula,
      });
    case 'TextArea':
      return field(name, 'textarea', label, { ...common, length: 255, ...formula });
    case 'LongTextArea':
    case 'Html':
      return field(name, 'textarea', label, { ...common, length: num(node, 'length') ?? 32768, ...formula });
    case 'Email':
      return field(name, 'email', label, { ...common, length: 80, idLookup, ...formula });
    case 'Phone':
      return field(name, 'phone', label, { ...common, length: 40, ...formula });
    case 'Url':
      return field(name, 'url', label, { ...common, length: 255, ...formula });
    case 'Checkbox':
      return field(name, 'boolean', label, {
        defaultValue: str(node, 'defaultValue') === 'true',
        inlineHelpText: common.inlineHelpText,
        ...formula,
      });
    case 'Number':
    case 'Currency':
    case 'Percent': {
      const precision = num(node, 'precision') ?? 18;
      const scale = num(node, 'scale') ?? 0;
      const describeType = type === 'Number' ? 'double' : type === 'Currency' ? 'currency' : 'percent';
      return field(name, describeType, label, { ...common, precision, scale, idLookup, ...formula });
    }
    case 'Date':
      return field(name, 'date', label, { ...common, ...formula });
    case 'DateTime':
      return field(name, 'datetime', label, { ...common, ...formula });
    case 'Picklist':
    case 'MultiselectPicklist': {
      const { values, restricted } = picklistValues(node, problems, where);
      return field(name, type === 'Picklist' ? 'picklist' : 'multipicklist', label, {
        ...common,
        length: type === 'Picklist' ? 255 : 4099,
        picklistValues: values,
        restrictedPicklist: restricted,
        defaultedOnCreate: values.some((v) => v.defaultValue),
      });
    }
    case 'Lookup':
    case 'MasterDetail': {
      const referenceTo = str(node, 'referenceTo');
      if (!referenceTo) {
        problems.push(`${where}: ${type} without referenceTo`);
        return undefined;
      }
      const relationshipName = str(node, 'relationshipName');
      const master = type === 'MasterDetail';
      return field(name, 'reference', label, {
        ...common,
        nillable: master ? false : common.nillable,
        length: 18,
        referenceTo: [referenceTo],
        // From the child, the parent is `Contact__r`; from the parent, the children are `<relationshipName>__r`.
        relationshipName: name.replace(/__c$/, '__r'),
        childRelationshipName: relationshipName ? `${relationshipName}__r` : null,
        deleteConstraint: master
          ? 'Cascade'
          : ((str(node, 'deleteConstraint') as FieldDef['deleteConstraint']) ?? 'SetNull'),
        updateable: master ? flag(node, 'reparentableMasterDetail') : true,
      });
    }
    case 'AutoNumber':
      return field(name, 'string', label, {
        length: 30,
        createable: false,
        updateable: false,
        autoNumber: true,
        defaultedOnCreate: true,
        nillable: false,
        externalId: common.externalId,
        idLookup: common.externalId,
        displayFormat: str(node, 'displayFormat') ?? '{0}',
      });
    default:
      problems.push(`${where}: field type ${type} is not emulated; served as read-only text`);
      return field(name, 'string', label, { length: 255, createable: false, updateable: false });
  }
}

function applyTextDefault(def: FieldDef, node: XmlNode): FieldDef {
  if (def.type === 'boolean') return def;
  const literal = literalDefault(str(node, 'defaultValue'));
  if (literal === undefined) return def;
  return { ...def, defaultValue: literal, defaultedOnCreate: true };
}

/** Fields in source format (`fields/*.field-meta.xml`) plus any inline in the object file (mdapi format). */
function readFields(
  objectDir: string,
  objectName: string,
  problems: string[],
  inline: XmlNode[],
): FieldDef[] {
  const fieldsDir = join(objectDir, 'fields');
  const nodes = [...inline];
  for (const file of listDir(fieldsDir)) {
    if (file.endsWith('.field-meta.xml')) nodes.push(readXml(join(fieldsDir, file), 'CustomField'));
  }
  const fields: FieldDef[] = [];
  for (const node of nodes) {
    const def = customField(node, objectName, problems);
    if (def) fields.push(applyTextDefault({ ...def, custom: true }, node));
  }
  return fields;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function systemFields(owner: boolean, activities: boolean): FieldDef[] {
  const ro = { createable: false, updateable: false };
  const audit = { ...ro, nillable: false, defaultedOnCreate: true };
  const fields: FieldDef[] = [];
  if (owner) {
    fields.push(
      field('OwnerId', 'reference', 'Owner ID', {
        length: 18,
        referenceTo: ['Group', 'User'],
        relationshipName: 'Owner',
        nillable: false,
        defaultedOnCreate: true,
      }),
    );
  }
  fields.push(
    field('IsDeleted', 'boolean', 'Deleted', ro),
    field('CreatedDate', 'datetime', 'Created Date', audit),
    field('CreatedById', 'reference', 'Created By ID', {
      ...audit,
      length: 18,
      referenceTo: ['User'],
      relationshipName: 'CreatedBy',
    }),
    field('LastModifiedDate', 'datetime', 'Last Modified Date', audit),
    field('LastModifiedById', 'reference', 'Last Modified By ID', {
      ...audit,
      length: 18,
      referenceTo: ['User'],
      relationshipName: 'LastModifiedBy',
    }),
    field('SystemModstamp', 'datetime', 'System Modstamp', audit),
  );
  if (activities) fields.push(field('LastActivityDate', 'date', 'Last Activity Date', ro));
  fields.push(
    field('LastViewedDate', 'datetime', 'Last Viewed Date', ro),
    field('LastReferencedDate', 'datetime', 'Last Referenced Date', ro),
  );
  return fields;
}

function customObject(
  name: string,
  node: XmlNode,
  fields: FieldDef[],
  keyPrefix: string,
  problems: string[],
): ObjectDef {
  const label = str(node, 'label') ?? name;
  const nameField = (node.nameField ?? {}) as XmlNode;
  const autoNumber = str(nameField, 'type') === 'AutoNumber';
  const nameDef = autoNumber
    ? field('Name', 'string', str(nameField, 'label') ?? `${label} Name`, {
        length: 80,
        createable: false,
        updateable: false,
        nillable: false,
        defaultedOnCreate: true,
        autoNumber: true,
        nameField: true,
        displayFormat: str(nameField, 'displayFormat') ?? '{0}',
      })
    : field('Name', 'string', str(nameField, 'label') ?? `${label} Name`, {
        length: 80,
        nameField: true,
        defaultedOnCreate: true,
      });
  if (!node.nameField) problems.push(`${name}: no nameField in the object definition; Name is Text(80)`);
  const hasMaster = fields.some(
    (f) => f.type === 'reference' && f.deleteConstraint === 'Cascade' && !f.nillable,
  );
  return {
    name,
    label,
    labelPlural: str(node, 'pluralLabel') ?? label,
    keyPrefix,
    kind: 'custom',
    custom: true,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    searchable: flag(node, 'enableSearch'),
    triggerable: true,
    undeletable: true,
    childRelationships: [],
    fields: [
      field('Id', 'id', 'Record ID', {
        length: 18,
        nillable: false,
        createable: false,
        updateable: false,
        defaultedOnCreate: true,
        idLookup: true,
      }),
      nameDef,
      ...systemFields(!hasMaster, flag(node, 'enableActivities')),
      ...fields,
    ],
  };
}

function metadataType(name: string, node: XmlNode, fields: FieldDef[], keyPrefix: string): ObjectDef {
  const ro = { createable: false, updateable: false };
  const text = (fieldName: string, label: string, length: number) =>
    field(fieldName, 'string', label, { ...ro, length, nillable: false });
  return {
    name,
    label: str(node, 'label') ?? name,
    labelPlural: str(node, 'pluralLabel') ?? str(node, 'label') ?? name,
    keyPrefix,
    kind: 'metadata',
    custom: true,
    createable: false,
    updateable: false,
    deletable: false,
    queryable: true,
    searchable: false,
    triggerable: false,
    undeletable: false,
    childRelationships: [],
    fields: [
      field('Id', 'id', 'Custom Metadata Record ID', { ...ro, length: 18, nillable: false, idLookup: true }),
      text('DeveloperName', 'Custom Metadata Record Name', 40),
      text('MasterLabel', 'Label', 40),
      field('Language', 'picklist', 'Master Language', {
        ...ro,
        length: 40,
        picklistValues: picklist(['en_US']),
      }),
      field('NamespacePrefix', 'string', 'Namespace Prefix', { ...ro, length: 15 }),
      text('Label', 'Label', 40),
      text('QualifiedApiName', 'Qualified API Name', 70),
      field('SystemModstamp', 'datetime', 'System Modstamp', { ...ro, nillable: false }),
      ...fields.map((f) => ({ ...f, createable: false, updateable: false })),
    ],
  };
}

function platformEvent(name: string, node: XmlNode, fields: FieldDef[], keyPrefix: string): ObjectDef {
  const ro = { createable: false, updateable: false };
  return {
    name,
    label: str(node, 'label') ?? name,
    labelPlural: str(node, 'pluralLabel') ?? str(node, 'label') ?? name,
    keyPrefix,
    kind: 'event',
    custom: true,
    createable: true,
    updateable: false,
    deletable: false,
    queryable: false,
    searchable: false,
    triggerable: true,
    undeletable: false,
    childRelationships: [],
    fields: [
      field('ReplayId', 'string', 'Replay ID', { ...ro, length: 255 }),
      field('CreatedDate', 'datetime', 'Created Date', { ...ro, nillable: false, defaultedOnCreate: true }),
      field('CreatedById', 'reference', 'Created By ID', {
        ...ro,
        length: 18,
        nillable: false,
        defaultedOnCreate: true,
        referenceTo: ['User'],
        relationshipName: 'CreatedBy',
      }),
      field('EventUuid', 'string', 'Event UUID', { ...ro, length: 36 }),
      ...fields.map((f) => ({ ...f, updateable: false })),
    ],
  };
}

function mdtValue(raw: unknown, def: FieldDef | undefined): FieldValue {
  if (raw === undefined || raw === null || raw === '') return null;
  if (typeof raw === 'object') {
    const node = raw as XmlNode;
    if (node['@_xsi:nil'] === 'true') return null;
    return mdtValue(node['#text'] ?? null, def);
  }
  const text = String(raw);
  if (def?.type === 'boolean') return text === 'true';
  if (def && ['double', 'int', 'currency', 'percent'].includes(def.type)) return Number(text);
  return text;
}

export function loadPackageMetadata(forceAppDir: string): PackageMetadata {
  const problems: string[] = [];
  const objects: ObjectDef[] = [];
  const standardObjectFields = new Map<string, FieldDef[]>();
  const customMetadataRecords: CustomMetadataRecord[] = [];
  const permissionSets: PermissionSetDef[] = [];
  const customPermissions: CustomPermissionDef[] = [];
  // Event ids answer publishes as e01... on Salesforce (salesforce-api.md section 3).
  const prefixCounters = { custom: 0, metadata: 0, event: 1 };
  const nextPrefix = (kind: keyof typeof prefixCounters, letter: string) =>
    `${letter}0${BASE62[prefixCounters[kind]++ % 62]}`;

  for (const root of sourceRoots(forceAppDir)) {
    const objectsDir = join(root, 'objects');
    for (const objectName of listDir(objectsDir)) {
      const objectDir = join(objectsDir, objectName);
      if (!isDir(objectDir)) continue;
      const definitionFile = join(objectDir, `${objectName}.object-meta.xml`);
      const hasDefinition = listDir(objectDir).includes(basename(definitionFile));
      const node = hasDefinition ? readXml(definitionFile, 'CustomObject') : undefined;
      const fields = readFields(objectDir, objectName, problems, (node?.fields ?? []) as XmlNode[]);
      const isCustom = /__(c|mdt|e)$/.test(objectName);
      if (!isCustom) {
        standardObjectFields.set(objectName, [...(standardObjectFields.get(objectName) ?? []), ...fields]);
        continue;
      }
      if (!node) {
        problems.push(`${objectName}: no ${basename(definitionFile)}; object skipped`);
        continue;
      }
      if (objectName.endsWith('__mdt')) {
        objects.push(metadataType(objectName, node, fields, nextPrefix('metadata', 'm')));
      } else if (objectName.endsWith('__e')) {
        objects.push(platformEvent(objectName, node, fields, nextPrefix('event', 'e')));
      } else {
        objects.push(customObject(objectName, node, fields, nextPrefix('custom', 'a'), problems));
      }
    }

    for (const file of listDir(join(root, 'customMetadata'))) {
      const m = /^(.+?)\.(.+)\.md-meta\.xml$/.exec(file);
      if (!m) continue;
      const [, typeBase, developerName] = m as unknown as [string, string, string];
      const node = readXml(join(root, 'customMetadata', file), 'CustomMetadata');
      const type = `${typeBase}__mdt`;
      const typeDef = objects.find((o) => o.name === type);
      if (!typeDef) problems.push(`${file}: custom metadata type ${type} is not defined in the package`);
      const values: Record<string, FieldValue> = {};
      for (const entry of (node.values ?? []) as XmlNode[]) {
        const fieldName = str(entry, 'field');
        if (!fieldName) continue;
        const def = typeDef?.fields.find((f) => f.name === fieldName);
        if (typeDef && !def) problems.push(`${file}: field ${fieldName} is not defined on ${type}`);
        const raw = Array.isArray(entry.value) ? (entry.value as unknown[])[0] : entry.value;
        values[fieldName] = mdtValue(raw, def);
      }
      customMetadataRecords.push({
        type,
        developerName,
        label: str(node, 'label') ?? developerName,
        protected: flag(node, 'protected'),
        values,
      });
    }

    for (const file of listDir(join(root, 'customPermissions'))) {
      const m = /^(.+)\.customPermission-meta\.xml$/.exec(file);
      if (!m?.[1]) continue;
      const node = readXml(join(root, 'customPermissions', file), 'CustomPermission');
      customPermissions.push({
        name: m[1],
        label: str(node, 'label') ?? m[1],
        description: str(node, 'description') ?? null,
      });
    }

    for (const file of listDir(join(root, 'permissionsets'))) {
      const m = /^(.+)\.permissionset-meta\.xml$/.exec(file);
      if (!m?.[1]) continue;
      const node = readXml(join(root, 'permissionsets', file), 'PermissionSet');
      permissionSets.push({
        name: m[1],
        label: str(node, 'label') ?? m[1],
        description: str(node, 'description') ?? null,
        customPermissions: ((node.customPermissions ?? []) as XmlNode[])
          .filter((p) => flag(p, 'enabled'))
          .map((p) => str(p, 'name') ?? '')
          .filter(Boolean),
      });
    }
  }

  return {
    objects,
    standardObjectFields,
    customMetadataRecords,
    permissionSets,
    customPermissions,
    problems,
  };
}

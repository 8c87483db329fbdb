import { readFile } from 'node:fs/promises';
import { relativePath } from './files.js';
import { type FieldDefinition, loadPackageMetadata, type PackageMetadata } from './metadata-model.js';
import { collectNameReferences } from './source-references.js';
import { type Check, type Finding, type GateContext } from './types.js';

interface FieldContract {
  type?: string;
  length?: number;
  precision?: number;
  scale?: number;
  values?: string[];
  referenceTo?: string;
  externalId?: boolean;
  unique?: boolean;
}

export interface ContractNames {
  objects: Record<string, { properties?: Record<string, string>; fields: Record<string, FieldContract> }>;
  customPermissions: string[];
  permissionSets: Record<string, { customPermissions?: string[]; readableObjects?: string[] }>;
  allowedMissingReferences: Record<string, string>;
}

export async function readContractNames(file: string): Promise<ContractNames> {
  return JSON.parse(await readFile(file, 'utf8')) as ContractNames;
}

/**
 * The package keeps its promises: every contract name of DESIGN.md section 3 exists with the agreed
 * shape; every custom name that Apex, LWC, the bridge or the emulators mention is defined; and the
 * metadata that points at other metadata (custom metadata records, permission sets, lookups) points at
 * something real, which a deploy would otherwise reject.
 */
export const metadataContractCheck: Check = {
  id: 'contract',
  title: 'Metadata contract',
  async run(context) {
    const metadata = await loadPackageMetadata(context.forceAppDir);
    const contract = await readContractNames(context.contractNamesFile);
    const findings = [
      ...checkContractNames(context, metadata, contract),
      ...checkMetadataReferences(context, metadata),
    ];
    const references = await collectNameReferences(context.root, context.forceAppDir);
    findings.push(...checkNameReferences(context, metadata, contract, references));
    const contractNameCount =
      Object.values(contract.objects).reduce(
        (sum, object) => sum + 1 + Object.keys(object.fields).length,
        0,
      ) +
      contract.customPermissions.length +
      Object.keys(contract.permissionSets).length;
    return {
      findings,
      summary:
        `${contractNameCount} contract names, ${references.length} references in code, ` +
        `${metadata.customMetadataRecords.length} custom metadata records, ${metadata.permissionSets.size} permission sets`,
    };
  },
};

function checkContractNames(
  context: GateContext,
  metadata: PackageMetadata,
  contract: ContractNames,
): Finding[] {
  const findings: Finding[] = [];
  const source = relativePath(context.root, context.contractNamesFile);
  for (const [objectName, objectContract] of Object.entries(contract.objects)) {
    const object = metadata.objects.get(objectName);
    if (object?.kind !== 'standard' && !object?.file) {
      findings.push({ file: source, message: `contract object ${objectName} is missing from force-app` });
      continue;
    }
    for (const [property, expected] of Object.entries(objectContract.properties ?? {})) {
      const actual = object.properties[property];
      if (String(actual) !== expected) {
        findings.push({
          file: relativePath(context.root, object.file ?? ''),
          message: `${objectName} ${property} must be ${expected} (contract), found ${String(actual)}`,
        });
      }
    }
    for (const [fieldName, expected] of Object.entries(objectContract.fields)) {
      const field = object.fields.get(fieldName);
      if (!field) {
        findings.push({
          file: source,
          message: `contract field ${objectName}.${fieldName} is missing from force-app`,
        });
        continue;
      }
      for (const difference of fieldDifferences(field, expected)) {
        findings.push({
          file: relativePath(context.root, field.file),
          message: `${objectName}.${fieldName}: ${difference}`,
        });
      }
    }
  }
  for (const permission of contract.customPermissions) {
    if (!metadata.customPermissions.has(permission)) {
      findings.push({
        file: source,
        message: `contract custom permission ${permission} is missing from force-app`,
      });
    }
  }
  for (const [setName, expected] of Object.entries(contract.permissionSets)) {
    const permissionSet = metadata.permissionSets.get(setName);
    if (!permissionSet) {
      findings.push({
        file: source,
        message: `contract permission set ${setName} is missing from force-app`,
      });
      continue;
    }
    const file = relativePath(context.root, permissionSet.file);
    for (const permission of expected.customPermissions ?? []) {
      if (!permissionSet.customPermissions.includes(permission)) {
        findings.push({ file, message: `${setName} must grant the custom permission ${permission}` });
      }
    }
    for (const objectName of expected.readableObjects ?? []) {
      if (!permissionSet.objects.some((entry) => entry.object === objectName && entry.read)) {
        findings.push({ file, message: `${setName} must grant read access to ${objectName}` });
      }
    }
  }
  return findings;
}

function fieldDifferences(field: FieldDefinition, expected: FieldContract): string[] {
  const differences: string[] = [];
  const compare = (label: string, wanted: unknown, actual: unknown) => {
    if (wanted !== undefined && wanted !== actual) {
      differences.push(`${label} must be ${String(wanted)} (contract), found ${String(actual)}`);
    }
  };
  compare('type', expected.type, field.type);
  compare('length', expected.length, field.length);
  compare('precision', expected.precision, field.precision);
  compare('scale', expected.scale, field.scale);
  compare('lookup target', expected.referenceTo, field.referenceTo);
  compare('externalId', expected.externalId, field.externalId);
  compare('unique', expected.unique, field.unique);
  if (expected.values) {
    const missing = expected.values.filter((value) => !field.values.includes(value));
    if (missing.length) differences.push(`picklist values missing: ${missing.join(', ')}`);
  }
  return differences;
}

function checkMetadataReferences(context: GateContext, metadata: PackageMetadata): Finding[] {
  const findings: Finding[] = [];
  const fieldOf = (objectName: string, fieldName: string) =>
    metadata.objects.get(objectName)?.fields.get(fieldName);
  const objectDefined = (objectName: string) =>
    objectName.includes('__') ? Boolean(metadata.objects.get(objectName)?.file) : true;

  for (const record of metadata.customMetadataRecords) {
    const file = relativePath(context.root, record.file);
    const type = metadata.objects.get(record.type);
    if (!type?.file) {
      findings.push({
        file,
        message: `custom metadata type ${record.type} of record ${record.name} is not defined`,
      });
      continue;
    }
    for (const entry of record.values) {
      const field = type.fields.get(entry.field);
      if (!field) {
        findings.push({
          file,
          message: `${record.type} has no field ${entry.field} (record ${record.name})`,
        });
        continue;
      }
      const value = entry.nil ? undefined : (entry.value as string | undefined);
      if (value === undefined) continue;
      if (field.type === 'Picklist' && !field.values.includes(value)) {
        findings.push({
          file,
          message: `${entry.field} = "${value}" is not a value of its picklist (${field.values.join(', ')})`,
        });
      } else if (field.type === 'Checkbox' && value !== 'true' && value !== 'false') {
        findings.push({ file, message: `${entry.field} = "${value}" is not true or false` });
      } else if (field.type === 'Number' && !Number.isFinite(Number(value))) {
        findings.push({ file, message: `${entry.field} = "${value}" is not a number` });
      } else if (field.length !== undefined && field.type === 'Text' && value.length > field.length) {
        findings.push({
          file,
          message: `${entry.field} is ${value.length} characters, longer than ${field.length}`,
        });
      }
    }
    for (const field of type.fields.values()) {
      const given = record.values.find((entry) => entry.field === field.name);
      if (field.required && (!given || given.nil || given.value === undefined || given.value === '')) {
        findings.push({
          file,
          message: `required field ${field.name} has no value in record ${record.name}`,
        });
      }
    }
  }

  for (const permissionSet of metadata.permissionSets.values()) {
    const file = relativePath(context.root, permissionSet.file);
    for (const entry of permissionSet.fields) {
      const [objectName = '', fieldName = ''] = entry.field.split('.');
      if (!fieldName.endsWith('__c')) continue;
      const field = fieldOf(objectName, fieldName);
      if (!field) findings.push({ file, message: `field permission for undefined field ${entry.field}` });
      else if (field.required) {
        findings.push({
          file,
          message: `${entry.field} is required: permission sets cannot carry its field permission`,
        });
      }
      if (entry.editable && !entry.readable) {
        findings.push({ file, message: `${entry.field} is editable but not readable` });
      }
    }
    for (const entry of permissionSet.objects) {
      if (!objectDefined(entry.object))
        findings.push({ file, message: `object permission for undefined ${entry.object}` });
    }
    for (const apexClass of permissionSet.classAccesses) {
      if (!metadata.apexClasses.has(apexClass))
        findings.push({ file, message: `class access for undefined Apex class ${apexClass}` });
    }
    for (const permission of permissionSet.customPermissions) {
      if (!metadata.customPermissions.has(permission))
        findings.push({ file, message: `undefined custom permission ${permission}` });
    }
    for (const type of permissionSet.customMetadataTypes) {
      if (!objectDefined(type))
        findings.push({ file, message: `access to undefined custom metadata type ${type}` });
    }
  }

  for (const object of metadata.objects.values()) {
    for (const field of object.fields.values()) {
      if (field.referenceTo && !objectDefined(field.referenceTo)) {
        findings.push({
          file: relativePath(context.root, field.file),
          message: `${object.name}.${field.name} looks up ${field.referenceTo}, which is not defined`,
        });
      }
    }
  }
  return findings;
}

function checkNameReferences(
  context: GateContext,
  metadata: PackageMetadata,
  contract: ContractNames,
  references: { name: string; file: string; line: number; caseSensitive: boolean }[],
): Finding[] {
  const defined = new Set<string>();
  for (const object of metadata.objects.values()) {
    if (object.kind !== 'standard') defined.add(object.name);
    for (const field of object.fields.values()) {
      defined.add(field.name);
      if (field.relationshipName) defined.add(`${field.relationshipName}__r`);
    }
  }
  const byLowerCase = new Map([...defined].map((name) => [name.toLowerCase(), name]));
  const allowed = new Set(
    Object.keys(contract.allowedMissingReferences).filter((name) => !name.startsWith('$')),
  );
  const findings: Finding[] = [];
  for (const reference of references) {
    if (defined.has(reference.name) || allowed.has(reference.name)) continue;
    const differentCase = byLowerCase.get(reference.name.toLowerCase());
    if (differentCase && !reference.caseSensitive) continue;
    findings.push({
      file: relativePath(context.root, reference.file),
      line: reference.line,
      message: differentCase
        ? `${reference.name} is spelled ${differentCase} in force-app (JSON keys are case-sensitive)`
        : `${reference.name} is not defined in force-app (add it to the package, or to allowedMissingReferences ` +
          `in ${relativePath(context.root, context.contractNamesFile)} with a reason)`,
    });
  }
  return findings;
}

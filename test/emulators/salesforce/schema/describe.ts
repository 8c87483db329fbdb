import type { SchemaCatalog } from './catalog.js';
import type { FieldDef, ObjectDef } from './types.js';

// Describe results in the shape of the REST API (`/sobjects`, `/sobjects/X`, `/sobjects/X/describe`),
// complete enough for jsforce's describe helpers and for code that reads picklists, lengths,
// createable/updateable flags, relationships and key prefixes.

const SOAP_TYPES: Record<string, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  string: 'xsd:string',
  textarea: 'xsd:string',
  email: 'xsd:string',
  phone: 'xsd:string',
  url: 'xsd:string',
  picklist: 'xsd:string',
  multipicklist: 'xsd:string',
  combobox: 'xsd:string',
  boolean: 'xsd:boolean',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
  address: 'urn:address',
};

function objectUrls(object: ObjectDef, version: string): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${object.name}`;
  const urls: Record<string, string> = {
    sobject: base,
    describe: `${base}/describe`,
    rowTemplate: `${base}/{ID}`,
  };
  if (object.kind !== 'event' && object.kind !== 'metadata') {
    urls.compactLayouts = `${base}/describe/compactLayouts`;
    urls.approvalLayouts = `${base}/describe/approvalLayouts`;
    urls.listviews = `${base}/listviews`;
    urls.quickActions = `${base}/quickActions`;
    urls.layouts = `${base}/describe/layouts`;
  }
  return urls;
}

function objectFlags(object: ObjectDef) {
  return {
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    createable: object.createable,
    custom: object.custom,
    customSetting: false,
    deepCloneable: false,
    deletable: object.deletable,
    deprecatedAndHidden: false,
    feedEnabled: object.kind === 'standard' && object.searchable,
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: object.keyPrefix,
    label: object.label,
    labelPlural: object.labelPlural,
    layoutable: object.kind !== 'event' && object.kind !== 'metadata',
    mergeable: ['Lead', 'Contact', 'Account'].includes(object.name),
    mruEnabled: object.kind === 'standard' || object.kind === 'custom',
    name: object.name,
    queryable: object.queryable,
    replicateable: object.kind !== 'event',
    retrieveable: object.queryable,
    searchable: object.searchable,
    triggerable: object.triggerable,
    undeletable: object.undeletable,
    updateable: object.updateable,
  };
}

export function describeGlobalEntry(object: ObjectDef, version: string) {
  return { ...objectFlags(object), urls: objectUrls(object, version) };
}

export function describeGlobal(catalog: SchemaCatalog, version: string) {
  return {
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: [...catalog.objects]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((object) => describeGlobalEntry(object, version)),
  };
}

export function describeField(field: FieldDef) {
  const textual = [
    'string',
    'textarea',
    'email',
    'phone',
    'url',
    'picklist',
    'multipicklist',
    'combobox',
  ].includes(field.type);
  return {
    aggregatable:
      field.groupable || ['int', 'double', 'currency', 'percent', 'datetime'].includes(field.type),
    aiPredictionField: false,
    autoNumber: field.autoNumber,
    byteLength: textual || field.type === 'id' || field.type === 'reference' ? field.length * 3 : 0,
    calculated: field.calculated,
    calculatedFormula: null,
    cascadeDelete: false,
    caseSensitive: field.caseSensitive,
    compoundFieldName: field.compoundFieldName,
    controllerName: null,
    createable: field.createable,
    custom: field.custom,
    defaultValue: field.type === 'boolean' ? field.defaultValue === true : (field.defaultValue ?? null),
    defaultValueFormula: null,
    defaultedOnCreate: field.defaultedOnCreate,
    dependentPicklist: false,
    deprecatedAndHidden: false,
    digits: field.digits,
    displayLocationInDecimal: false,
    encrypted: false,
    externalId: field.externalId,
    extraTypeInfo: field.type === 'textarea' && field.length > 255 ? 'plaintextarea' : null,
    filterable: field.filterable,
    filteredLookupInfo: null,
    formulaTreatNullNumberAsZero: false,
    groupable: field.groupable,
    highScaleNumber: false,
    htmlFormatted: false,
    idLookup: field.idLookup,
    inlineHelpText: field.inlineHelpText,
    label: field.label,
    length: field.length,
    mask: null,
    maskType: null,
    name: field.name,
    nameField: field.nameField,
    namePointing: field.type === 'reference' && field.referenceTo.length > 1,
    nillable: field.nillable,
    permissionable: field.custom && field.nillable,
    picklistValues: field.picklistValues.map((p) => ({
      active: p.active,
      defaultValue: p.defaultValue,
      label: p.label,
      validFor: null,
      value: p.value,
    })),
    polymorphicForeignKey: field.type === 'reference' && field.referenceTo.length > 1,
    precision: field.precision,
    queryByDistance: false,
    referenceTargetField: null,
    referenceTo: field.referenceTo,
    relationshipName: field.relationshipName,
    relationshipOrder: null,
    restrictedDelete: field.deleteConstraint === 'Restrict',
    restrictedPicklist: field.restrictedPicklist,
    scale: field.scale,
    searchPrefilterable: field.type === 'reference',
    soapType: SOAP_TYPES[field.type] ?? 'xsd:string',
    sortable: field.sortable,
    type: field.type,
    unique: field.unique,
    updateable: field.updateable,
    writeRequiresMasterRead: false,
  };
}

export function describeSObject(object: ObjectDef, version: string) {
  return {
    actionOverrides: [],
    ...objectFlags(object),
    childRelationships: object.childRelationships.map((rel) => ({
      cascadeDelete: rel.cascadeDelete,
      childSObject: rel.childSObject,
      deprecatedAndHidden: false,
      field: rel.field,
      junctionIdListNames: [],
      junctionReferenceTo: [],
      relationshipName: rel.relationshipName,
      restrictedDelete: rel.restrictedDelete,
    })),
    compactLayoutable: object.kind === 'standard' || object.kind === 'custom',
    defaultImplementation: null,
    extendedBy: null,
    extendsInterfaces: null,
    fields: object.fields.map(describeField),
    implementedBy: null,
    implementsInterfaces: null,
    listviewable: null,
    lookupLayoutable: null,
    namedLayoutInfos: [],
    networkScopeFieldName: null,
    recordTypeInfos:
      object.kind === 'standard' || object.kind === 'custom'
        ? [
            {
              active: true,
              available: true,
              defaultRecordTypeMapping: true,
              developerName: 'Master',
              master: true,
              name: 'Master',
              recordTypeId: '012000000000000AAA',
              urls: {
                layout: `/services/data/v${version}/sobjects/${object.name}/describe/layouts/012000000000000AAA`,
              },
            },
          ]
        : [],
    searchLayoutable: object.searchable,
    sobjectDescribeOption: 'FULL',
    supportedScopes: [
      { label: 'All', name: 'everything' },
      ...(object.fields.some((f) => f.name === 'OwnerId') ? [{ label: 'My', name: 'mine' }] : []),
    ],
    urls: objectUrls(object, version),
  };
}

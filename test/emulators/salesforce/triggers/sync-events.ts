import { randomUUID } from 'node:crypto';

// The vocabulary of the Responsys_Sync__e platform event, as the package's ResponsysSyncEvents class
// defines it, and the event factories it offers. EVENT_FACTORY_FIELDS is the model's single statement
// of which fields each factory sets: buildSyncEvent sets exactly those, and the contract test
// (__tests__/trigger-contract.test.ts) compares them with the Apex.

export const SYNC_EVENT = 'Responsys_Sync__e';

export const SYNC_OBJECTS = ['Lead', 'Contact', 'Opportunity', 'CampaignMember'] as const;
export type SyncObject = (typeof SYNC_OBJECTS)[number];

export const CHANGE_TYPES = [
  'CREATE',
  'UPDATE',
  'DELETE',
  'UNDELETE',
  'STAGE_CHANGE',
  'OPT_OUT',
  'OPT_IN',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** Changed_Fields__c separator (ResponsysSyncEvents.FIELD_SEPARATOR): comma, no spaces. */
export const FIELD_SEPARATOR = ',';

/** Previous_Value__c and New_Value__c are abbreviated to this length (ResponsysSyncEvents.VALUE_MAX_LENGTH). */
export const VALUE_MAX_LENGTH = 255;

export type SyncEventField =
  | 'Object_Type__c'
  | 'Record_Id__c'
  | 'Change_Type__c'
  | 'Changed_Fields__c'
  | 'Previous_Value__c'
  | 'New_Value__c'
  | 'Related_Id__c'
  | 'Correlation_Id__c';

export type SyncEventFactory =
  'recordChange' | 'fieldChange' | 'removal' | 'stageChange' | 'campaignMemberChange';

const RECORD_CHANGE_FIELDS: readonly SyncEventField[] = [
  'Object_Type__c',
  'Record_Id__c',
  'Change_Type__c',
  'Correlation_Id__c',
];

/** The fields each ResponsysSyncEvents factory sets. */
export const EVENT_FACTORY_FIELDS: Readonly<Record<SyncEventFactory, readonly SyncEventField[]>> = {
  recordChange: RECORD_CHANGE_FIELDS,
  fieldChange: [...RECORD_CHANGE_FIELDS, 'Changed_Fields__c'],
  removal: [...RECORD_CHANGE_FIELDS, 'Related_Id__c'],
  stageChange: [...RECORD_CHANGE_FIELDS, 'Previous_Value__c', 'New_Value__c'],
  campaignMemberChange: [...RECORD_CHANGE_FIELDS, 'Related_Id__c', 'Changed_Fields__c'],
};

/** What a handler knows about one change; each factory reads the part it needs. */
export interface SyncEventDraft {
  objectType: SyncObject;
  recordId: string;
  changeType: ChangeType;
  changedFields?: readonly string[];
  relatedId?: string | null;
  previousValue?: string | null;
  newValue?: string | null;
}

export type SyncEventValues = Partial<Record<SyncEventField, string | null>>;

/** Apex String.abbreviate(max): longer values keep max - 3 characters and end with "...". */
function abbreviate(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return value.length <= VALUE_MAX_LENGTH ? value : `${value.slice(0, VALUE_MAX_LENGTH - 3)}...`;
}

function joinFields(fields: readonly string[] | undefined): string | null {
  return fields && fields.length > 0 ? fields.join(FIELD_SEPARATOR) : null;
}

const FIELD_VALUE: Record<SyncEventField, (draft: SyncEventDraft) => string | null> = {
  Object_Type__c: (d) => d.objectType,
  Record_Id__c: (d) => d.recordId,
  Change_Type__c: (d) => d.changeType,
  Changed_Fields__c: (d) => joinFields(d.changedFields),
  Previous_Value__c: (d) => abbreviate(d.previousValue),
  New_Value__c: (d) => abbreviate(d.newValue),
  Related_Id__c: (d) => d.relatedId ?? null,
  // One correlation id per record journey: every event gets a fresh one.
  Correlation_Id__c: () => randomUUID(),
};

/** The event fields the factory sets, and only those (the others stay null, as in Apex). */
export function buildSyncEvent(factory: SyncEventFactory, draft: SyncEventDraft): SyncEventValues {
  const values: SyncEventValues = {};
  for (const field of EVENT_FACTORY_FIELDS[factory]) values[field] = FIELD_VALUE[field](draft);
  return values;
}

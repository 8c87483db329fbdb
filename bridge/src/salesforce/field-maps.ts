import type { SalesforceClient } from './client.js';
import type { FieldDescription } from './describe.js';

// Where the mapping engine gets its configuration: the admins' Responsys_Field_Map__mdt records
// (one SOQL query; custom metadata is read like any object) and the fields of the mapped objects
// (describe, cached), so a map naming a field the object lacks is reported by record name.

/** One Responsys_Field_Map__mdt record, as admins see it in Setup. */
export interface FieldMapRecord {
  /** DeveloperName: how errors name the record */
  name: string;
  label: string;
  /** Lead | Contact */
  object: string;
  salesforceField: string;
  responsysColumn: string;
  /** PROFILE_LIST or a PET name */
  target: string;
  /** Outbound | Inbound | Both */
  direction: string;
  transform: string | null;
  active: boolean;
}

const FIELD_MAP_SOQL =
  'SELECT DeveloperName, MasterLabel, Object__c, Salesforce_Field__c, Responsys_Column__c, Target__c, ' +
  'Direction__c, Transform__c, Active__c FROM Responsys_Field_Map__mdt ORDER BY Object__c, DeveloperName';

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

export class SalesforceFieldMapSource {
  constructor(private readonly client: SalesforceClient) {}

  /** Every field map record, active or not (the engine decides what an inactive one means). */
  async loadFieldMaps(): Promise<FieldMapRecord[]> {
    const records = await this.client.query(FIELD_MAP_SOQL, { priority: 'urgent' });
    return records.map((record) => ({
      name: text(record.DeveloperName),
      label: text(record.MasterLabel),
      object: text(record.Object__c),
      salesforceField: text(record.Salesforce_Field__c),
      responsysColumn: text(record.Responsys_Column__c),
      target: text(record.Target__c),
      direction: text(record.Direction__c),
      transform: text(record.Transform__c) || null,
      active: record.Active__c === true,
    }));
  }

  /** The object's fields (name, type, length, updateable, relationship, picklist values). */
  async describeFields(objectType: string): Promise<FieldDescription[]> {
    return (await this.client.describe(objectType)).fields;
  }
}

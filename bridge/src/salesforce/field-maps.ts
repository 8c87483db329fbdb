import type { FieldMapRecord, FieldMapSource, SalesforceFieldInfo } from '../mapping/field-map.js';
import type { SalesforceClient } from './client.js';
import { SalesforceApiError } from './errors.js';

// Where the mapping engine gets its configuration: the admins' Responsys_Field_Map__mdt records
// (one SOQL query; custom metadata is read like any object) and the fields of the mapped objects
// (describe, cached), so a map naming a field the object lacks is reported by record name.

const FIELD_MAP_SOQL =
  'SELECT DeveloperName, MasterLabel, Object__c, Salesforce_Field__c, Responsys_Column__c, Target__c, ' +
  'Direction__c, Transform__c, Active__c FROM Responsys_Field_Map__mdt ORDER BY Object__c, DeveloperName';

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

export class SalesforceFieldMapSource implements FieldMapSource {
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

  /** The object's fields (name, type, length, updateable, relationship, picklist values); undefined when it does not exist. */
  async describeFields(objectType: string): Promise<SalesforceFieldInfo[] | undefined> {
    try {
      return (await this.client.describe(objectType)).fields;
    } catch (error) {
      if (error instanceof SalesforceApiError && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }
}

import type { ProfileExtensionDescription, ProfileListDescription } from '../responsys/types.js';

// What the mapping engine needs from the two systems, as small interfaces:
// - FieldMapSource: the Responsys_Field_Map__mdt records and Salesforce describes. The Salesforce
//   connector implements it (SalesforceFieldMapSource) and provides it as the `fieldMapSource` service.
// - ResponsysSchemaSource: the profile list's columns and its PETs; the Responsys client implements it.

/** One Responsys_Field_Map__mdt record. */
export interface FieldMapRecord {
  /** DeveloperName; every problem about the record names it */
  name: string;
  label?: string;
  /** Object__c: Lead | Contact */
  object: string;
  /** Salesforce_Field__c: an API name, or a parent path such as Account.Name */
  salesforceField: string;
  /** Responsys_Column__c */
  responsysColumn: string;
  /** Target__c: PROFILE_LIST or a PET name */
  target: string;
  /** Direction__c: Outbound | Inbound | Both */
  direction: string;
  /** Transform__c (CONTRACTS.md section 6) */
  transform: string | null;
  /** Active__c */
  active: boolean;
}

/** A Salesforce field as describe reports it (a subset of jsforce's DescribeSObjectResult fields). */
export interface SalesforceFieldInfo {
  name: string;
  /** string, email, phone, picklist, boolean, date, datetime, double, int, currency, reference... */
  type: string;
  length?: number;
  updateable?: boolean;
  nillable?: boolean;
  relationshipName?: string | null;
  referenceTo?: string[];
  /** active picklist values */
  picklistValues?: string[];
  restrictedPicklist?: boolean;
}

export interface FieldMapSource {
  /** Every Responsys_Field_Map__mdt record, active or not. */
  loadFieldMaps(): Promise<FieldMapRecord[]>;
  /**
   * The fields of a Salesforce object; undefined when the object does not exist. A failure (Salesforce
   * unreachable) fails the whole load, so the last good mapping stays in use.
   */
  describeFields(objectName: string): Promise<SalesforceFieldInfo[] | undefined>;
}

export interface ResponsysSchemaSource {
  describeProfileList(listName?: string): Promise<ProfileListDescription>;
  listProfileExtensions(listName?: string): Promise<ProfileExtensionDescription[]>;
}

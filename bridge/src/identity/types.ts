import type { RetrievedMembers, RetrieveProfileMembersOptions } from '../responsys/types.js';

// Who is who across the two systems. Salesforce has Leads and Contacts, Responsys has recipients in
// one profile list, and there is no shared key until the bridge creates one (the Salesforce id in
// CUSTOMER_ID_, the RIID in Responsys_RIID__c and in the bridge's identity links). Until then the
// email address is the only clue, and it can point at several people: such cases are reported as
// they are, never guessed.

export type PersonObject = 'Lead' | 'Contact';

/** A Lead or Contact as the identity service needs it (flows read these fields with the rest). */
export interface SalesforcePerson {
  objectType: PersonObject;
  /** record id (15 or 18 characters) */
  id: string;
  email: string | null;
  /** Responsys_RIID__c on the record */
  riid?: string | null;
  /** Leads: IsConverted and ConvertedContactId */
  isConverted?: boolean | null;
  convertedContactId?: string | null;
}

/** The fields to read so that a record can be given to the identity service. */
export const IDENTITY_FIELDS: Record<PersonObject, readonly string[]> = {
  Lead: ['Email', 'Responsys_RIID__c', 'IsConverted', 'ConvertedContactId'],
  Contact: ['Email', 'Responsys_RIID__c'],
};

/** How a Salesforce record was matched to a recipient. */
export type RecipientMatchSource = 'link' | 'record' | 'customer_id' | 'email';

/** The recipient of one Salesforce record, or why there is none to use. */
export type RecipientMatch =
  | {
      status: 'matched';
      salesforceId: string;
      objectType: PersonObject;
      riid: string;
      via: RecipientMatchSource;
      /** normalised */
      email: string | null;
    }
  | {
      /** no recipient yet: a merge creates it */
      status: 'new';
      salesforceId: string;
      objectType: PersonObject;
      email: string;
    }
  | {
      /** a converted Lead: its Contact carries the person now */
      status: 'converted';
      salesforceId: string;
      objectType: 'Lead';
      contactId: string;
      reason: string;
      code: 'LEAD_CONVERTED';
    }
  | {
      /** a Lead whose email a Contact has: the Contact owns the recipient */
      status: 'superseded';
      salesforceId: string;
      objectType: 'Lead';
      contactIds: string[];
      reason: string;
      code: 'CONTACT_WINS';
    }
  | {
      status: 'ambiguous';
      salesforceId: string;
      objectType: PersonObject;
      reason: string;
      code: 'AMBIGUOUS_SALESFORCE' | 'AMBIGUOUS_RESPONSYS' | 'RECIPIENT_OWNED_BY_ANOTHER_RECORD';
      /** the other Salesforce ids or the RIIDs in question */
      candidates: string[];
    }
  | {
      status: 'no_email';
      salesforceId: string;
      objectType: PersonObject;
      reason: string;
      code: 'NO_EMAIL';
    };

/** A Responsys recipient as known from an event, a file row or a callback. */
export interface RecipientRef {
  /** how the caller finds the answer again (default: riid, else customerId, else email) */
  key?: string;
  riid?: string | null;
  customerId?: string | null;
  email?: string | null;
}

export type SalesforceMatch =
  | {
      status: 'matched';
      objectType: PersonObject;
      salesforceId: string;
      via: 'link' | 'customer_id' | 'email';
      /** the Lead the link or CUSTOMER_ID_ named, when it was converted into this Contact */
      convertedFrom?: string;
    }
  | { status: 'unmatched'; reason: string; code: 'NO_MATCH' }
  | {
      status: 'ambiguous';
      reason: string;
      code: 'AMBIGUOUS_SALESFORCE';
      candidates: string[];
    };

/** The part of the Responsys client the identity service uses. */
export interface RecipientDirectory {
  retrieveProfileMembers(ids: string[], options: RetrieveProfileMembersOptions): Promise<RetrievedMembers>;
}

/** Email addresses compare trimmed and lower-cased, as Responsys matches them. */
export function normaliseEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : null;
}

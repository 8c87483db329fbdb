import { normaliseEmail, type RecipientDirectory } from '../../identity/types.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import { isSalesforceId, objectTypeOfId, toId18, type SObjectRecord } from '../../salesforce/soql.js';
import type { IdentityLinks } from '../../store/identity-links.js';
import type { PersonRecord } from './inbound-rule.js';

// Every Lead and Contact that is one Responsys recipient, for opt-outs: an email opt-out is about the
// address, so it reaches the linked records, the records carrying the RIID or named by CUSTOMER_ID,
// and every Lead and Contact with the same email address. Converted Leads are left out (Salesforce
// keeps them read-only; their Contact carries the opt-out).

export const OPT_FIELDS = [
  'Email',
  'HasOptedOutOfEmail',
  'Responsys_Opt_Out_Source__c',
  'Responsys_Opt_Out_At__c',
  'Responsys_RIID__c',
];

export interface Recipient {
  riid: string;
  emails: string[];
  customerIds: string[];
}

export interface PersonRecords {
  records: PersonRecord[];
  /** the address the records were found by (for the sync log) */
  email: string | null;
}

export interface PeopleFinderOptions {
  salesforce: SalesforceClient;
  links: Pick<IdentityLinks, 'forRiids'>;
  /** to learn the address of recipients whose events carry none (callback opt-outs) */
  responsys?: RecipientDirectory;
}

export function toPersonRecord(record: SObjectRecord): PersonRecord {
  const at = record.Responsys_Opt_Out_At__c;
  return {
    id: toId18(record.Id),
    objectType: objectTypeOfId(record.Id) === 'Lead' ? 'Lead' : 'Contact',
    optedOut: record.HasOptedOutOfEmail === true,
    optOutAt: typeof at === 'string' && at ? new Date(at) : null,
    optOutSource:
      typeof record.Responsys_Opt_Out_Source__c === 'string' ? record.Responsys_Opt_Out_Source__c : null,
  };
}

export class PeopleFinder {
  constructor(private readonly options: PeopleFinderOptions) {}

  async recordsOf(recipients: readonly Recipient[]): Promise<Map<string, PersonRecords>> {
    const { salesforce } = this.options;
    const riids = recipients.map((recipient) => recipient.riid);
    const emails = new Map<string, Set<string>>();
    for (const recipient of recipients) {
      emails.set(
        recipient.riid,
        new Set(recipient.emails.map(normaliseEmail).filter((email): email is string => email !== null)),
      );
    }
    const unknownAddress = recipients.filter((recipient) => emails.get(recipient.riid)!.size === 0);
    if (unknownAddress.length > 0 && this.options.responsys) {
      const members = await this.options.responsys.retrieveProfileMembers(
        unknownAddress.map((recipient) => recipient.riid),
        { by: 'RIID_', fields: ['EMAIL_ADDRESS_', 'CUSTOMER_ID_'] },
      );
      for (const recipient of unknownAddress) {
        for (const row of members.byId.get(recipient.riid) ?? []) {
          const email = normaliseEmail(row.EMAIL_ADDRESS_);
          if (email) emails.get(recipient.riid)!.add(email);
          if (row.CUSTOMER_ID_) recipient.customerIds.push(row.CUSTOMER_ID_);
        }
      }
    }

    // ids named by links and CUSTOMER_ID
    const named = new Map<string, Set<string>>();
    const links = await this.options.links.forRiids(riids);
    for (const recipient of recipients) {
      const ids = new Set<string>();
      for (const link of links.get(recipient.riid) ?? []) ids.add(toId18(link.salesforceId));
      for (const id of recipient.customerIds) if (isSalesforceId(id.trim())) ids.add(toId18(id.trim()));
      named.set(recipient.riid, ids);
    }
    const allNamed = [...new Set([...named.values()].flatMap((ids) => [...ids]))];
    const allEmails = [...new Set([...emails.values()].flatMap((set) => [...set]))];
    const notConverted = { where: 'IsConverted = false' };
    const [leadsById, contactsById, leadsByRiid, contactsByRiid, leadsByEmail, contactsByEmail] =
      await Promise.all([
        salesforce.retrieve(
          'Lead',
          allNamed.filter((id) => objectTypeOfId(id) === 'Lead'),
          OPT_FIELDS,
          notConverted,
        ),
        salesforce.retrieve(
          'Contact',
          allNamed.filter((id) => objectTypeOfId(id) === 'Contact'),
          OPT_FIELDS,
        ),
        salesforce.retrieveWhere('Lead', 'Responsys_RIID__c', riids, OPT_FIELDS, notConverted),
        salesforce.retrieveWhere('Contact', 'Responsys_RIID__c', riids, OPT_FIELDS),
        allEmails.length > 0
          ? salesforce.retrieveWhere('Lead', 'Email', allEmails, OPT_FIELDS, notConverted)
          : [],
        allEmails.length > 0 ? salesforce.retrieveWhere('Contact', 'Email', allEmails, OPT_FIELDS) : [],
      ]);
    const byRiid = [...leadsByRiid, ...contactsByRiid];
    const byEmail = [...leadsByEmail, ...contactsByEmail];
    const result = new Map<string, PersonRecords>();
    for (const recipient of recipients) {
      const found = new Map<string, SObjectRecord>();
      for (const id of named.get(recipient.riid)!) {
        const record = leadsById.get(id) ?? contactsById.get(id);
        if (record) found.set(id, record);
      }
      for (const record of byRiid)
        if (record.Responsys_RIID__c === recipient.riid) found.set(toId18(record.Id), record);
      const addresses = emails.get(recipient.riid)!;
      for (const record of byEmail) {
        const email = normaliseEmail(record.Email as string | null);
        if (email && addresses.has(email)) found.set(toId18(record.Id), record);
      }
      result.set(recipient.riid, {
        records: [...found.values()].map(toPersonRecord),
        email: [...addresses][0] ?? null,
      });
    }
    return result;
  }
}

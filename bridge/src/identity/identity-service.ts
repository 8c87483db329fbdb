import type { SalesforceClient } from '../salesforce/client.js';
import { isSalesforceId, objectTypeOfId, toId18, type SObjectRecord } from '../salesforce/soql.js';
import type { Logger } from '../shared/logger.js';
import type { Queryable } from '../store/database.js';
import { IdentityLinks, type IdentityLink, type IdentityLinkInput } from '../store/identity-links.js';
import type { ProfileRow } from '../responsys/types.js';
import {
  normaliseEmail,
  type PersonObject,
  type RecipientDirectory,
  type RecipientMatch,
  type RecipientRef,
  type SalesforceMatch,
  type SalesforcePerson,
} from './types.js';

// Matching records between Salesforce and Responsys, a batch at a time (200 records cost a handful
// of queries, never one per record).
//
// Salesforce -> Responsys, for each Lead or Contact, the first rule that answers wins:
//   1. a converted Lead follows its Contact (the flow syncs the Contact instead);
//   2. the bridge's stored link, then the record's own Responsys_RIID__c;
//   3. the recipient whose CUSTOMER_ID_ is the record id (several: ambiguous);
//   4. the normalised email: in Salesforce, a Contact wins over Leads with the same email (the Lead
//      is superseded), two Contacts or two open Leads with one email are ambiguous; in Responsys,
//      no recipient means a new one, one recipient is the match unless it already belongs to
//      another record, several recipients are ambiguous.
// Responsys -> Salesforce, for each recipient: the stored links (a Contact before a Lead), then
// CUSTOMER_ID_, then the email (Contacts first, then open Leads); a converted Lead always leads to
// its Contact; a link to a record that was deleted is ignored.

export interface IdentityServiceOptions {
  salesforce: SalesforceClient;
  responsys: RecipientDirectory;
  links: IdentityLinks;
  logger: Logger;
}

const RESPONSYS_FIELDS = ['RIID_', 'CUSTOMER_ID_', 'EMAIL_ADDRESS_'];

export class IdentityService {
  constructor(private readonly options: IdentityServiceOptions) {}

  // ---------------------------------------------------------------- Salesforce -> Responsys

  /** The recipient of each Lead or Contact, keyed by its 18-character id. */
  async resolveRecipients(people: readonly SalesforcePerson[]): Promise<Map<string, RecipientMatch>> {
    const result = new Map<string, RecipientMatch>();
    const open: Array<SalesforcePerson & { id: string; email: string | null }> = [];
    for (const person of people) {
      const id = isSalesforceId(person.id) ? toId18(person.id) : person.id;
      if (person.objectType === 'Lead' && person.isConverted && person.convertedContactId) {
        const contactId = toId18(person.convertedContactId);
        result.set(id, {
          status: 'converted',
          salesforceId: id,
          objectType: 'Lead',
          contactId,
          reason: `converted into Contact ${contactId}, which is synced instead`,
          code: 'LEAD_CONVERTED',
        });
        continue;
      }
      open.push({ ...person, id, email: normaliseEmail(person.email) });
    }

    // 2. Stored links, then the record's own RIID field.
    const links = await this.options.links.forSalesforceIds(open.map((person) => person.id));
    let pending = open.filter((person) => {
      const link = links.get(person.id);
      const riid = link?.riid ?? person.riid?.trim();
      if (!riid) return true;
      result.set(person.id, {
        status: 'matched',
        salesforceId: person.id,
        objectType: person.objectType,
        riid,
        via: link ? 'link' : 'record',
        email: person.email,
      });
      return false;
    });

    // 3. CUSTOMER_ID_ = the Salesforce id.
    if (pending.length > 0) {
      const byCustomerId = await this.options.responsys.retrieveProfileMembers(
        pending.map((person) => person.id),
        { by: 'CUSTOMER_ID_', fields: RESPONSYS_FIELDS },
      );
      pending = pending.filter((person) => {
        const rows = byCustomerId.byId.get(person.id) ?? [];
        if (rows.length === 0) return true;
        if (rows.length === 1) {
          result.set(person.id, {
            status: 'matched',
            salesforceId: person.id,
            objectType: person.objectType,
            riid: rows[0]!.RIID_!,
            via: 'customer_id',
            email: person.email,
          });
        } else {
          result.set(person.id, ambiguousRecipients(person, rows, `CUSTOMER_ID_ ${person.id}`));
        }
        return false;
      });
    }

    // 4. The email, checked on both sides.
    pending = pending.filter((person) => {
      if (person.email) return true;
      result.set(person.id, {
        status: 'no_email',
        salesforceId: person.id,
        objectType: person.objectType,
        reason: 'the record has no email address, and no recipient is linked to it',
        code: 'NO_EMAIL',
      });
      return false;
    });
    if (pending.length === 0) return result;
    const emails = [...new Set(pending.map((person) => person.email!))];
    const [contacts, leads] = await Promise.all([
      this.peopleByEmail('Contact', emails),
      this.peopleByEmail('Lead', emails),
    ]);
    const stillPending: typeof pending = [];
    for (const person of pending) {
      const email = person.email!;
      const otherContacts = (contacts.get(email) ?? []).filter((id) => id !== person.id);
      const otherLeads = (leads.get(email) ?? []).filter((id) => id !== person.id);
      if (person.objectType === 'Lead' && otherContacts.length > 0) {
        result.set(person.id, {
          status: 'superseded',
          salesforceId: person.id,
          objectType: 'Lead',
          contactIds: otherContacts,
          reason: `Contact ${otherContacts.join(', ')} has the same email address and owns the recipient`,
          code: 'CONTACT_WINS',
        });
      } else if (person.objectType === 'Contact' && otherContacts.length > 0) {
        result.set(person.id, {
          status: 'ambiguous',
          salesforceId: person.id,
          objectType: 'Contact',
          reason: `${otherContacts.length + 1} Contacts share the email address ${email}; merge them in Salesforce`,
          code: 'AMBIGUOUS_SALESFORCE',
          candidates: otherContacts,
        });
      } else if (person.objectType === 'Lead' && otherLeads.length > 0) {
        result.set(person.id, {
          status: 'ambiguous',
          salesforceId: person.id,
          objectType: 'Lead',
          reason: `${otherLeads.length + 1} open Leads share the email address ${email}; merge them in Salesforce`,
          code: 'AMBIGUOUS_SALESFORCE',
          candidates: otherLeads,
        });
      } else stillPending.push(person);
    }
    if (stillPending.length === 0) return result;

    const byEmail = await this.options.responsys.retrieveProfileMembers(
      [...new Set(stillPending.map((person) => person.email!))],
      { by: 'EMAIL_ADDRESS_', fields: RESPONSYS_FIELDS },
    );
    for (const person of stillPending) {
      const rows = byEmail.byId.get(person.email!) ?? [];
      if (rows.length === 0) {
        result.set(person.id, {
          status: 'new',
          salesforceId: person.id,
          objectType: person.objectType,
          email: person.email!,
        });
        continue;
      }
      if (rows.length > 1) {
        result.set(person.id, ambiguousRecipients(person, rows, `email ${person.email}`));
        continue;
      }
      const row = rows[0]!;
      const owner = row.CUSTOMER_ID_?.trim();
      const ownerId = owner && isSalesforceId(owner) ? toId18(owner) : owner;
      // A recipient already claimed by a Lead is taken over by a Contact with the same email.
      const takeOver = person.objectType === 'Contact' && ownerId && objectTypeOfId(ownerId) === 'Lead';
      if (!ownerId || ownerId === person.id || takeOver) {
        result.set(person.id, {
          status: 'matched',
          salesforceId: person.id,
          objectType: person.objectType,
          riid: row.RIID_!,
          via: 'email',
          email: person.email,
        });
      } else {
        result.set(person.id, {
          status: 'ambiguous',
          salesforceId: person.id,
          objectType: person.objectType,
          reason: `the recipient ${row.RIID_} with the email address ${person.email} belongs to ${ownerId}`,
          code: 'RECIPIENT_OWNED_BY_ANOTHER_RECORD',
          candidates: [ownerId],
        });
      }
    }
    return result;
  }

  /** Open Leads or (non-deleted) Contacts by normalised email. */
  private async peopleByEmail(objectType: PersonObject, emails: string[]): Promise<Map<string, string[]>> {
    const records = await this.options.salesforce.retrieveWhere(objectType, 'Email', emails, ['Email'], {
      ...(objectType === 'Lead' ? { where: 'IsConverted = false' } : {}),
    });
    const byEmail = new Map<string, string[]>();
    for (const record of records) {
      const email = normaliseEmail(record.Email as string | null);
      if (!email) continue;
      byEmail.set(email, [...(byEmail.get(email) ?? []), toId18(record.Id)]);
    }
    return byEmail;
  }

  // ---------------------------------------------------------------- Responsys -> Salesforce

  /** The Lead or Contact of each recipient, keyed by `key` (default riid, else customerId, else email). */
  async resolveSalesforceRecords(recipients: readonly RecipientRef[]): Promise<Map<string, SalesforceMatch>> {
    const result = new Map<string, SalesforceMatch>();
    const refs = recipients.map((ref) => ({
      key: ref.key ?? ref.riid ?? ref.customerId ?? ref.email ?? '',
      riid: ref.riid?.trim() || null,
      customerId:
        ref.customerId && isSalesforceId(ref.customerId.trim()) ? toId18(ref.customerId.trim()) : null,
      email: normaliseEmail(ref.email),
    }));
    const links = await this.options.links.forRiids(
      refs.map((ref) => ref.riid).filter((riid): riid is string => riid !== null),
    );
    // Every record a link or CUSTOMER_ID_ names, checked to still exist (and whether it was converted).
    const named = new Set<string>();
    for (const ref of refs) {
      for (const link of ref.riid ? (links.get(ref.riid) ?? []) : []) named.add(link.salesforceId);
      if (ref.customerId) named.add(ref.customerId);
    }
    const existing = await this.existingPeople([...named]);

    const byEmail: typeof refs = [];
    for (const ref of refs) {
      const viaLink = this.pick(ref.riid ? (links.get(ref.riid) ?? []) : [], existing);
      if (viaLink) {
        result.set(ref.key, viaLink.status === 'matched' ? { ...viaLink, via: 'link' } : viaLink);
        continue;
      }
      const viaCustomerId = ref.customerId ? follow(ref.customerId, existing) : undefined;
      if (viaCustomerId) {
        result.set(ref.key, { ...viaCustomerId, via: 'customer_id' });
        continue;
      }
      if (ref.email) byEmail.push(ref);
      else {
        result.set(ref.key, {
          status: 'unmatched',
          reason: 'no linked record, no CUSTOMER_ID_ of an existing record, and no email address',
          code: 'NO_MATCH',
        });
      }
    }
    if (byEmail.length === 0) return result;
    const emails = [...new Set(byEmail.map((ref) => ref.email!))];
    const [contacts, leads] = await Promise.all([
      this.peopleByEmail('Contact', emails),
      this.peopleByEmail('Lead', emails),
    ]);
    for (const ref of byEmail) {
      const email = ref.email!;
      const contactIds = contacts.get(email) ?? [];
      const leadIds = leads.get(email) ?? [];
      const [objectType, ids] =
        contactIds.length > 0 ? (['Contact', contactIds] as const) : (['Lead', leadIds] as const);
      if (ids.length === 1) {
        result.set(ref.key, { status: 'matched', objectType, salesforceId: ids[0]!, via: 'email' });
      } else if (ids.length > 1) {
        result.set(ref.key, {
          status: 'ambiguous',
          reason: `${ids.length} ${objectType}s have the email address ${email}`,
          code: 'AMBIGUOUS_SALESFORCE',
          candidates: ids,
        });
      } else {
        result.set(ref.key, {
          status: 'unmatched',
          reason: `no Lead or Contact has the email address ${email}`,
          code: 'NO_MATCH',
        });
      }
    }
    return result;
  }

  /** Which of these Lead/Contact ids still exist, and the Contact each converted Lead became. */
  private async existingPeople(ids: string[]): Promise<Map<string, ExistingPerson>> {
    const existing = new Map<string, ExistingPerson>();
    const leads = ids.filter((id) => objectTypeOfId(id) === 'Lead');
    const contacts = ids.filter((id) => objectTypeOfId(id) === 'Contact');
    const [leadRecords, contactRecords] = await Promise.all([
      leads.length > 0
        ? this.options.salesforce.retrieve('Lead', leads, ['IsConverted', 'ConvertedContactId'])
        : new Map<string, SObjectRecord>(),
      contacts.length > 0
        ? this.options.salesforce.retrieve('Contact', contacts, [])
        : new Map<string, SObjectRecord>(),
    ]);
    for (const [id, record] of leadRecords) {
      const converted = record.IsConverted === true && typeof record.ConvertedContactId === 'string';
      existing.set(id, {
        objectType: 'Lead',
        convertedContactId: converted ? toId18(record.ConvertedContactId as string) : undefined,
      });
    }
    for (const id of contactRecords.keys()) existing.set(id, { objectType: 'Contact' });
    return existing;
  }

  /** Among linked records: a Contact first (several: ambiguous), else a Lead (or the Contact it became). */
  private pick(
    links: readonly IdentityLink[],
    existing: Map<string, ExistingPerson>,
  ): SalesforceMatch | undefined {
    const alive = links
      .map((link) => follow(link.salesforceId, existing))
      .filter((match) => match !== undefined);
    const contacts = [
      ...new Set(alive.filter((match) => match.objectType === 'Contact').map((m) => m.salesforceId)),
    ];
    if (contacts.length > 1) {
      return {
        status: 'ambiguous',
        reason: `the recipient is linked to ${contacts.length} Contacts (${contacts.join(', ')})`,
        code: 'AMBIGUOUS_SALESFORCE',
        candidates: contacts,
      };
    }
    return alive.find((match) => match.objectType === 'Contact') ?? alive[0];
  }

  // ---------------------------------------------------------------- links

  /**
   * Records who is who after a successful sync, so the next lookup is direct both ways (Salesforce id
   * -> RIID and RIID -> Salesforce ids). Pass the transaction to store them with other writes.
   */
  async recordLinks(links: readonly IdentityLinkInput[], tx?: Queryable): Promise<void> {
    const repository = tx ? new IdentityLinks(tx) : this.options.links;
    await repository.link(
      links.map((link) => ({
        ...link,
        salesforceId: isSalesforceId(link.salesforceId) ? toId18(link.salesforceId) : link.salesforceId,
      })),
    );
  }
}

interface ExistingPerson {
  objectType: PersonObject;
  convertedContactId?: string;
}

function follow(
  id: string,
  existing: Map<string, ExistingPerson>,
): Extract<SalesforceMatch, { status: 'matched' }> | undefined {
  const person = existing.get(id);
  if (!person) return undefined;
  if (person.objectType === 'Lead' && person.convertedContactId) {
    return {
      status: 'matched',
      objectType: 'Contact',
      salesforceId: person.convertedContactId,
      via: 'link',
      convertedFrom: id,
    };
  }
  return { status: 'matched', objectType: person.objectType, salesforceId: id, via: 'link' };
}

function ambiguousRecipients(
  person: { id: string; objectType: PersonObject },
  rows: ProfileRow[],
  what: string,
): RecipientMatch {
  const riids = rows.map((row) => row.RIID_ ?? '?');
  return {
    status: 'ambiguous',
    salesforceId: person.id,
    objectType: person.objectType,
    reason: `${rows.length} Responsys recipients have ${what} (RIIDs ${riids.join(', ')})`,
    code: 'AMBIGUOUS_RESPONSYS',
    candidates: riids,
  };
}

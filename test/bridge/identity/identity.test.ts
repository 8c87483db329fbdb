import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IdentityService } from '../../../bridge/src/identity/identity-service.js';
import type { SalesforcePerson } from '../../../bridge/src/identity/types.js';
import type { SalesforceClient } from '../../../bridge/src/salesforce/client.js';
import { silentLogger } from '../../../bridge/src/shared/logger.js';
import type { SalesforceEmulator } from '../../emulators/salesforce/index.js';
import { startClientRig, type ClientRig } from '../responsys/support.js';
import { apiCalls, emulatorClient, startEmulator } from '../salesforce/support.js';
import { serverBackend, type OpenedStore } from '../support/stores.js';

// Matching Salesforce Leads and Contacts to Responsys recipients and back, against both emulators
// and a real store: links first, then CUSTOMER_ID_, then the email; Contacts win over Leads,
// converted Leads follow their Contact, and ambiguity is reported, never guessed.

let salesforce: SalesforceEmulator;
let responsys: ClientRig;
let opened: OpenedStore;
let sf: SalesforceClient;
let identity: IdentityService;
let counter = 0;

beforeAll(async () => {
  salesforce = await startEmulator({ packageTriggers: false });
  responsys = await startClientRig();
  opened = await serverBackend.open();
});

afterAll(async () => {
  await opened.cleanup();
  await responsys.close();
  await salesforce.close();
});

beforeEach(() => {
  sf = emulatorClient(salesforce);
  identity = new IdentityService({
    salesforce: sf,
    responsys: responsys.client,
    links: opened.store.identityLinks,
    logger: silentLogger(),
  });
});

function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}@identity.example`;
}

function lead(email: string | null, extra: Record<string, unknown> = {}): SalesforcePerson {
  const [id] = salesforce.insert('Lead', [
    { LastName: 'Lead', Company: 'Identity Co', Email: email, ...extra },
  ]);
  return { objectType: 'Lead', id: id!, email };
}

function contact(email: string | null): SalesforcePerson {
  const [id] = salesforce.insert('Contact', [{ LastName: 'Contact', Email: email }]);
  return { objectType: 'Contact', id: id!, email };
}

/** Puts recipients into the profile list (CUSTOMER_ID_ as the match key, so duplicates of an email can exist). */
async function recipients(rows: Array<{ email: string; customerId?: string }>): Promise<string[]> {
  const outcomes = await responsys.client.mergeProfileMembers(
    rows.map((row, i) => ({
      EMAIL_ADDRESS_: row.email,
      CUSTOMER_ID_: row.customerId ?? `seed-${counter}-${i}-${Date.now()}`,
      EMAIL_PERMISSION_STATUS_: 'I',
    })),
    { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' },
  );
  return outcomes.map((outcome) => {
    if (!outcome.ok) throw new Error(outcome.message);
    return outcome.riid;
  });
}

/** A recipient with an email and no CUSTOMER_ID_ (in Responsys before the first sync). */
async function emailOnlyRecipient(email: string): Promise<string> {
  const [outcome] = await responsys.client.mergeProfileMembers(
    [{ EMAIL_ADDRESS_: email, EMAIL_PERMISSION_STATUS_: 'I' }],
    { matchColumn: 'EMAIL_ADDRESS_', defaultPermissionStatus: 'OPTIN' },
  );
  if (!outcome!.ok) throw new Error(outcome!.message);
  return outcome!.riid;
}

describe('Salesforce record -> Responsys recipient', () => {
  it('resolves 200 new records with two Responsys lookups and two Salesforce queries', async () => {
    const ids = salesforce.insert(
      'Lead',
      Array.from({ length: 200 }, (_, i) => ({
        LastName: `bulk${i}`,
        Company: 'Bulk Co',
        Email: `Bulk${i}.${counter}@Identity.Example`,
      })),
    );
    const people = ids.map((id, i) => ({
      objectType: 'Lead' as const,
      id,
      email: `Bulk${i}.${counter}@Identity.Example `,
    }));
    const before = await responsys.apiCalls('retrieveListRecipients');
    const matches = await identity.resolveRecipients(people);
    expect(matches.size).toBe(200);
    expect(matches.get(ids[0]!)).toEqual({
      status: 'new',
      salesforceId: ids[0],
      objectType: 'Lead',
      email: `bulk0.${counter}@identity.example`,
    });
    expect((await responsys.apiCalls('retrieveListRecipients')) - before).toBe(2);
    expect(await apiCalls(sf, 'query')).toBe(2);
  });

  it('uses the stored link first, without asking either system', async () => {
    const person = lead(unique('linked'));
    await identity.recordLinks([
      { salesforceId: person.id, objectType: 'Lead', riid: '424242', email: person.email },
    ]);
    const before = await responsys.apiCalls('retrieveListRecipients');
    const match = (await identity.resolveRecipients([person])).get(person.id);
    expect(match).toMatchObject({ status: 'matched', riid: '424242', via: 'link' });
    expect(await responsys.apiCalls('retrieveListRecipients')).toBe(before);
    expect(await apiCalls(sf, 'query')).toBe(0);
  });

  it("uses the record's own Responsys_RIID__c when the bridge has no link (a new store)", async () => {
    const person = { ...lead(unique('riidfield')), riid: '515151' };
    expect((await identity.resolveRecipients([person])).get(person.id)).toMatchObject({
      status: 'matched',
      riid: '515151',
      via: 'record',
    });
  });

  it('finds the recipient whose CUSTOMER_ID_ is the Salesforce id, whatever its email', async () => {
    const person = lead(unique('custid'));
    const [riid] = await recipients([{ email: unique('old-address'), customerId: person.id }]);
    expect((await identity.resolveRecipients([person])).get(person.id)).toMatchObject({
      status: 'matched',
      riid,
      via: 'customer_id',
    });
  });

  it('matches by normalised email a recipient that belongs to no one yet', async () => {
    const email = unique('byemail');
    const riid = await emailOnlyRecipient(email);
    const person = { ...lead(email.toUpperCase()), email: `  ${email.toUpperCase()} ` };
    expect((await identity.resolveRecipients([person])).get(person.id)).toMatchObject({
      status: 'matched',
      riid,
      via: 'email',
      email,
    });
  });

  it('sends a converted Lead to its Contact', async () => {
    const person = lead(unique('converted'));
    const converted = salesforce.convertLead(person.id, { doNotCreateOpportunity: true });
    const match = (
      await identity.resolveRecipients([
        { ...person, isConverted: true, convertedContactId: converted.contactId },
      ])
    ).get(person.id);
    expect(match).toMatchObject({
      status: 'converted',
      contactId: converted.contactId,
      code: 'LEAD_CONVERTED',
    });
  });

  it('lets a Contact win over a Lead with the same email', async () => {
    const email = unique('contactwins');
    const theContact = contact(email);
    const theLead = lead(email);
    const matches = await identity.resolveRecipients([theLead, theContact]);
    expect(matches.get(theLead.id)).toMatchObject({
      status: 'superseded',
      code: 'CONTACT_WINS',
      contactIds: [theContact.id],
    });
    expect(matches.get(theContact.id)).toMatchObject({ status: 'new' });
  });

  it('lets a Contact take over a recipient a Lead with its email had claimed', async () => {
    const email = unique('takeover');
    const oldLead = lead(unique('other'));
    const [riid] = await recipients([{ email, customerId: oldLead.id }]);
    const theContact = contact(email);
    expect((await identity.resolveRecipients([theContact])).get(theContact.id)).toMatchObject({
      status: 'matched',
      riid,
      via: 'email',
    });
  });

  it('reports two Contacts with one email as ambiguous, for both', async () => {
    const email = unique('twocontacts');
    const first = contact(email);
    const second = contact(email);
    const matches = await identity.resolveRecipients([first, second]);
    expect(matches.get(first.id)).toMatchObject({
      status: 'ambiguous',
      code: 'AMBIGUOUS_SALESFORCE',
      candidates: [second.id],
    });
    expect(matches.get(second.id)).toMatchObject({ status: 'ambiguous', candidates: [first.id] });
  });

  it('reports two open Leads with one email as ambiguous', async () => {
    const email = unique('twoleads');
    const first = lead(email);
    lead(email);
    expect((await identity.resolveRecipients([first])).get(first.id)).toMatchObject({
      status: 'ambiguous',
      code: 'AMBIGUOUS_SALESFORCE',
    });
  });

  it('reports several Responsys recipients with the email as ambiguous, naming their RIIDs', async () => {
    const email = unique('tworecipients');
    const riids = await recipients([{ email }, { email }]);
    const person = contact(email);
    const match = (await identity.resolveRecipients([person])).get(person.id);
    expect(match).toMatchObject({ status: 'ambiguous', code: 'AMBIGUOUS_RESPONSYS' });
    expect(match?.status === 'ambiguous' && [...match.candidates].sort()).toEqual([...riids].sort());
  });

  it('does not take a recipient that belongs to another Contact', async () => {
    const email = unique('owned');
    const owner = contact(unique('owner-now-elsewhere'));
    await recipients([{ email, customerId: owner.id }]);
    const person = contact(email);
    expect((await identity.resolveRecipients([person])).get(person.id)).toMatchObject({
      status: 'ambiguous',
      code: 'RECIPIENT_OWNED_BY_ANOTHER_RECORD',
      candidates: [owner.id],
    });
  });

  it('says why a record without an email cannot be matched', async () => {
    const person = lead(null);
    expect((await identity.resolveRecipients([person])).get(person.id)).toMatchObject({
      status: 'no_email',
      code: 'NO_EMAIL',
    });
  });
});

describe('Responsys recipient -> Salesforce record', () => {
  it('follows the links both ways, preferring the Contact a recipient is linked to', async () => {
    const email = unique('linkedboth');
    const theLead = lead(email);
    const theContact = contact(unique('contact-of-link'));
    await identity.recordLinks([
      { salesforceId: theLead.id, objectType: 'Lead', riid: '777001', email },
      { salesforceId: theContact.id, objectType: 'Contact', riid: '777001', email },
    ]);
    expect((await identity.resolveSalesforceRecords([{ riid: '777001' }])).get('777001')).toEqual({
      status: 'matched',
      objectType: 'Contact',
      salesforceId: theContact.id,
      via: 'link',
    });
    expect((await opened.store.identityLinks.forSalesforceIds([theLead.id])).get(theLead.id)?.riid).toBe(
      '777001',
    );
  });

  it('ignores a link to a deleted record and falls back to the email', async () => {
    const email = unique('deletedlink');
    const gone = lead(email);
    await identity.recordLinks([{ salesforceId: gone.id, objectType: 'Lead', riid: '777002', email }]);
    salesforce.delete([gone.id]);
    const current = contact(email);
    expect(
      (await identity.resolveSalesforceRecords([{ riid: '777002', email }])).get('777002'),
    ).toMatchObject({
      status: 'matched',
      salesforceId: current.id,
      via: 'email',
    });
  });

  it('takes a CUSTOMER_ID_ naming a converted Lead to its Contact', async () => {
    const person = lead(unique('cust-converted'));
    const converted = salesforce.convertLead(person.id, { doNotCreateOpportunity: true });
    const match = (
      await identity.resolveSalesforceRecords([{ key: 'r1', riid: '9', customerId: person.id }])
    ).get('r1');
    expect(match).toMatchObject({
      status: 'matched',
      objectType: 'Contact',
      salesforceId: converted.contactId,
      convertedFrom: person.id,
    });
  });

  it('matches by email a Contact before a Lead, reports two Leads as ambiguous and no one as unmatched', async () => {
    const shared = unique('inbound-shared');
    const theContact = contact(shared);
    lead(shared);
    const twoLeads = unique('inbound-two');
    lead(twoLeads);
    lead(twoLeads);
    const matches = await identity.resolveSalesforceRecords([
      { key: 'a', email: shared.toUpperCase() },
      { key: 'b', email: twoLeads },
      { key: 'c', email: unique('nobody') },
    ]);
    expect(matches.get('a')).toMatchObject({ status: 'matched', salesforceId: theContact.id, via: 'email' });
    expect(matches.get('b')).toMatchObject({ status: 'ambiguous', code: 'AMBIGUOUS_SALESFORCE' });
    expect(matches.get('c')).toMatchObject({ status: 'unmatched', code: 'NO_MATCH' });
  });
});

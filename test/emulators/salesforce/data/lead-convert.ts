import { RecordFailure } from '../errors.js';
import { normalizeId } from '../schema/ids.js';
import { LEAD_STATUSES } from '../schema/standard-objects.js';
import type { FieldValue, StoredRecord } from '../schema/types.js';
import type { UnitOfWork } from './write-pipeline.js';

// Lead conversion (Apex/SOAP `convertLead`; REST has no equivalent, so tests reach it through the
// control API). One transaction: the account, contact and opportunity are created (or the given
// ones reused), the lead becomes read-only with its Converted* fields set, its campaign memberships
// gain the contact, and its open activities move to the contact.

export interface LeadConvertRequest {
  leadId: string;
  accountId?: string;
  contactId?: string;
  doNotCreateOpportunity?: boolean;
  opportunityName?: string;
  convertedStatus?: string;
  ownerId?: string;
  /**
   * Copy custom fields with the same API name from the lead to the contact. Orgs configure this in
   * Setup ("Map Lead Fields"); packages cannot ship it, so it is off unless a test asks for it.
   */
  mapCustomFields?: boolean;
}

export interface LeadConvertResult {
  leadId: string;
  accountId: string;
  contactId: string;
  opportunityId: string | null;
}

function pick(source: StoredRecord, mapping: Record<string, string>): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const [from, to] of Object.entries(mapping)) {
    const value = source[from];
    if (value !== null && value !== undefined && value !== '') out[to] = value;
  }
  return out;
}

function endOfQuarter(today: string): string {
  const year = Number(today.slice(0, 4));
  const quarter = Math.floor((Number(today.slice(5, 7)) - 1) / 3);
  return new Date(Date.UTC(year, quarter * 3 + 3, 0)).toISOString().slice(0, 10);
}

export function convertLead(unit: UnitOfWork, request: LeadConvertRequest, today: string): LeadConvertResult {
  const leadId = normalizeId(request.leadId);
  const lead = leadId ? unit.tx.store.getLive(leadId) : undefined;
  if (!leadId || !lead || !leadId.startsWith('00Q')) {
    throw RecordFailure.of('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
  }
  if (lead.IsConverted === true) {
    throw RecordFailure.of('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead');
  }
  const status = request.convertedStatus ?? LEAD_STATUSES.converted;
  if (status !== LEAD_STATUSES.converted) {
    throw RecordFailure.of('INVALID_STATUS', `invalid convertedStatus: ${status}`);
  }
  const ownerId = request.ownerId ?? (String(lead.OwnerId).startsWith('005') ? (lead.OwnerId as string) : undefined);
  const owner: Record<string, FieldValue> = ownerId ? { OwnerId: ownerId } : {};
  const trusted = { trusted: true };

  const accountId =
    request.accountId ??
    (unit.insert(
      'Account',
      {
        Name: lead.Company as string,
        ...pick(lead, {
          Street: 'BillingStreet',
          City: 'BillingCity',
          State: 'BillingState',
          PostalCode: 'BillingPostalCode',
          Country: 'BillingCountry',
          Phone: 'Phone',
          Website: 'Website',
          Industry: 'Industry',
          AnnualRevenue: 'AnnualRevenue',
          NumberOfEmployees: 'NumberOfEmployees',
          LeadSource: 'AccountSource',
          Rating: 'Rating',
        }),
        ...owner,
      },
      trusted,
    ).Id as string);

  const contactValues: Record<string, FieldValue> = {
    AccountId: accountId,
    ...pick(lead, {
      FirstName: 'FirstName',
      LastName: 'LastName',
      Salutation: 'Salutation',
      Title: 'Title',
      Email: 'Email',
      Phone: 'Phone',
      MobilePhone: 'MobilePhone',
      Fax: 'Fax',
      Street: 'MailingStreet',
      City: 'MailingCity',
      State: 'MailingState',
      PostalCode: 'MailingPostalCode',
      Country: 'MailingCountry',
      LeadSource: 'LeadSource',
      HasOptedOutOfEmail: 'HasOptedOutOfEmail',
      HasOptedOutOfFax: 'HasOptedOutOfFax',
      DoNotCall: 'DoNotCall',
      Description: 'Description',
    }),
  };
  if (request.mapCustomFields) {
    const contactFields = new Set(
      unit.tx.store.catalog.object('Contact')!.fields.filter((f) => f.custom && f.createable).map((f) => f.name),
    );
    for (const [name, value] of Object.entries(lead)) {
      if (name.endsWith('__c') && contactFields.has(name) && value !== null) contactValues[name] = value;
    }
  }
  let contactId: string;
  if (request.contactId) {
    contactId = unit.update('Contact', request.contactId, { AccountId: accountId }, trusted).Id as string;
  } else {
    contactId = unit.insert('Contact', { ...contactValues, ...owner }, trusted).Id as string;
  }

  let opportunityId: string | null = null;
  if (!request.doNotCreateOpportunity) {
    opportunityId = unit.insert(
      'Opportunity',
      {
        Name: request.opportunityName ?? `${String(lead.Company)}-`,
        AccountId: accountId,
        ContactId: contactId,
        StageName: 'Prospecting',
        CloseDate: endOfQuarter(today),
        ...pick(lead, { LeadSource: 'LeadSource' }),
        ...owner,
      },
      trusted,
    ).Id as string;
  }

  unit.update(
    'Lead',
    leadId,
    {
      IsConverted: true,
      ConvertedDate: today,
      ConvertedAccountId: accountId,
      ConvertedContactId: contactId,
      ConvertedOpportunityId: opportunityId,
      Status: status,
    },
    trusted,
  );

  const store = unit.tx.store;
  for (const member of store.children('CampaignMember', 'LeadId', leadId)) {
    if (member.IsDeleted === true || member.ContactId) continue;
    unit.update('CampaignMember', member.Id as string, { ContactId: contactId }, trusted);
  }
  for (const activity of store.children('Task', 'WhoId', leadId)) {
    if (activity.IsDeleted === true) continue;
    unit.update(
      'Task',
      activity.Id as string,
      { WhoId: contactId, WhatId: (activity.WhatId as string | null) ?? opportunityId ?? accountId },
      trusted,
    );
  }
  return { leadId, accountId, contactId, opportunityId };
}

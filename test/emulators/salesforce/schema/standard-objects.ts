import {
  field,
  picklist,
  type FieldDef,
  type FieldOptions,
  type FieldValue,
  type ObjectDef,
  type PicklistValue,
  type RecordLookup,
  type StoredRecord,
} from './types.js';

// The standard objects the bridge touches, with the field names, types, lengths, labels, flags and
// default picklists of a fresh Enterprise Edition org (Object Reference, API 62.0). Labels matter:
// Salesforce quotes them in validation messages ("Last Name: data value too large: ...").

const readOnly: FieldOptions = { createable: false, updateable: false };
const createOnly: FieldOptions = { updateable: false };
const required: FieldOptions = { nillable: false };

function text(name: string, label: string, length: number, options: FieldOptions = {}): FieldDef {
  return field(name, 'string', label, { length, ...options });
}

function textarea(name: string, label: string, length: number, options: FieldOptions = {}): FieldDef {
  return field(name, 'textarea', label, { length, ...options });
}

function pick(name: string, label: string, values: PicklistValue[], options: FieldOptions = {}): FieldDef {
  return field(name, 'picklist', label, { length: 255, picklistValues: values, ...options });
}

function bool(name: string, label: string, options: FieldOptions = {}): FieldDef {
  return field(name, 'boolean', label, options);
}

function money(name: string, label: string, precision: number, scale: number, options: FieldOptions = {}) {
  return field(name, 'currency', label, { precision, scale, ...options });
}

function ref(
  name: string,
  label: string,
  referenceTo: string[],
  relationshipName: string | null,
  options: FieldOptions = {},
): FieldDef {
  return field(name, 'reference', label, { length: 18, referenceTo, relationshipName, ...options });
}

function idField(label: string): FieldDef {
  return field('Id', 'id', label, {
    length: 18,
    nillable: false,
    createable: false,
    updateable: false,
    defaultedOnCreate: true,
    idLookup: true,
  });
}

interface SystemFieldOptions {
  /** Objects the owner can be, or null when the object has no OwnerId. */
  owner?: string[] | null;
  isDeleted?: boolean;
  viewTracking?: boolean;
  lastActivity?: boolean;
}

function systemFields({
  owner = ['User'],
  isDeleted = true,
  viewTracking = false,
  lastActivity = false,
}: SystemFieldOptions): FieldDef[] {
  const audit = { ...readOnly, nillable: false, defaultedOnCreate: true };
  const fields: FieldDef[] = [];
  if (owner) {
    fields.push(ref('OwnerId', 'Owner ID', owner, 'Owner', { nillable: false, defaultedOnCreate: true }));
  }
  if (isDeleted) fields.push(bool('IsDeleted', 'Deleted', readOnly));
  fields.push(
    field('CreatedDate', 'datetime', 'Created Date', audit),
    ref('CreatedById', 'Created By ID', ['User'], 'CreatedBy', audit),
    field('LastModifiedDate', 'datetime', 'Last Modified Date', audit),
    ref('LastModifiedById', 'Last Modified By ID', ['User'], 'LastModifiedBy', audit),
    field('SystemModstamp', 'datetime', 'System Modstamp', audit),
  );
  if (lastActivity) fields.push(field('LastActivityDate', 'date', 'Last Activity', readOnly));
  if (viewTracking) {
    fields.push(
      field('LastViewedDate', 'datetime', 'Last Viewed Date', readOnly),
      field('LastReferencedDate', 'datetime', 'Last Referenced Date', readOnly),
    );
  }
  return fields;
}

const GEOCODE_ACCURACY = picklist([
  'Address',
  'NearAddress',
  'Block',
  'Street',
  'ExtendedZip',
  'Zip',
  'Neighborhood',
  'City',
  'County',
  'State',
  'Unknown',
]);

/** The parts of an address plus its read-only compound field (`Address`, `MailingAddress`, ...). */
function addressFields(prefix: string, labelPrefix: string): FieldDef[] {
  const compound = `${prefix}Address`;
  const part: FieldOptions = { compoundFieldName: compound };
  const l = (label: string) => (labelPrefix ? `${labelPrefix} ${label}` : label);
  const names = {
    street: `${prefix}Street`,
    city: `${prefix}City`,
    state: `${prefix}State`,
    postalCode: `${prefix}PostalCode`,
    country: `${prefix}Country`,
    latitude: `${prefix}Latitude`,
    longitude: `${prefix}Longitude`,
    geocodeAccuracy: `${prefix}GeocodeAccuracy`,
  };
  return [
    textarea(names.street, l('Street'), 255, part),
    text(names.city, l('City'), 40, part),
    text(names.state, l('State/Province'), 80, part),
    text(names.postalCode, l('Zip/Postal Code'), 20, part),
    text(names.country, l('Country'), 80, part),
    field(names.latitude, 'double', l('Latitude'), { precision: 18, scale: 15, ...part }),
    field(names.longitude, 'double', l('Longitude'), { precision: 18, scale: 15, ...part }),
    pick(names.geocodeAccuracy, l('Geocode Accuracy'), GEOCODE_ACCURACY, part),
    field(compound, 'address', labelPrefix ? `${labelPrefix} Address` : 'Address', {
      ...readOnly,
      compute: (record) => {
        const value: Record<string, FieldValue> = {};
        let any = false;
        for (const [key, fieldName] of Object.entries(names)) {
          const v = record[fieldName] ?? null;
          value[key] = v;
          if (v !== null) any = true;
        }
        return any ? value : null;
      },
    }),
  ];
}

function fullName(record: StoredRecord): FieldValue {
  const parts = [record.FirstName, record.LastName].filter((p) => typeof p === 'string' && p !== '');
  return parts.length ? parts.join(' ') : null;
}

function personNameFields(lastNameLength = 80): FieldDef[] {
  return [
    text('LastName', 'Last Name', lastNameLength, { ...required, compoundFieldName: 'Name' }),
    text('FirstName', 'First Name', 40, { compoundFieldName: 'Name' }),
    pick('Salutation', 'Salutation', picklist(['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.', 'Mx.']), {
      compoundFieldName: 'Name',
    }),
    text('Name', 'Full Name', 121, { ...readOnly, nameField: true, compute: fullName }),
  ];
}

export const LEAD_SOURCES = picklist(['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']);
const INDUSTRIES = picklist([
  'Agriculture',
  'Apparel',
  'Banking',
  'Biotechnology',
  'Chemicals',
  'Communications',
  'Construction',
  'Consulting',
  'Education',
  'Electronics',
  'Energy',
  'Engineering',
  'Entertainment',
  'Environmental',
  'Finance',
  'Food & Beverage',
  'Government',
  'Healthcare',
  'Hospitality',
  'Insurance',
  'Machinery',
  'Manufacturing',
  'Media',
  'Not For Profit',
  'Recreation',
  'Retail',
  'Shipping',
  'Technology',
  'Telecommunications',
  'Transportation',
  'Utilities',
  'Other',
]);
const RATINGS = picklist(['Hot', 'Warm', 'Cold']);

/** Lead statuses of a default org (LeadStatus): one is the default, one is the converted status. */
export const LEAD_STATUSES = {
  values: picklist(
    ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'],
    'Open - Not Contacted',
  ),
  converted: 'Closed - Converted',
};

/** Opportunity stages of a default org (OpportunityStage) with their probability and forecast. */
export const OPPORTUNITY_STAGES: Array<{
  name: string;
  probability: number;
  forecastCategory: 'Pipeline' | 'BestCase' | 'Forecast' | 'Closed' | 'Omitted';
  closed: boolean;
  won: boolean;
}> = [
  { name: 'Prospecting', probability: 10, forecastCategory: 'Pipeline', closed: false, won: false },
  { name: 'Qualification', probability: 10, forecastCategory: 'Pipeline', closed: false, won: false },
  { name: 'Needs Analysis', probability: 20, forecastCategory: 'Pipeline', closed: false, won: false },
  { name: 'Value Proposition', probability: 50, forecastCategory: 'Pipeline', closed: false, won: false },
  { name: 'Id. Decision Makers', probability: 60, forecastCategory: 'Pipeline', closed: false, won: false },
  { name: 'Perception Analysis', probability: 70, forecastCategory: 'Pipeline', closed: false, won: false },
  { name: 'Proposal/Price Quote', probability: 75, forecastCategory: 'Pipeline', closed: false, won: false },
  { name: 'Negotiation/Review', probability: 90, forecastCategory: 'Pipeline', closed: false, won: false },
  { name: 'Closed Won', probability: 100, forecastCategory: 'Closed', closed: true, won: true },
  { name: 'Closed Lost', probability: 0, forecastCategory: 'Omitted', closed: true, won: false },
];

export const FORECAST_CATEGORY_NAMES: Record<string, string> = {
  Pipeline: 'Pipeline',
  BestCase: 'Best Case',
  Forecast: 'Commit',
  Closed: 'Closed',
  Omitted: 'Omitted',
};

export const TASK_STATUSES = {
  values: picklist(
    ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'],
    'Not Started',
  ),
  closed: new Set(['Completed']),
};

/** Default member statuses Salesforce creates with every new campaign. */
export const DEFAULT_CAMPAIGN_MEMBER_STATUSES = [
  { Label: 'Sent', SortOrder: 1, IsDefault: true, HasResponded: false },
  { Label: 'Responded', SortOrder: 2, IsDefault: false, HasResponded: true },
];

function objectDef(
  partial: Pick<ObjectDef, 'name' | 'label' | 'labelPlural' | 'keyPrefix' | 'fields'> & Partial<ObjectDef>,
): ObjectDef {
  return {
    kind: 'standard',
    custom: false,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    searchable: true,
    triggerable: true,
    undeletable: true,
    childRelationships: [],
    ...partial,
  };
}

function lead(): ObjectDef {
  return objectDef({
    name: 'Lead',
    label: 'Lead',
    labelPlural: 'Leads',
    keyPrefix: '00Q',
    fields: [
      idField('Lead ID'),
      ref('MasterRecordId', 'Master Record ID', ['Lead'], 'MasterRecord', readOnly),
      ...personNameFields(),
      text('Title', 'Title', 128),
      text('Company', 'Company', 255, required),
      ...addressFields('', ''),
      field('Phone', 'phone', 'Phone', { length: 40 }),
      field('MobilePhone', 'phone', 'Mobile Phone', { length: 40 }),
      field('Fax', 'phone', 'Fax', { length: 40 }),
      field('Email', 'email', 'Email', { length: 80, idLookup: true }),
      field('Website', 'url', 'Website', { length: 255 }),
      field('PhotoUrl', 'url', 'Photo URL', { length: 255, ...readOnly }),
      textarea('Description', 'Description', 32000),
      pick('LeadSource', 'Lead Source', LEAD_SOURCES),
      pick('Status', 'Status', LEAD_STATUSES.values, { nillable: false, defaultedOnCreate: true }),
      pick('Industry', 'Industry', INDUSTRIES),
      pick('Rating', 'Rating', RATINGS),
      money('AnnualRevenue', 'Annual Revenue', 18, 0),
      field('NumberOfEmployees', 'int', 'Employees', { digits: 8 }),
      bool('HasOptedOutOfEmail', 'Email Opt Out'),
      bool('IsConverted', 'Converted', createOnly),
      field('ConvertedDate', 'date', 'Converted Date', readOnly),
      ref('ConvertedAccountId', 'Converted Account ID', ['Account'], 'ConvertedAccount', readOnly),
      ref('ConvertedContactId', 'Converted Contact ID', ['Contact'], 'ConvertedContact', readOnly),
      ref(
        'ConvertedOpportunityId',
        'Converted Opportunity ID',
        ['Opportunity'],
        'ConvertedOpportunity',
        readOnly,
      ),
      bool('IsUnreadByOwner', 'Unread By Owner'),
      bool('DoNotCall', 'Do Not Call'),
      bool('HasOptedOutOfFax', 'Fax Opt Out'),
      field('LastTransferDate', 'date', 'Last Transfer Date', readOnly),
      text('Jigsaw', 'Data.com Key', 20),
      text('JigsawContactId', 'Jigsaw Contact ID', 20, readOnly),
      text('EmailBouncedReason', 'Email Bounced Reason', 255),
      field('EmailBouncedDate', 'datetime', 'Email Bounced Date'),
      ...systemFields({ owner: ['Group', 'User'], viewTracking: true, lastActivity: true }),
    ],
  });
}

function contact(): ObjectDef {
  return objectDef({
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    fields: [
      idField('Contact ID'),
      ref('MasterRecordId', 'Master Record ID', ['Contact'], 'MasterRecord', readOnly),
      ref('AccountId', 'Account ID', ['Account'], 'Account', { deleteConstraint: 'Cascade' }),
      ...personNameFields(),
      ...addressFields('Other', 'Other'),
      ...addressFields('Mailing', 'Mailing'),
      field('Phone', 'phone', 'Business Phone', { length: 40 }),
      field('Fax', 'phone', 'Business Fax', { length: 40 }),
      field('MobilePhone', 'phone', 'Mobile Phone', { length: 40 }),
      field('HomePhone', 'phone', 'Home Phone', { length: 40 }),
      field('OtherPhone', 'phone', 'Other Phone', { length: 40 }),
      field('AssistantPhone', 'phone', 'Asst. Phone', { length: 40 }),
      ref('ReportsToId', 'Reports To ID', ['Contact'], 'ReportsTo', { deleteConstraint: 'SetNull' }),
      field('Email', 'email', 'Email', { length: 80, idLookup: true }),
      text('Title', 'Title', 128),
      text('Department', 'Department', 80),
      text('AssistantName', "Assistant's Name", 40),
      pick('LeadSource', 'Lead Source', LEAD_SOURCES),
      field('Birthdate', 'date', 'Birthdate'),
      textarea('Description', 'Contact Description', 32000),
      bool('HasOptedOutOfEmail', 'Email Opt Out'),
      bool('HasOptedOutOfFax', 'Fax Opt Out'),
      bool('DoNotCall', 'Do Not Call'),
      field('LastCURequestDate', 'datetime', 'Last Stay-in-Touch Request Date', readOnly),
      field('LastCUUpdateDate', 'datetime', 'Last Stay-in-Touch Save Date', readOnly),
      text('EmailBouncedReason', 'Email Bounced Reason', 255),
      field('EmailBouncedDate', 'datetime', 'Email Bounced Date'),
      bool('IsEmailBounced', 'Is Email Bounced', readOnly),
      field('PhotoUrl', 'url', 'Photo URL', { length: 255, ...readOnly }),
      text('Jigsaw', 'Data.com Key', 20),
      text('JigsawContactId', 'Jigsaw Contact ID', 20, readOnly),
      ...systemFields({ viewTracking: true, lastActivity: true }),
    ],
  });
}

function account(): ObjectDef {
  return objectDef({
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    fields: [
      idField('Account ID'),
      ref('MasterRecordId', 'Master Record ID', ['Account'], 'MasterRecord', readOnly),
      text('Name', 'Account Name', 255, { ...required, nameField: true }),
      pick(
        'Type',
        'Account Type',
        picklist([
          'Prospect',
          'Customer - Direct',
          'Customer - Channel',
          'Channel Partner / Reseller',
          'Installation Partner',
          'Technology Partner',
          'Other',
        ]),
      ),
      ref('ParentId', 'Parent Account ID', ['Account'], 'Parent', { deleteConstraint: 'SetNull' }),
      ...addressFields('Billing', 'Billing'),
      ...addressFields('Shipping', 'Shipping'),
      field('Phone', 'phone', 'Account Phone', { length: 40 }),
      field('Fax', 'phone', 'Account Fax', { length: 40 }),
      text('AccountNumber', 'Account Number', 40),
      field('Website', 'url', 'Website', { length: 255 }),
      field('PhotoUrl', 'url', 'Photo URL', { length: 255, ...readOnly }),
      text('Sic', 'SIC Code', 20),
      pick('Industry', 'Industry', INDUSTRIES),
      money('AnnualRevenue', 'Annual Revenue', 18, 0),
      field('NumberOfEmployees', 'int', 'Employees', { digits: 8 }),
      pick('Ownership', 'Ownership', picklist(['Public', 'Private', 'Subsidiary', 'Other'])),
      text('TickerSymbol', 'Ticker Symbol', 20),
      textarea('Description', 'Account Description', 32000),
      pick('Rating', 'Account Rating', RATINGS),
      text('Site', 'Account Site', 80),
      text('Jigsaw', 'Data.com Key', 20),
      text('JigsawCompanyId', 'Jigsaw Company ID', 20, readOnly),
      pick('AccountSource', 'Account Source', LEAD_SOURCES),
      text('SicDesc', 'SIC Description', 80),
      ...systemFields({ viewTracking: true, lastActivity: true }),
    ],
  });
}

function opportunity(): ObjectDef {
  return objectDef({
    name: 'Opportunity',
    label: 'Opportunity',
    labelPlural: 'Opportunities',
    keyPrefix: '006',
    fields: [
      idField('Opportunity ID'),
      ref('AccountId', 'Account ID', ['Account'], 'Account', { deleteConstraint: 'Cascade' }),
      bool('IsPrivate', 'Private'),
      text('Name', 'Name', 120, { ...required, nameField: true }),
      textarea('Description', 'Description', 32000),
      pick('StageName', 'Stage', picklist(OPPORTUNITY_STAGES.map((s) => s.name)), required),
      money('Amount', 'Amount', 18, 2),
      field('Probability', 'percent', 'Probability (%)', { precision: 3, scale: 0, defaultedOnCreate: true }),
      money('ExpectedRevenue', 'Expected Amount', 18, 2, { ...readOnly, calculated: true }),
      field('TotalOpportunityQuantity', 'double', 'Quantity', { precision: 18, scale: 2 }),
      field('CloseDate', 'date', 'Close Date', required),
      pick(
        'Type',
        'Opportunity Type',
        picklist([
          'Existing Customer - Upgrade',
          'Existing Customer - Replacement',
          'Existing Customer - Downgrade',
          'New Customer',
        ]),
      ),
      text('NextStep', 'Next Step', 255),
      pick('LeadSource', 'Lead Source', LEAD_SOURCES),
      bool('IsClosed', 'Closed', readOnly),
      bool('IsWon', 'Won', readOnly),
      pick(
        'ForecastCategory',
        'Forecast Category',
        picklist(['Omitted', 'Pipeline', 'BestCase', 'Forecast', 'Closed']),
        { ...readOnly, nillable: false, defaultedOnCreate: true },
      ),
      pick(
        'ForecastCategoryName',
        'Forecast Category',
        picklist(['Omitted', 'Pipeline', 'Best Case', 'Commit', 'Closed']),
        { defaultedOnCreate: true },
      ),
      ref('CampaignId', 'Campaign ID', ['Campaign'], 'Campaign', { deleteConstraint: 'SetNull' }),
      bool('HasOpportunityLineItem', 'Has Line Item', readOnly),
      // Settable only on create (v46+): creates the primary OpportunityContactRole.
      ref('ContactId', 'Contact ID', ['Contact'], 'Contact', { ...createOnly, deleteConstraint: 'SetNull' }),
      field('FiscalQuarter', 'int', 'Fiscal Quarter', { ...readOnly, digits: 1 }),
      field('FiscalYear', 'int', 'Fiscal Year', { ...readOnly, digits: 4 }),
      text('Fiscal', 'Fiscal Period', 6, readOnly),
      bool('HasOpenActivity', 'Has Open Activity', readOnly),
      bool('HasOverdueTask', 'Has Overdue Task', readOnly),
      field('LastStageChangeDate', 'datetime', 'Last Stage Change Date', readOnly),
      ...systemFields({ viewTracking: true, lastActivity: true }),
    ],
  });
}

function opportunityContactRole(): ObjectDef {
  return objectDef({
    name: 'OpportunityContactRole',
    label: 'Opportunity Contact Role',
    labelPlural: 'Opportunity Contact Role',
    keyPrefix: '00K',
    searchable: false,
    fields: [
      idField('Opportunity Contact Role ID'),
      ref('OpportunityId', 'Opportunity ID', ['Opportunity'], 'Opportunity', {
        ...required,
        ...createOnly,
        deleteConstraint: 'Cascade',
      }),
      ref('ContactId', 'Contact ID', ['Contact'], 'Contact', { ...required, deleteConstraint: 'Cascade' }),
      pick(
        'Role',
        'Role',
        picklist([
          'Business User',
          'Decision Maker',
          'Economic Buyer',
          'Economic Decision Maker',
          'Evaluator',
          'Executive Sponsor',
          'Influencer',
          'Technical Buyer',
          'Other',
        ]),
      ),
      bool('IsPrimary', 'Primary'),
      ...systemFields({ owner: null }),
    ],
  });
}

function campaign(): ObjectDef {
  const counter = (name: string, label: string, count: (members: StoredRecord[]) => number) =>
    field(name, 'int', label, {
      ...readOnly,
      digits: 9,
      compute: (record, lookup) =>
        count(lookup.children('CampaignMember', 'CampaignId', record.Id as string)),
    });
  return objectDef({
    name: 'Campaign',
    label: 'Campaign',
    labelPlural: 'Campaigns',
    keyPrefix: '701',
    fields: [
      idField('Campaign ID'),
      text('Name', 'Name', 80, { ...required, nameField: true }),
      ref('ParentId', 'Parent Campaign ID', ['Campaign'], 'Parent', { deleteConstraint: 'SetNull' }),
      pick(
        'Type',
        'Type',
        picklist([
          'Conference',
          'Webinar',
          'Trade Show',
          'Public Relations',
          'Partners',
          'Referral Program',
          'Advertisement',
          'Banner Ads',
          'Direct Mail',
          'Email',
          'Telemarketing',
          'Other',
        ]),
      ),
      pick('Status', 'Status', picklist(['Planned', 'In Progress', 'Completed', 'Aborted'])),
      field('StartDate', 'date', 'Start Date'),
      field('EndDate', 'date', 'End Date'),
      money('ExpectedRevenue', 'Expected Revenue in Campaign', 18, 0),
      money('BudgetedCost', 'Budgeted Cost in Campaign', 18, 0),
      money('ActualCost', 'Actual Cost in Campaign', 18, 0),
      field('ExpectedResponse', 'percent', 'Expected Response (%)', { precision: 10, scale: 2 }),
      field('NumberSent', 'double', 'Num Sent in Campaign', { precision: 18, scale: 0 }),
      bool('IsActive', 'Active'),
      textarea('Description', 'Description', 32000),
      counter('NumberOfLeads', 'Leads in Campaign', (m) => m.filter((r) => r.LeadId && !r.ContactId).length),
      counter(
        'NumberOfConvertedLeads',
        'Converted Leads in Campaign',
        (m) => m.filter((r) => r.LeadId && r.ContactId).length,
      ),
      counter('NumberOfContacts', 'Contacts in Campaign', (m) => m.filter((r) => r.ContactId).length),
      counter(
        'NumberOfResponses',
        'Responses in Campaign',
        (m) => m.filter((r) => r.HasResponded === true).length,
      ),
      field('NumberOfOpportunities', 'int', 'Opportunities in Campaign', { ...readOnly, digits: 9 }),
      field('NumberOfWonOpportunities', 'int', 'Won Opportunities in Campaign', { ...readOnly, digits: 9 }),
      money('AmountAllOpportunities', 'Value Opportunities in Campaign', 18, 0, readOnly),
      money('AmountWonOpportunities', 'Value Won Opportunities in Campaign', 18, 0, readOnly),
      ...systemFields({ viewTracking: true, lastActivity: true }),
    ],
  });
}

/** CampaignMember fields mirrored, read-only, from the member's Contact or Lead. */
function mirrored(name: string, type: FieldDef['type'], label: string, length = 0): FieldDef {
  return field(name, type, label, {
    ...readOnly,
    length,
    compute: (record, lookup) => {
      const person = memberPerson(record, lookup);
      if (!person) return null;
      if (name in person) return person[name] ?? null;
      const viaMailing = person[`Mailing${name}`];
      return viaMailing ?? null;
    },
  });
}

function memberPerson(record: StoredRecord, lookup: RecordLookup): StoredRecord | undefined {
  const id = (record.ContactId ?? record.LeadId) as string | null;
  return id ? lookup.get(id) : undefined;
}

function campaignMember(): ObjectDef {
  return objectDef({
    name: 'CampaignMember',
    label: 'Campaign Member',
    labelPlural: 'Campaign Members',
    keyPrefix: '00v',
    searchable: false,
    fields: [
      idField('Campaign Member ID'),
      ref('CampaignId', 'Campaign ID', ['Campaign'], 'Campaign', {
        ...required,
        ...createOnly,
        deleteConstraint: 'Cascade',
      }),
      ref('LeadId', 'Lead ID', ['Lead'], 'Lead', { ...createOnly, deleteConstraint: 'Cascade' }),
      ref('ContactId', 'Contact ID', ['Contact'], 'Contact', { ...createOnly, deleteConstraint: 'Cascade' }),
      // The values are per campaign (CampaignMemberStatus); describe shows the default set.
      pick('Status', 'Status', picklist(['Sent', 'Responded']), { length: 40, defaultedOnCreate: true }),
      bool('HasResponded', 'Responded', readOnly),
      field('FirstRespondedDate', 'date', 'First Responded Date', readOnly),
      mirrored('Salutation', 'picklist', 'Salutation', 40),
      field('Name', 'string', 'Name', {
        ...readOnly,
        length: 121,
        nameField: true,
        compute: (record, lookup) => {
          const person = memberPerson(record, lookup);
          return person ? fullName(person) : null;
        },
      }),
      mirrored('FirstName', 'string', 'First Name', 40),
      mirrored('LastName', 'string', 'Last Name', 80),
      mirrored('Title', 'string', 'Title', 128),
      mirrored('Street', 'textarea', 'Street', 255),
      mirrored('City', 'string', 'City', 40),
      mirrored('State', 'string', 'State', 80),
      mirrored('PostalCode', 'string', 'Zip', 20),
      mirrored('Country', 'string', 'Country', 80),
      mirrored('Email', 'email', 'Email', 80),
      mirrored('Phone', 'phone', 'Phone', 40),
      mirrored('Fax', 'phone', 'Fax', 40),
      mirrored('MobilePhone', 'phone', 'Mobile', 40),
      mirrored('Description', 'textarea', 'Description', 32000),
      mirrored('DoNotCall', 'boolean', 'Do Not Call'),
      mirrored('HasOptedOutOfEmail', 'boolean', 'Email Opt Out'),
      mirrored('HasOptedOutOfFax', 'boolean', 'Fax Opt Out'),
      mirrored('LeadSource', 'picklist', 'Lead Source', 255),
      field('CompanyOrAccount', 'string', 'Company (Account)', {
        ...readOnly,
        length: 255,
        compute: (record, lookup) => {
          const person = memberPerson(record, lookup);
          if (!person) return null;
          if (record.ContactId) {
            const account = person.AccountId ? lookup.get(person.AccountId as string) : undefined;
            return (account?.Name as string | undefined) ?? null;
          }
          return person.Company ?? null;
        },
      }),
      field('Type', 'string', 'Type', {
        ...readOnly,
        length: 40,
        compute: (record) => (record.ContactId ? 'Contact' : record.LeadId ? 'Lead' : null),
      }),
      ref('LeadOrContactId', 'Contact or Lead ID', ['Contact', 'Lead'], null, {
        ...readOnly,
        compute: (record) => record.ContactId ?? record.LeadId ?? null,
      }),
      ref('LeadOrContactOwnerId', 'Contact or Lead Owner ID', ['Group', 'User'], 'LeadOrContactOwner', {
        ...readOnly,
        compute: (record, lookup) => memberPerson(record, lookup)?.OwnerId ?? null,
      }),
      ...systemFields({ owner: null }),
    ],
  });
}

function campaignMemberStatus(): ObjectDef {
  return objectDef({
    name: 'CampaignMemberStatus',
    label: 'Campaign Member Status',
    labelPlural: 'Campaign Member Statuses',
    keyPrefix: '01Y',
    searchable: false,
    undeletable: false,
    fields: [
      idField('Campaign Member Status ID'),
      ref('CampaignId', 'Campaign ID', ['Campaign'], null, {
        ...required,
        ...createOnly,
        deleteConstraint: 'Cascade',
      }),
      text('Label', 'Member Status', 765, required),
      field('SortOrder', 'int', 'Sort Order', { digits: 9 }),
      bool('IsDefault', 'Default'),
      bool('HasResponded', 'Responded'),
      ...systemFields({ owner: null }),
    ],
  });
}

function task(customWhatTargets: string[]): ObjectDef {
  return objectDef({
    name: 'Task',
    label: 'Task',
    labelPlural: 'Tasks',
    keyPrefix: '00T',
    fields: [
      idField('Activity ID'),
      ref('WhoId', 'Name ID', ['Contact', 'Lead'], 'Who', { deleteConstraint: 'Cascade' }),
      ref('WhatId', 'Related To ID', ['Account', 'Campaign', 'Opportunity', ...customWhatTargets], 'What', {
        deleteConstraint: 'Cascade',
      }),
      field('Subject', 'combobox', 'Subject', {
        length: 255,
        picklistValues: picklist(['Call', 'Send Letter', 'Send Quote', 'Other']),
      }),
      field('ActivityDate', 'date', 'Due Date Only'),
      pick('Status', 'Status', TASK_STATUSES.values, { nillable: false, defaultedOnCreate: true }),
      pick('Priority', 'Priority', picklist(['High', 'Normal', 'Low'], 'Normal'), {
        nillable: false,
        defaultedOnCreate: true,
      }),
      bool('IsHighPriority', 'High Priority', readOnly),
      textarea('Description', 'Comments', 32000),
      pick('Type', 'Type', picklist(['Call', 'Email', 'Meeting', 'Other'])),
      ref('AccountId', 'Account ID', ['Account'], 'Account', readOnly),
      bool('IsClosed', 'Closed', readOnly),
      bool('IsArchived', 'Archived', readOnly),
      field('CallDurationInSeconds', 'int', 'Call Duration', { digits: 8 }),
      pick('CallType', 'Call Type', picklist(['Internal', 'Inbound', 'Outbound'])),
      text('CallDisposition', 'Call Result', 255),
      text('CallObject', 'Call Object Identifier', 255),
      field('ReminderDateTime', 'datetime', 'Reminder Date/Time'),
      bool('IsReminderSet', 'Reminder Set'),
      // Create-only and restricted; Cadence is reserved for Sales Engagement.
      pick(
        'TaskSubtype',
        'Task Subtype',
        picklist(['Task', 'Email', 'ListEmail', 'Cadence', 'Call', 'LinkedIn']),
        { ...createOnly, restrictedPicklist: true, defaultedOnCreate: true },
      ),
      field('CompletedDateTime', 'datetime', 'Completed Date/Time', readOnly),
      field('WhoCount', 'int', 'Relation Count', { ...readOnly, digits: 9 }),
      field('WhatCount', 'int', 'Related To Count', { ...readOnly, digits: 9 }),
      ...systemFields({ owner: ['Group', 'User'] }),
    ],
  });
}

function user(): ObjectDef {
  return objectDef({
    name: 'User',
    label: 'User',
    labelPlural: 'Users',
    keyPrefix: '005',
    deletable: false,
    undeletable: false,
    fields: [
      idField('User ID'),
      text('Username', 'Username', 80, { ...required, unique: true, idLookup: true }),
      ...personNameFields(),
      text('CompanyName', 'Company Name', 80),
      text('Division', 'Division', 80),
      text('Department', 'Department', 80),
      text('Title', 'Title', 80),
      ...addressFields('', ''),
      field('Email', 'email', 'Email', { length: 128, ...required }),
      field('Phone', 'phone', 'Phone', { length: 40 }),
      field('MobilePhone', 'phone', 'Mobile', { length: 40 }),
      text('Alias', 'Alias', 8, required),
      text('CommunityNickname', 'Nickname', 40, { ...required, idLookup: true }),
      bool('IsActive', 'Active'),
      pick(
        'TimeZoneSidKey',
        'Time Zone',
        picklist(['GMT', 'America/Los_Angeles', 'America/New_York', 'Europe/London', 'Europe/Paris']),
        required,
      ),
      pick('LocaleSidKey', 'Locale', picklist(['en_US', 'en_GB', 'fr_FR', 'de_DE']), required),
      pick('EmailEncodingKey', 'Email Encoding', picklist(['UTF-8', 'ISO-8859-1']), required),
      pick('LanguageLocaleKey', 'Language', picklist(['en_US', 'fr', 'de']), required),
      ref('ProfileId', 'Profile ID', ['Profile'], 'Profile', required),
      pick('UserType', 'User Type', picklist(['Standard', 'PowerPartner', 'CsnOnly', 'Guest']), {
        ...readOnly,
        defaultedOnCreate: true,
      }),
      text('EmployeeNumber', 'Employee Number', 20),
      ref('ManagerId', 'Manager ID', ['User'], 'Manager'),
      field('LastLoginDate', 'datetime', 'Last Login', readOnly),
      ...systemFields({ owner: null, isDeleted: false }),
    ],
  });
}

function group(): ObjectDef {
  return objectDef({
    name: 'Group',
    label: 'Group',
    labelPlural: 'Groups',
    keyPrefix: '00G',
    undeletable: false,
    searchable: false,
    fields: [
      idField('Group ID'),
      text('Name', 'Name', 40, { ...required, nameField: true }),
      text('DeveloperName', 'Developer Name', 80),
      pick('Type', 'Type', picklist(['Regular', 'Queue', 'Role', 'RoleAndSubordinates', 'Organization']), {
        ...createOnly,
        nillable: false,
      }),
      field('Email', 'email', 'Email', { length: 255 }),
      bool('DoesSendEmailToMembers', 'Send Email to Members'),
      bool('DoesIncludeBosses', 'Include Bosses'),
      ...systemFields({ owner: ['User'], isDeleted: false }),
    ],
  });
}

/** Setup objects the org carries; read-only through the API here. */
function setupObject(
  name: string,
  label: string,
  labelPlural: string,
  keyPrefix: string,
  fields: FieldDef[],
): ObjectDef {
  return objectDef({
    name,
    label,
    labelPlural,
    keyPrefix,
    createable: false,
    updateable: false,
    deletable: false,
    undeletable: false,
    searchable: false,
    triggerable: false,
    fields: [
      idField(`${label} ID`),
      ...fields.map((f) => ({ ...f, createable: false, updateable: false })),
      ...systemFields({ owner: null, isDeleted: false }),
    ],
  });
}

function setupObjects(): ObjectDef[] {
  return [
    setupObject('Organization', 'Organization', 'Organizations', '00D', [
      text('Name', 'Name', 80, { nameField: true }),
      text('Division', 'Division', 80),
      pick('OrganizationType', 'Edition', picklist(['Enterprise Edition', 'Developer Edition'])),
      text('InstanceName', 'Instance Name', 5),
      bool('IsSandbox', 'Is Sandbox'),
      pick('TimeZoneSidKey', 'Default Time Zone', picklist(['GMT'])),
      pick('LanguageLocaleKey', 'Language', picklist(['en_US'])),
      pick('DefaultLocaleSidKey', 'Locale', picklist(['en_US'])),
      text('NamespacePrefix', 'Namespace Prefix', 15),
    ]),
    setupObject('Profile', 'Profile', 'Profiles', '00e', [
      text('Name', 'Name', 255, { nameField: true }),
      text('Description', 'Description', 255),
      pick('UserType', 'User Type', picklist(['Standard'])),
    ]),
    setupObject('PermissionSet', 'Permission Set', 'Permission Sets', '0PS', [
      text('Name', 'Name', 80),
      text('Label', 'Label', 80),
      text('Description', 'Description', 255),
      bool('IsOwnedByProfile', 'Is Owned By Profile'),
      ref('ProfileId', 'Profile ID', ['Profile'], 'Profile'),
      text('NamespacePrefix', 'Namespace Prefix', 15),
    ]),
    setupObject('PermissionSetAssignment', 'Permission Set Assignment', 'Permission Set Assignments', '0Pa', [
      ref('AssigneeId', 'Assignee ID', ['User'], 'Assignee'),
      ref('PermissionSetId', 'Permission Set ID', ['PermissionSet'], 'PermissionSet'),
    ]),
    setupObject('CustomPermission', 'Custom Permission', 'Custom Permissions', '0CP', [
      text('DeveloperName', 'Name', 80),
      text('MasterLabel', 'Label', 80),
      text('Description', 'Description', 255),
      text('NamespacePrefix', 'Namespace Prefix', 15),
      bool('IsLicensed', 'Is Licensed'),
    ]),
  ];
}

/**
 * The standard objects. `activityTargets` are the custom objects with activities enabled, which
 * Task.WhatId can point to.
 */
export function standardObjects(activityTargets: string[] = []): ObjectDef[] {
  return [
    user(),
    group(),
    ...setupObjects(),
    account(),
    contact(),
    lead(),
    opportunity(),
    opportunityContactRole(),
    campaign(),
    campaignMember(),
    campaignMemberStatus(),
    task(activityTargets),
  ];
}

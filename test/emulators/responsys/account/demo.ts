import type { AccountDefinitionInput } from './definitions.js';
import type { AccountState } from '../store/accountState.js';
import { restTimestamp } from './time.js';

// The demo account of CONTRACTS.md section 5: the profile list, PET and supplemental table the
// package's default mappings point at, the three custom events its default program routes use, and a
// few email campaigns so injected engagement has somewhere to come from. These objects always exist;
// `demoData: true` also seeds recipients and rows.

export const DEFAULT_ACCOUNT_ID = '12345';
export const DEFAULT_PROFILE_LIST = 'CONTACTS_LIST';
export const DEFAULT_PROFILE_LIST_FOLDER = 'SF_Sync';

export function defaultAccountDefinition(accountId = DEFAULT_ACCOUNT_ID): AccountDefinitionInput {
  return {
    accountId,
    profileLists: [
      {
        name: DEFAULT_PROFILE_LIST,
        folderName: DEFAULT_PROFILE_LIST_FOLDER,
        listId: 7001,
        customFields: [
          { fieldName: 'FIRST_NAME', fieldType: 'STR100' },
          { fieldName: 'LAST_NAME', fieldType: 'STR100' },
          { fieldName: 'TITLE', fieldType: 'STR50' },
          { fieldName: 'PHONE_NUMBER', fieldType: 'STR50' },
          { fieldName: 'COMPANY_NAME', fieldType: 'STR100' },
          { fieldName: 'LEAD_SOURCE', fieldType: 'STR50' },
        ],
        extensions: [
          {
            name: 'SF_SALES_PET',
            folderName: DEFAULT_PROFILE_LIST_FOLDER,
            fields: [
              { fieldName: 'LEAD_STATUS', fieldType: 'STR100' },
              { fieldName: 'RATING', fieldType: 'STR50' },
              { fieldName: 'DEPARTMENT', fieldType: 'STR100' },
            ],
          },
        ],
      },
    ],
    supplementalTables: [
      {
        name: 'SF_CAMPAIGN_MEMBERS',
        folderName: DEFAULT_PROFILE_LIST_FOLDER,
        primaryKey: ['CAMPAIGN_ID', 'SF_MEMBER_ID'],
        fields: [
          { fieldName: 'CAMPAIGN_ID', fieldType: 'STR50' },
          { fieldName: 'CAMPAIGN_NAME', fieldType: 'STR255' },
          { fieldName: 'SF_MEMBER_ID', fieldType: 'STR50' },
          { fieldName: 'CUSTOMER_ID', fieldType: 'STR255' },
          { fieldName: 'EMAIL_ADDRESS', fieldType: 'STR500' },
          { fieldName: 'MEMBER_STATUS', fieldType: 'STR100' },
          { fieldName: 'HAS_RESPONDED', fieldType: 'STR25' },
          { fieldName: 'FIRST_ADDED_AT', fieldType: 'TIMESTAMP' },
          { fieldName: 'LAST_MODIFIED_AT', fieldType: 'TIMESTAMP' },
          { fieldName: 'IS_ACTIVE', fieldType: 'STR25' },
        ],
      },
    ],
    customEvents: [
      {
        eventName: 'SF_NEW_WEB_LEAD',
        description: 'A new web lead was created in Salesforce',
        eventType: 'REAL_TIME',
        programName: 'SF Web Lead Nurture',
      },
      {
        eventName: 'SF_OPP_PROPOSAL',
        description: 'An opportunity reached Proposal/Price Quote',
        eventType: 'REAL_TIME',
        programName: 'SF Proposal Follow-up',
      },
      {
        eventName: 'SF_OPP_CLOSED_WON',
        description: 'An opportunity was closed won',
        eventType: 'REAL_TIME',
        programName: 'SF Customer Onboarding',
      },
    ],
    campaigns: [
      {
        campaignId: 310001,
        name: 'SF_Welcome_Series',
        listName: DEFAULT_PROFILE_LIST,
        launchId: 5500101,
        subject: 'Welcome aboard',
        purpose: 'Promotional',
      },
      {
        campaignId: 310002,
        name: 'SF_Monthly_Newsletter',
        listName: DEFAULT_PROFILE_LIST,
        launchId: 5500102,
        subject: 'What is new this month',
        purpose: 'Promotional',
      },
      {
        campaignId: 310003,
        name: 'SF_Pricing_Offer',
        listName: DEFAULT_PROFILE_LIST,
        launchId: 5500103,
        subject: 'Plans and pricing for your team',
        purpose: 'Promotional',
      },
    ],
  };
}

/** Demo recipients: people who are in Responsys already (no CUSTOMER_ID_ yet, as before a first sync). */
export const demoRecipients = [
  ['ava.thompson@example.com', 'Ava', 'Thompson', 'VP Marketing', 'Northwind Traders', 'WEB', 'Boston', 'US'],
  ['liam.garcia@example.com', 'Liam', 'Garcia', 'IT Director', 'Contoso Ltd', 'PARTNER', 'Austin', 'US'],
  ['mia.chen@example.com', 'Mia', 'Chen', 'Head of Growth', 'Fabrikam Inc', 'WEB', 'Seattle', 'US'],
  ['noah.mueller@example.com', 'Noah', 'Müller', 'CTO', 'Tailspin Toys', 'PHONE', 'Berlin', 'DE'],
  [
    'emma.dubois@example.com',
    'Emma',
    'Dubois',
    'Procurement Lead',
    'Wide World Importers',
    'OTHER',
    'Lyon',
    'FR',
  ],
  [
    'lucas.rossi@example.com',
    'Lucas',
    'Rossi',
    'Operations Manager',
    'Adventure Works',
    'WEB',
    'Milan',
    'IT',
  ],
  ['sofia.silva@example.com', 'Sofia', 'Silva', 'CFO', 'Litware Inc', 'PARTNER', 'Lisbon', 'PT'],
  ['ethan.kim@example.com', 'Ethan', 'Kim', 'Engineering Manager', 'Proseware', 'WEB', 'Toronto', 'CA'],
  [
    'olivia.brown@example.com',
    'Olivia',
    'Brown',
    'Marketing Manager',
    'Blue Yonder Airlines',
    'OTHER',
    'Denver',
    'US',
  ],
  ['jonas.berg@example.com', 'Jonas', 'Berg', 'Product Owner', 'Woodgrove Bank', 'PHONE', 'Oslo', 'NO'],
  ['chloe.martin@example.com', 'Chloe', 'Martin', 'Sales Director', 'Coho Winery', 'WEB', 'Paris', 'FR'],
  ['daniel.novak@example.com', 'Daniel', 'Novak', 'Analyst', 'Lucerne Publishing', 'OTHER', 'Prague', 'CZ'],
] as const;

/** Seeds demo recipients (the last two opted out), PET rows and supplemental rows. */
export function seedDemoData(state: AccountState, now: number): void {
  const list = state.lists.get(DEFAULT_PROFILE_LIST);
  if (!list) return;
  const riids: number[] = [];
  demoRecipients.forEach(([email, first, last, title, company, source, city, country], i) => {
    const optedOut = i >= demoRecipients.length - 2;
    const values = new Map<string, string | null>([
      ['EMAIL_ADDRESS_', email],
      ['EMAIL_PERMISSION_STATUS_', optedOut ? 'O' : 'I'],
      ['EMAIL_FORMAT_', 'H'],
      ['CITY_', city],
      ['COUNTRY_', country],
      ['FIRST_NAME', first],
      ['LAST_NAME', last],
      ['TITLE', title],
      ['COMPANY_NAME', company],
      ['LEAD_SOURCE', source],
    ]);
    const member = list.insert(state.allocateRiid(), values, now, '10.0.0.1');
    if (optedOut) member.EMAIL_PERMISSION_REASON_ = 'Opted out via unsubscribe link';
    riids.push(Number(member.RIID_));
  });
  // Seeded data is the account's starting point, not a change to export.
  list.changedSinceExport.clear();

  const pet = list.extensions.get('SF_SALES_PET');
  riids.slice(0, 4).forEach((riid, i) => {
    pet?.rows.set(riid, {
      RIID_: String(riid),
      LEAD_STATUS: i % 2 === 0 ? 'Open - Not Contacted' : 'Working - Contacted',
      RATING: i === 0 ? 'Hot' : 'Warm',
      DEPARTMENT: null,
    });
  });

  const table = state.table(DEFAULT_PROFILE_LIST_FOLDER, 'SF_CAMPAIGN_MEMBERS');
  if (table) {
    const at = restTimestamp(now).replace(/\.0$/, '');
    demoRecipients.slice(0, 3).forEach(([email], i) => {
      const row = table.emptyRow();
      Object.assign(row, {
        CAMPAIGN_ID: '701000000000001AAA',
        CAMPAIGN_NAME: 'Spring Webinar',
        SF_MEMBER_ID: `00v00000000000${i}AAA`,
        EMAIL_ADDRESS: email,
        MEMBER_STATUS: i === 0 ? 'Responded' : 'Sent',
        HAS_RESPONDED: i === 0 ? 'T' : 'F',
        FIRST_ADDED_AT: at,
        LAST_MODIFIED_AT: at,
        IS_ACTIVE: 'T',
      });
      table.rows.set(table.keyOf(row, table.primaryKey), row);
    });
  }
}

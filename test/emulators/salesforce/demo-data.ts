import type { Random } from '../shared/random.js';
import { convertLead } from './data/lead-convert.js';
import type { UnitOfWork } from './data/write-pipeline.js';

// A small, realistic sales org for local runs and demos: accounts with contacts, open leads from
// several sources (one already converted), opportunities at different stages with contact roles,
// and campaigns with their member statuses and members. Seeded, so every start looks the same.

const COMPANIES = [
  {
    name: 'Northwind Traders',
    industry: 'Retail',
    city: 'Seattle',
    country: 'United States',
    domain: 'northwind.example',
  },
  {
    name: 'Contoso Pharmaceuticals',
    industry: 'Healthcare',
    city: 'Boston',
    country: 'United States',
    domain: 'contoso.example',
  },
  {
    name: 'Fabrikam Robotics',
    industry: 'Manufacturing',
    city: 'Munich',
    country: 'Germany',
    domain: 'fabrikam.example',
  },
  {
    name: 'Tailspin Air',
    industry: 'Transportation',
    city: 'Denver',
    country: 'United States',
    domain: 'tailspin.example',
  },
  {
    name: 'Wide World Importers',
    industry: 'Shipping',
    city: 'Rotterdam',
    country: 'Netherlands',
    domain: 'wideworld.example',
  },
  {
    name: 'Litware Software',
    industry: 'Technology',
    city: 'Austin',
    country: 'United States',
    domain: 'litware.example',
  },
  { name: 'Adatum Energy', industry: 'Energy', city: 'Calgary', country: 'Canada', domain: 'adatum.example' },
  {
    name: 'Proseware Media',
    industry: 'Media',
    city: 'London',
    country: 'United Kingdom',
    domain: 'proseware.example',
  },
];

const LEAD_COMPANIES = [
  { name: 'Blue Yonder Airlines', city: 'Chicago', country: 'United States', domain: 'blueyonder.example' },
  { name: 'Coho Winery', city: 'Napa', country: 'United States', domain: 'coho.example' },
  { name: 'Graphic Design Institute', city: 'Toronto', country: 'Canada', domain: 'gdi.example' },
  { name: 'Humongous Insurance', city: 'Hartford', country: 'United States', domain: 'humongous.example' },
  { name: 'Lucerne Publishing', city: 'Zurich', country: 'Switzerland', domain: 'lucerne.example' },
  { name: 'Margie’s Travel', city: 'Lisbon', country: 'Portugal', domain: 'margies.example' },
  { name: 'Southridge Video', city: 'Los Angeles', country: 'United States', domain: 'southridge.example' },
  { name: 'Trey Research', city: 'Cambridge', country: 'United Kingdom', domain: 'treyresearch.example' },
  { name: 'VanArsdel Foods', city: 'Lyon', country: 'France', domain: 'vanarsdel.example' },
  { name: 'Woodgrove Bank', city: 'New York', country: 'United States', domain: 'woodgrove.example' },
];

const FIRST_NAMES = [
  'Ava',
  'Liam',
  'Maya',
  'Noah',
  'Zoe',
  'Ethan',
  'Isla',
  'Lucas',
  'Mila',
  'Owen',
  'Nora',
  'Leo',
  'Ivy',
  'Eli',
  'Ruby',
  'Jonas',
];
const LAST_NAMES = [
  'Garcia',
  'Nguyen',
  'Schmidt',
  'Okafor',
  'Rossi',
  'Kowalski',
  'Haddad',
  'Silva',
  'Tanaka',
  'Murphy',
  'Dubois',
  'Larsen',
  'Patel',
  'Moreau',
];
const TITLES = [
  'VP Marketing',
  'Marketing Manager',
  'Head of Sales',
  'CTO',
  'Procurement Lead',
  'Operations Director',
  'Product Manager',
  'CFO',
];
const LEAD_SOURCES = ['Web', 'Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];
const LEAD_STATUSES = [
  'Open - Not Contacted',
  'Open - Not Contacted',
  'Working - Contacted',
  'Closed - Not Converted',
];
const RATINGS = ['Hot', 'Warm', 'Cold', null];

function pickOne<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function addDays(today: string, days: number): string {
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export interface DemoDataOptions {
  /** Record owners, round-robin (the sales rep first). */
  ownerIds: string[];
  today: string;
}

export function seedDemoData(unit: UnitOfWork, random: Random, options: DemoDataOptions): void {
  const trusted = { trusted: true };
  const owner = (i: number) => options.ownerIds[i % options.ownerIds.length]!;
  const person = () => {
    const first = pickOne(random, FIRST_NAMES);
    const last = pickOne(random, LAST_NAMES);
    return { first, last };
  };

  const accounts: Array<{ id: string; contacts: string[] }> = [];
  COMPANIES.forEach((company, i) => {
    const account = unit.insert(
      'Account',
      {
        Name: company.name,
        Industry: company.industry,
        Type: i % 3 === 0 ? 'Customer - Direct' : 'Prospect',
        BillingCity: company.city,
        BillingCountry: company.country,
        Website: `https://www.${company.domain}`,
        Phone: `+1 555 01${String(10 + i)}`,
        NumberOfEmployees: 50 + Math.floor(random() * 5000),
        OwnerId: owner(i),
      },
      trusted,
    );
    const contacts: string[] = [];
    const count = 2 + Math.floor(random() * 3);
    for (let c = 0; c < count; c++) {
      const { first, last } = person();
      const contact = unit.insert(
        'Contact',
        {
          AccountId: account.Id as string,
          FirstName: first,
          LastName: last,
          Title: pickOne(random, TITLES),
          Email: `${first}.${last}${c}@${company.domain}`.toLowerCase(),
          Phone: `+1 555 02${String(10 + i)}${c}`,
          Department: pickOne(random, ['Marketing', 'Sales', 'IT', 'Finance', 'Operations']),
          LeadSource: pickOne(random, LEAD_SOURCES),
          MailingCity: company.city,
          MailingCountry: company.country,
          HasOptedOutOfEmail: random() < 0.1,
          OwnerId: owner(i),
        },
        trusted,
      );
      contacts.push(contact.Id as string);
    }
    accounts.push({ id: account.Id as string, contacts });
  });

  const leads: string[] = [];
  LEAD_COMPANIES.forEach((company, i) => {
    for (let n = 0; n < 2; n++) {
      const { first, last } = person();
      const lead = unit.insert(
        'Lead',
        {
          FirstName: first,
          LastName: last,
          Company: company.name,
          Title: pickOne(random, TITLES),
          Email: `${first}.${last}${n}@${company.domain}`.toLowerCase(),
          Phone: `+1 555 03${String(10 + i)}${n}`,
          LeadSource: pickOne(random, LEAD_SOURCES),
          Status: pickOne(random, LEAD_STATUSES),
          Rating: pickOne(random, RATINGS),
          City: company.city,
          Country: company.country,
          HasOptedOutOfEmail: random() < 0.08,
          OwnerId: owner(i),
        },
        trusted,
      );
      leads.push(lead.Id as string);
    }
  });

  const stages: Array<[string, number]> = [
    ['Prospecting', 30],
    ['Qualification', 45],
    ['Needs Analysis', 40],
    ['Proposal/Price Quote', 20],
    ['Negotiation/Review', 14],
    ['Closed Won', -10],
    ['Closed Lost', -20],
    ['Value Proposition', 60],
  ];
  accounts.forEach((account, i) => {
    const [stage, days] = stages[i % stages.length]!;
    const opportunity = unit.insert(
      'Opportunity',
      {
        Name: `${COMPANIES[i]!.name} - ${pickOne(random, ['Platform', 'Expansion', 'Renewal', 'Pilot'])}`,
        AccountId: account.id,
        StageName: stage,
        CloseDate: addDays(options.today, days),
        Amount: 5000 + Math.round(random() * 95) * 1000,
        LeadSource: pickOne(random, LEAD_SOURCES),
        Type: i % 3 === 0 ? 'Existing Customer - Upgrade' : 'New Customer',
        // ContactId on create makes the first contact the primary contact role.
        ContactId: account.contacts[0]!,
        OwnerId: owner(i),
      },
      trusted,
    );
    for (const contactId of account.contacts.slice(1, 3)) {
      unit.insert(
        'OpportunityContactRole',
        {
          OpportunityId: opportunity.Id as string,
          ContactId: contactId,
          Role: pickOne(random, ['Decision Maker', 'Evaluator', 'Influencer', 'Technical Buyer']),
        },
        trusted,
      );
    }
  });

  const campaigns = [
    {
      Name: 'Spring Product Webinar',
      Type: 'Webinar',
      Status: 'Completed',
      start: -40,
      extra: ['Registered', 'Attended'],
    },
    { Name: 'Q3 Pricing Nurture', Type: 'Email', Status: 'In Progress', start: -10, extra: ['Clicked'] },
    { Name: 'Customer Summit', Type: 'Conference', Status: 'Planned', start: 30, extra: ['Registered'] },
  ];
  campaigns.forEach((spec, i) => {
    const campaign = unit.insert(
      'Campaign',
      {
        Name: spec.Name,
        Type: spec.Type,
        Status: spec.Status,
        IsActive: spec.Status !== 'Completed',
        StartDate: addDays(options.today, spec.start),
        EndDate: addDays(options.today, spec.start + 30),
        OwnerId: owner(i),
      },
      trusted,
    );
    spec.extra.forEach((label) => {
      unit.insert(
        'CampaignMemberStatus',
        { CampaignId: campaign.Id as string, Label: label, HasResponded: true, IsDefault: false },
        trusted,
      );
    });
    const statuses = ['Sent', 'Responded', ...spec.extra];
    leads.slice(i * 5, i * 5 + 6).forEach((leadId) => {
      unit.insert(
        'CampaignMember',
        { CampaignId: campaign.Id as string, LeadId: leadId, Status: pickOne(random, statuses) },
        trusted,
      );
    });
    accounts.slice(i * 2, i * 2 + 3).forEach((account) => {
      unit.insert(
        'CampaignMember',
        {
          CampaignId: campaign.Id as string,
          ContactId: account.contacts[0]!,
          Status: pickOne(random, statuses),
        },
        trusted,
      );
    });
  });

  leads.slice(0, 4).forEach((leadId, i) => {
    unit.insert(
      'Task',
      {
        WhoId: leadId,
        Subject: pickOne(random, ['Call', 'Send Quote', 'Follow up on webinar']),
        ActivityDate: addDays(options.today, i + 1),
        Priority: i === 0 ? 'High' : 'Normal',
        OwnerId: owner(i),
      },
      trusted,
    );
  });

  // One lead has already become a customer: read-only from now on.
  convertLead(
    unit,
    { leadId: leads[leads.length - 1]!, opportunityName: 'Woodgrove Bank - Pilot' },
    options.today,
  );
}

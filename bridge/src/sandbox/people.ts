// Made-up people for sandbox traffic: names, companies, titles and lead sources in the proportions
// a sales team sees (most leads come from the web form). Everything uses example.* domains.

export type Random = () => number;

const FIRST_NAMES = [
  'Amara',
  'Ben',
  'Carla',
  'Dev',
  'Elena',
  'Felix',
  'Grace',
  'Hugo',
  'Ines',
  'Jamal',
  'Keiko',
  'Lars',
  'Mei',
  'Nico',
  'Olga',
  'Priya',
  'Quentin',
  'Rosa',
  'Sami',
  'Tara',
  'Uma',
  'Victor',
  'Wen',
  'Yusuf',
];
const LAST_NAMES = [
  'Andersen',
  'Baptiste',
  'Chen',
  'Dlamini',
  'Eriksson',
  'Fischer',
  'Gomez',
  'Hughes',
  'Ito',
  'Jensen',
  'Kaur',
  'Lopez',
  'Mensah',
  'Novak',
  "O'Brien",
  'Petrov',
  'Quinn',
  'Reyes',
  'Sato',
  'Walsh',
];
const COMPANIES = [
  { name: 'Alpine Ski House', domain: 'alpineskihouse.example', city: 'Denver', country: 'United States' },
  { name: 'Bellows College', domain: 'bellows.example', city: 'Edinburgh', country: 'United Kingdom' },
  { name: 'City Power & Light', domain: 'cpandl.example', city: 'Chicago', country: 'United States' },
  { name: 'First Up Consultants', domain: 'firstup.example', city: 'Sydney', country: 'Australia' },
  { name: 'Nod Publishers', domain: 'nodpublishers.example', city: 'Dublin', country: 'Ireland' },
  { name: 'Relecloud', domain: 'relecloud.example', city: 'Seattle', country: 'United States' },
  { name: 'School of Fine Art', domain: 'fineart.example', city: 'Paris', country: 'France' },
  { name: 'Tailwind Traders', domain: 'tailwind.example', city: 'Toronto', country: 'Canada' },
  { name: 'Wingtip Toys', domain: 'wingtiptoys.example', city: 'Hamburg', country: 'Germany' },
  { name: 'Fourth Coffee', domain: 'fourthcoffee.example', city: 'Melbourne', country: 'Australia' },
];
const TITLES = [
  'Marketing Director',
  'VP Sales',
  'Head of Digital',
  'Operations Manager',
  'CTO',
  'Procurement Lead',
  'Growth Marketer',
  'IT Manager',
  'CFO',
  'Product Manager',
];
// Weighted: a web form brings most leads.
const LEAD_SOURCES = [
  'Web',
  'Web',
  'Web',
  'Web',
  'Phone Inquiry',
  'Partner Referral',
  'Purchased List',
  'Other',
];

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

export interface NewLead {
  FirstName: string;
  LastName: string;
  Company: string;
  Title: string;
  Email: string;
  Phone: string;
  LeadSource: string;
  City: string;
  Country: string;
}

/** A plausible new lead; `serial` keeps emails unique. */
export function newLead(random: Random, serial: number): NewLead {
  const first = pick(random, FIRST_NAMES);
  const last = pick(random, LAST_NAMES);
  const company = pick(random, COMPANIES);
  const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
  return {
    FirstName: first,
    LastName: last,
    Company: company.name,
    Title: pick(random, TITLES),
    Email: `${local}.${serial}@${company.domain}`,
    Phone: `+1 555 04${String(10 + (serial % 90)).padStart(2, '0')}`,
    LeadSource: pick(random, LEAD_SOURCES),
    City: company.city,
    Country: company.country,
  };
}

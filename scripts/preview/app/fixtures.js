/**
 * The records the preview shows, as the Apex controller would return them. Times are relative to
 * the moment the page asks, so the preview always looks like a live org.
 *
 * Each scenario is one prospect: a profile (for the record page around the component), the
 * summary fields of ResponsysEngagementController, and engagement events given as minutes before now.
 */

const MINUTE = 60 * 1000;
const HOUR = 60;
const DAY = 24 * HOUR;

const SITE = 'https://www.northwind-logistics.example';

function event(id, minutesAgo, eventType, campaignName, extra = {}) {
  return {
    id,
    minutesAgo,
    eventType,
    campaignName,
    responsysCampaignId: extra.responsysCampaignId ?? null,
    launchId: extra.launchId ?? null,
    offerName: extra.offerName ?? null,
    offerUrl: extra.offerUrl ?? null,
    detail: extra.detail ?? null,
  };
}

const SPRING = 'Spring Launch: Route Optimizer';
const WEBINAR = 'Webinar: Cutting Freight Costs';
const MARCH = 'Logistics Insights: March issue';
const FEBRUARY = 'Logistics Insights: February issue';
const JANUARY = 'Logistics Insights: January issue';
const PRICING = 'Pricing update for fleet plans';
const WELCOME_1 = 'Welcome 1: Getting started';
const WELCOME_2 = 'Welcome 2: Customer stories';
const WELCOME_3 = 'Welcome 3: Talk to an expert';

const spring = { responsysCampaignId: '1740021', launchId: '88231' };
const webinar = { responsysCampaignId: '1739811', launchId: '87990' };
const march = { responsysCampaignId: '1739950', launchId: '88102' };
const february = { responsysCampaignId: '1739700', launchId: '87810' };
const january = { responsysCampaignId: '1739512', launchId: '87544' };
const pricing = { responsysCampaignId: '1739880', launchId: '88011' };
const welcome = { responsysCampaignId: '1738904', launchId: '87102' };

const engagedEvents = [
  event('a0B5e00000PrvE01AAA', 2 * HOUR + 4, 'Clicked', SPRING, {
    ...spring,
    offerName: 'See pricing',
    offerUrl: `${SITE}/pricing?utm_source=responsys&utm_campaign=spring-launch`,
  }),
  event('a0B5e00000PrvE02AAA', 2 * HOUR + 9, 'Clicked', SPRING, {
    ...spring,
    offerName: 'Watch the 2-minute tour',
    offerUrl: `${SITE}/route-optimizer/tour`,
  }),
  event('a0B5e00000PrvE03AAA', 2 * HOUR + 11, 'Opened', SPRING, spring),
  event('a0B5e00000PrvE04AAA', 5 * HOUR + 30, 'Sent', SPRING, spring),
  event('a0B5e00000PrvE05AAA', DAY + 3 * HOUR, 'Converted', WEBINAR, {
    ...webinar,
    offerName: 'Free trial sign-up',
    offerUrl: `${SITE}/trial/start`,
    detail: 'TRIAL-58213',
  }),
  event('a0B5e00000PrvE06AAA', DAY + 3 * HOUR + 12, 'Clicked', WEBINAR, {
    ...webinar,
    offerName: 'Register for the webinar',
    offerUrl: `${SITE}/webinars/cutting-freight-costs`,
  }),
  event('a0B5e00000PrvE07AAA', DAY + 3 * HOUR + 15, 'Opened', WEBINAR, webinar),
  event('a0B5e00000PrvE08AAA', DAY + 7 * HOUR, 'Sent', WEBINAR, webinar),
  event('a0B5e00000PrvE09AAA', 3 * DAY + 2 * HOUR, 'Opened', MARCH, march),
  event('a0B5e00000PrvE10AAA', 3 * DAY + 6 * HOUR, 'Opened', MARCH, march),
  event('a0B5e00000PrvE11AAA', 3 * DAY + 8 * HOUR, 'Sent', MARCH, march),
  event('a0B5e00000PrvE12AAA', 6 * DAY + 4 * HOUR, 'Bounced', PRICING, {
    ...pricing,
    detail: 'MAILBOX_FULL: 452 4.2.2 mailbox over quota',
  }),
  event('a0B5e00000PrvE13AAA', 6 * DAY + 4 * HOUR + 1, 'Sent', PRICING, pricing),
  event('a0B5e00000PrvE14AAA', 15 * DAY + 5 * HOUR, 'Opted_In', 'Email preference center', {
    detail: 'Re-subscribed on the preference page',
  }),
  event('a0B5e00000PrvE15AAA', 18 * DAY + 2 * HOUR, 'Opted_Out', FEBRUARY, {
    ...february,
    detail: 'Unsubscribe link in the email footer',
  }),
  event('a0B5e00000PrvE16AAA', 18 * DAY + 2 * HOUR + 3, 'Clicked', FEBRUARY, {
    ...february,
    offerName: 'Read: 5 ways to cut empty miles',
    offerUrl: `${SITE}/blog/five-ways-to-cut-empty-miles`,
  }),
  event('a0B5e00000PrvE17AAA', 18 * DAY + 2 * HOUR + 6, 'Opened', FEBRUARY, february),
  event('a0B5e00000PrvE18AAA', 18 * DAY + 9 * HOUR, 'Sent', FEBRUARY, february),
  event('a0B5e00000PrvE19AAA', 34 * DAY + 3 * HOUR, 'Clicked', WELCOME_3, {
    ...welcome,
    offerName: 'Book a call with a logistics expert',
    offerUrl: `${SITE}/contact/expert`,
  }),
  event('a0B5e00000PrvE20AAA', 34 * DAY + 3 * HOUR + 4, 'Opened', WELCOME_3, welcome),
  event('a0B5e00000PrvE21AAA', 34 * DAY + 10 * HOUR, 'Sent', WELCOME_3, welcome),
  event('a0B5e00000PrvE22AAA', 38 * DAY + HOUR, 'Opened', WELCOME_2, welcome),
  event('a0B5e00000PrvE23AAA', 38 * DAY + 10 * HOUR, 'Sent', WELCOME_2, welcome),
  event('a0B5e00000PrvE24AAA', 41 * DAY + 2 * HOUR, 'Clicked', WELCOME_1, {
    ...welcome,
    offerName: 'Set up your first route',
    offerUrl: `${SITE}/getting-started`,
  }),
  event('a0B5e00000PrvE25AAA', 41 * DAY + 2 * HOUR + 5, 'Opened', WELCOME_1, welcome),
  event('a0B5e00000PrvE26AAA', 41 * DAY + 10 * HOUR, 'Sent', WELCOME_1, welcome),
  event('a0B5e00000PrvE27AAA', 48 * DAY + 6 * HOUR, 'Opened', JANUARY, january),
  event('a0B5e00000PrvE28AAA', 48 * DAY + 9 * HOUR, 'Sent', JANUARY, january),
];

const optedOutEvents = [
  event('a0B5e00000PrvO01AAA', 21 * DAY + 3 * HOUR, 'Opted_Out', FEBRUARY, {
    ...february,
    detail: 'Unsubscribe link in the email footer',
  }),
  event('a0B5e00000PrvO02AAA', 21 * DAY + 3 * HOUR + 2, 'Opened', FEBRUARY, february),
  event('a0B5e00000PrvO03AAA', 21 * DAY + 9 * HOUR, 'Sent', FEBRUARY, february),
  event('a0B5e00000PrvO04AAA', 27 * DAY + 5 * HOUR, 'Complained', JANUARY, {
    ...january,
    detail: 'Reported through the mailbox provider feedback loop',
  }),
  event('a0B5e00000PrvO05AAA', 27 * DAY + 9 * HOUR, 'Sent', JANUARY, january),
];

const syncFailedEvents = [
  event('a0B5e00000PrvF01AAA', 2 * DAY + 4 * HOUR, 'Bounced', MARCH, {
    ...march,
    detail: 'USER_NOT_FOUND: 550 5.1.1 recipient address rejected',
  }),
  event('a0B5e00000PrvF02AAA', 2 * DAY + 4 * HOUR + 1, 'Sent', MARCH, march),
  event('a0B5e00000PrvF03AAA', 9 * DAY + 6 * HOUR, 'Skipped', PRICING, {
    ...pricing,
    detail: 'Address is on the suppression list',
  }),
];

const ago = (now, minutes) => new Date(now - minutes * MINUTE).toISOString();

export const SCENARIOS = {
  engaged: {
    label: 'Engaged lead',
    profile: {
      objectApiName: 'Lead',
      recordId: '00Q5e00000PrvDanaEAA',
      name: 'Dana Whitfield',
      fields: [
        ['Title', 'Director of Operations'],
        ['Company', 'Northwind Logistics'],
        ['Email', 'dana.whitfield@northwind-logistics.example'],
        ['Lead Status', 'Working - Contacted'],
        ['Lead Owner', 'Priya Raman'],
      ],
    },
    summary: (now) => ({
      engagementScore: 72,
      lastOpenedAt: ago(now, 2 * HOUR + 11),
      lastClickedAt: ago(now, 2 * HOUR + 4),
      hasOptedOutOfEmail: false,
      optOutSource: null,
      optOutAt: null,
      syncStatus: 'Synced',
      syncError: null,
      lastSyncedAt: ago(now, 4),
      riid: '364470825',
    }),
    events: engagedEvents,
  },
  'opted-out': {
    label: 'Opted-out contact',
    profile: {
      objectApiName: 'Contact',
      recordId: '0035e00000PrvMorgAAA',
      name: 'Morgan Lee',
      fields: [
        ['Title', 'Procurement Manager'],
        ['Account Name', 'Contoso Freight'],
        ['Email', 'morgan.lee@contoso-freight.example'],
        ['Phone', '(415) 555-0142'],
        ['Contact Owner', 'Priya Raman'],
      ],
    },
    summary: (now) => ({
      engagementScore: 18,
      lastOpenedAt: ago(now, 21 * DAY + 3 * HOUR + 2),
      lastClickedAt: null,
      hasOptedOutOfEmail: true,
      optOutSource: 'Responsys',
      optOutAt: ago(now, 21 * DAY + 3 * HOUR),
      syncStatus: 'Synced',
      syncError: null,
      lastSyncedAt: ago(now, 21 * DAY + 3 * HOUR - 2),
      riid: '364470990',
    }),
    events: optedOutEvents,
  },
  'sync-failed': {
    label: 'Lead whose sync failed',
    profile: {
      objectApiName: 'Lead',
      recordId: '00Q5e00000PrvRayCEAA',
      name: 'Ray Castillo',
      fields: [
        ['Title', 'Fleet Manager'],
        ['Company', 'Tailspin Haulage'],
        ['Email', 'ray.castillo@tailspin-haulage'],
        ['Lead Status', 'Open - Not Contacted'],
        ['Lead Owner', 'Priya Raman'],
      ],
    },
    summary: (now) => ({
      engagementScore: 4,
      lastOpenedAt: null,
      lastClickedAt: null,
      hasOptedOutOfEmail: false,
      optOutSource: null,
      optOutAt: null,
      syncStatus: 'Failed',
      syncError: 'MERGEFAILED: Record 0 = INVALID_PARAMETER: Bad Email Format',
      lastSyncedAt: ago(now, 9 * DAY),
      riid: '364471022',
    }),
    events: syncFailedEvents,
  },
  empty: {
    label: 'New contact, no email yet',
    profile: {
      objectApiName: 'Contact',
      recordId: '0035e00000PrvKimOAAA',
      name: 'Kim Osei',
      fields: [
        ['Title', 'Head of Supply Chain'],
        ['Account Name', 'Fabrikam Foods'],
        ['Email', 'kim.osei@fabrikam-foods.example'],
        ['Phone', '(312) 555-0199'],
        ['Contact Owner', 'Priya Raman'],
      ],
    },
    summary: () => ({
      engagementScore: null,
      lastOpenedAt: null,
      lastClickedAt: null,
      hasOptedOutOfEmail: false,
      optOutSource: null,
      optOutAt: null,
      syncStatus: 'Pending',
      syncError: null,
      lastSyncedAt: null,
      riid: null,
    }),
    events: [],
  },
  error: {
    label: 'Rep without access',
    profile: {
      objectApiName: 'Lead',
      recordId: '00Q5e00000PrvNoAcEAA',
      name: 'Alex Moreno',
      fields: [
        ['Title', 'COO'],
        ['Company', 'Wide World Importers'],
        ['Email', 'alex.moreno@wideworld.example'],
        ['Lead Status', 'Open - Not Contacted'],
        ['Lead Owner', 'Priya Raman'],
      ],
    },
    // What Lightning rejects with when the user's profile lacks access to the Apex class.
    failure: {
      ok: false,
      status: 500,
      statusText: 'Server Error',
      body: {
        message: "You do not have access to the Apex class named 'ResponsysEngagementController'.",
        exceptionType: '',
        stackTrace: '',
      },
    },
    summary: () => ({}),
    events: [],
  },
};

export const DEFAULT_SCENARIO = 'engaged';

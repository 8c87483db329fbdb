import { describe, expect, it } from 'vitest';
import {
  matchRoutes,
  parseProgramRoutes,
  routeFields,
  type ProgramRoute,
} from '../../../bridge/src/flows/programs/routes.js';

const webLead = {
  DeveloperName: 'Lead_Created_Web',
  Trigger__c: 'LEAD_CREATED',
  Match_Field__c: 'LeadSource',
  Match_Value__c: 'Web',
  Responsys_Event__c: 'SF_NEW_WEB_LEAD',
  Cooldown_Days__c: 30,
  Active__c: true,
};
const proposal = {
  DeveloperName: 'Opportunity_Proposal',
  Trigger__c: 'OPPORTUNITY_STAGE',
  Match_Field__c: 'StageName',
  Match_Value__c: 'Proposal/Price Quote',
  Responsys_Event__c: 'SF_OPP_PROPOSAL',
  Cooldown_Days__c: 14,
  Active__c: true,
};

describe('program route metadata', () => {
  it('reads the shipped default routes into routes with their cooldowns', () => {
    const { routes, problems } = parseProgramRoutes([webLead, proposal]);
    expect(problems).toEqual([]);
    expect(routes).toEqual([
      {
        name: 'Lead_Created_Web',
        trigger: 'LEAD_CREATED',
        matchField: 'LeadSource',
        matchValue: 'Web',
        eventName: 'SF_NEW_WEB_LEAD',
        cooldownDays: 30,
      },
      expect.objectContaining({ name: 'Opportunity_Proposal', cooldownDays: 14, matchField: 'StageName' }),
    ]);
  });

  it('leaves inactive routes out without calling them a problem', () => {
    const { routes, problems } = parseProgramRoutes([{ ...webLead, Active__c: false }]);
    expect(routes).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('reports each unusable route by its name with every problem, and keeps the good ones', () => {
    const { routes, problems } = parseProgramRoutes([
      { ...webLead, DeveloperName: 'Bad_Trigger', Trigger__c: 'LEAD_UPDATED' },
      { ...webLead, DeveloperName: 'No_Event', Responsys_Event__c: ' ' },
      { ...webLead, DeveloperName: 'Negative', Cooldown_Days__c: -3 },
      { ...webLead, DeveloperName: 'Field_Without_Value', Match_Value__c: null },
      { ...proposal, DeveloperName: 'Stage_Without_Value', Match_Value__c: '' },
      { ...webLead, DeveloperName: 'Bad_Field', Match_Field__c: 'Lead Source' },
      webLead,
    ]);
    expect(routes.map((route) => route.name)).toEqual(['Lead_Created_Web']);
    expect(problems.map((entry) => entry.route)).toEqual([
      'Bad_Trigger',
      'No_Event',
      'Negative',
      'Field_Without_Value',
      'Stage_Without_Value',
      'Bad_Field',
    ]);
    expect(problems[0]!.problem).toContain('Trigger__c must be one of LEAD_CREATED, OPPORTUNITY_STAGE');
    expect(problems[2]!.problem).toContain('Cooldown_Days__c');
  });
});

describe('matching routes to records', () => {
  const routes = parseProgramRoutes([
    webLead,
    proposal,
    {
      ...webLead,
      DeveloperName: 'Partner',
      Match_Value__c: 'Partner Referral',
      Responsys_Event__c: 'SF_PARTNER',
    },
    {
      ...webLead,
      DeveloperName: 'Big_Accounts',
      Match_Field__c: 'Account.Industry',
      Match_Value__c: 'Banking',
      Responsys_Event__c: 'SF_BANKING',
    },
  ]).routes;

  it('matches a new Lead on the route field, ignoring case and surrounding spaces', () => {
    const matched = matchRoutes(routes, {
      trigger: 'LEAD_CREATED',
      record: { LeadSource: ' web ' },
      isNew: true,
      changedFields: [],
    });
    expect(matched.map((route) => route.eventName)).toEqual(['SF_NEW_WEB_LEAD']);
  });

  it('matches an updated Lead only when the route field is among the changed fields', () => {
    const record = { LeadSource: 'Web', Title: 'CTO' };
    expect(
      matchRoutes(routes, { trigger: 'LEAD_CREATED', record, isNew: false, changedFields: ['Title'] }),
    ).toEqual([]);
    expect(
      matchRoutes(routes, {
        trigger: 'LEAD_CREATED',
        record,
        isNew: false,
        changedFields: ['LeadSource'],
      }).map((route) => route.eventName),
    ).toEqual(['SF_NEW_WEB_LEAD']);
  });

  it('follows parent paths, which change through their lookup field', () => {
    const record = { Account: { Industry: 'Banking' } };
    expect(
      matchRoutes(routes, {
        trigger: 'LEAD_CREATED',
        record,
        isNew: false,
        changedFields: ['AccountId'],
      }).map((route) => route.eventName),
    ).toEqual(['SF_BANKING']);
  });

  it('matches an opportunity stage route only for the stage it names', () => {
    const at = (StageName: string) =>
      matchRoutes(routes, {
        trigger: 'OPPORTUNITY_STAGE',
        record: { StageName },
        isNew: false,
        changedFields: [],
      });
    expect(at('Proposal/Price Quote').map((route) => route.eventName)).toEqual(['SF_OPP_PROPOSAL']);
    expect(at('Negotiation/Review')).toEqual([]);
  });

  it('a route without a match field enrols every new Lead but never an updated one', () => {
    const everyone: ProgramRoute = {
      ...routes[0]!,
      name: 'All',
      matchField: null,
      matchValue: null,
      eventName: 'SF_ALL',
    };
    expect(
      matchRoutes([everyone], { trigger: 'LEAD_CREATED', record: {}, isNew: true, changedFields: [] }),
    ).toHaveLength(1);
    expect(
      matchRoutes([everyone], {
        trigger: 'LEAD_CREATED',
        record: {},
        isNew: false,
        changedFields: ['Email'],
      }),
    ).toEqual([]);
  });

  it('names the fields a flow must read to evaluate its routes', () => {
    expect(routeFields(routes, 'LEAD_CREATED').sort()).toEqual(['Account.Industry', 'LeadSource']);
    expect(routeFields(routes, 'OPPORTUNITY_STAGE')).toEqual(['StageName']);
  });
});

import { describe, expect, it } from 'vitest';
import {
  describeMatch,
  matchRules,
  nextLeadStatus,
  parseStatusRules,
  type RatedEvent,
} from '../../../bridge/src/flows/lead-status/rules.js';

const defaults = [
  {
    DeveloperName: 'Engagement_Score_60',
    MasterLabel: 'Engagement score 60',
    Behavior__c: 'SCORE_AT_LEAST',
    Value__c: '60',
    Lead_Status__c: 'Working - Contacted',
    Create_Task__c: true,
    Campaign_Member_Status__c: null,
    Priority__c: 30,
  },
  {
    DeveloperName: 'Pricing_Page_Click',
    MasterLabel: 'Pricing page click',
    Behavior__c: 'CLICK_URL_CONTAINS',
    Value__c: '/pricing',
    Lead_Status__c: 'Working - Contacted',
    Create_Task__c: true,
    Campaign_Member_Status__c: 'Responded',
    Priority__c: 10,
  },
  {
    DeveloperName: 'Email_Conversion',
    MasterLabel: 'Email conversion',
    Behavior__c: 'CONVERTED',
    Value__c: null,
    Lead_Status__c: 'Working - Contacted',
    Create_Task__c: true,
    Campaign_Member_Status__c: 'Responded',
    Priority__c: 20,
  },
];

const event = (type: RatedEvent['type'], minute: number, extra: Partial<RatedEvent> = {}): RatedEvent => ({
  eventKey: `${type}-${minute}`,
  type,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 12, minute)),
  offerUrl: null,
  offerName: null,
  campaignName: 'Spring',
  launchId: '1',
  detail: null,
  ...extra,
});

const order = ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'];

describe('status rules', () => {
  it('orders the rules by priority and names every unusable record with the reason', () => {
    const { rules, problems } = parseStatusRules([
      ...defaults,
      {
        DeveloperName: 'Typo',
        Behavior__c: 'CLICKED',
        Lead_Status__c: 'Working - Contacted',
        Priority__c: 1,
      },
      {
        DeveloperName: 'No_Threshold',
        Behavior__c: 'SCORE_AT_LEAST',
        Value__c: 'high',
        Create_Task__c: true,
      },
      { DeveloperName: 'Does_Nothing', Behavior__c: 'CONVERTED', Create_Task__c: false },
    ]);
    expect(rules.map((rule) => rule.name)).toEqual([
      'Pricing_Page_Click',
      'Email_Conversion',
      'Engagement_Score_60',
    ]);
    expect(problems).toEqual([
      {
        rule: 'Typo',
        problem: 'Behavior__c "CLICKED" is not one of CLICK_URL_CONTAINS, CONVERTED, SCORE_AT_LEAST',
      },
      { rule: 'No_Threshold', problem: 'Value__c "high" must be the score threshold (a number)' },
      {
        rule: 'Does_Nothing',
        problem: 'the rule changes nothing: set Lead_Status__c, Create_Task__c or Campaign_Member_Status__c',
      },
    ]);
  });

  it('applies the first matching rule to each new event, and the score rule to the event that crossed the threshold', () => {
    const { rules } = parseStatusRules(defaults);
    const matches = matchRules(
      rules,
      [
        event('Opened', 1),
        event('Clicked', 2, { offerUrl: 'https://example.com/PRICING/pro' }),
        event('Clicked', 3, { offerUrl: 'https://example.com/blog' }),
        event('Converted', 4),
      ],
      { before: 55, now: 62 },
    );
    expect(matches.map((match) => [match.event.eventKey, match.rule.name])).toEqual([
      ['Clicked-2', 'Pricing_Page_Click'],
      ['Converted-4', 'Email_Conversion'],
    ]);
    const scoreOnly = matchRules(
      rules,
      [event('Opened', 1), event('Clicked', 3, { offerUrl: 'https://x/blog' })],
      {
        before: 58,
        now: 61,
      },
    );
    expect(scoreOnly).toEqual([
      expect.objectContaining({ rule: expect.objectContaining({ name: 'Engagement_Score_60' }), score: 61 }),
    ]);
    expect(matchRules(rules, [event('Opened', 1)], { before: 61, now: 64 })).toEqual([]);
  });

  it('moves a Lead only forward in the status order, and never from a status outside it', () => {
    expect(nextLeadStatus('Open - Not Contacted', ['Working - Contacted'], order)).toBe(
      'Working - Contacted',
    );
    expect(nextLeadStatus('Closed - Not Converted', ['Working - Contacted'], order)).toBeNull();
    expect(nextLeadStatus('Working - Contacted', ['Working - Contacted'], order)).toBeNull();
    expect(nextLeadStatus('Nurturing', ['Working - Contacted'], order)).toBeNull();
    expect(
      nextLeadStatus('Open - Not Contacted', [null, 'Closed - Converted', 'Working - Contacted'], order),
    ).toBe('Closed - Converted');
  });

  it('says what happened in the Task subject', () => {
    const { rules } = parseStatusRules(defaults);
    const click = matchRules(
      rules,
      [event('Clicked', 2, { offerUrl: 'https://e.com/pricing', offerName: 'Plans' })],
      {
        before: 0,
        now: 5,
      },
    )[0]!;
    expect(describeMatch(click).subject).toBe('Responsys: clicked Plans in "Spring"');
  });
});

import type { EngagementType } from '../engagement/events.js';

// The admins' status rules (Responsys_Status_Rule__mdt) and what they mean for one Lead's new
// engagement. Each new event is checked against the rules in priority order (lower Priority__c first,
// then by name) and the first rule that matches it applies to it: a click on a URL containing the
// rule's value, a conversion, or the engagement score reaching the rule's threshold (the event that
// brought the score there is the one the rule applies to). A rule moves the Lead Status forward (never
// back, never on a converted Lead), creates a Task for the owner, and moves the campaign member status.

export const behaviors = ['CLICK_URL_CONTAINS', 'CONVERTED', 'SCORE_AT_LEAST'] as const;
export type Behavior = (typeof behaviors)[number];

export interface StatusRule {
  /** DeveloperName: identifies the rule in the bridge's records and the Task */
  name: string;
  label: string;
  behavior: Behavior;
  /** the URL part or the score threshold; empty for CONVERTED */
  value: string;
  leadStatus: string | null;
  createTask: boolean;
  campaignMemberStatus: string | null;
  priority: number;
}

export interface RuleProblem {
  rule: string;
  problem: string;
}

export interface StatusRuleRecord {
  DeveloperName?: unknown;
  MasterLabel?: unknown;
  Behavior__c?: unknown;
  Value__c?: unknown;
  Lead_Status__c?: unknown;
  Create_Task__c?: unknown;
  Campaign_Member_Status__c?: unknown;
  Priority__c?: unknown;
}

const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

/** Usable rules in evaluation order, and the records that are not usable (named, with why). */
export function parseStatusRules(records: readonly StatusRuleRecord[]): {
  rules: StatusRule[];
  problems: RuleProblem[];
} {
  const rules: StatusRule[] = [];
  const problems: RuleProblem[] = [];
  for (const record of records) {
    const name = text(record.DeveloperName) || '(unnamed)';
    const behavior = text(record.Behavior__c).toUpperCase();
    const value = text(record.Value__c);
    const problem = (message: string) => problems.push({ rule: name, problem: message });
    if (!(behaviors as readonly string[]).includes(behavior)) {
      problem(`Behavior__c "${text(record.Behavior__c)}" is not one of ${behaviors.join(', ')}`);
      continue;
    }
    if (behavior === 'CLICK_URL_CONTAINS' && value === '') {
      problem('Value__c must name the part of the URL a click has to contain');
      continue;
    }
    if (behavior === 'SCORE_AT_LEAST' && !/^\d+(\.\d+)?$/.test(value)) {
      problem(`Value__c "${value}" must be the score threshold (a number)`);
      continue;
    }
    const leadStatus = text(record.Lead_Status__c) || null;
    const campaignMemberStatus = text(record.Campaign_Member_Status__c) || null;
    const createTask = record.Create_Task__c === true;
    if (!leadStatus && !createTask && !campaignMemberStatus) {
      problem('the rule changes nothing: set Lead_Status__c, Create_Task__c or Campaign_Member_Status__c');
      continue;
    }
    const priority = Number(record.Priority__c);
    rules.push({
      name,
      label: text(record.MasterLabel) || name,
      behavior: behavior as Behavior,
      value,
      leadStatus,
      createTask,
      campaignMemberStatus,
      priority: Number.isFinite(priority) ? priority : Number.MAX_SAFE_INTEGER,
    });
  }
  rules.sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
  return { rules, problems };
}

export interface RatedEvent {
  eventKey: string;
  type: EngagementType;
  occurredAt: Date;
  offerUrl: string | null;
  offerName: string | null;
  campaignName: string | null;
  launchId: string | null;
  detail: string | null;
}

export interface RuleMatch {
  rule: StatusRule;
  event: RatedEvent;
  /** for score rules: the score that reached the threshold */
  score?: number;
}

/**
 * The rule that applies to each new event of one Lead (at most one per event). `scoreBefore` is the
 * score when the Lead was last rated, `scoreNow` its score with the new events.
 */
export function matchRules(
  rules: readonly StatusRule[],
  events: readonly RatedEvent[],
  scores: { before: number; now: number },
): RuleMatch[] {
  const ordered = [...events].sort(
    (a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.eventKey.localeCompare(b.eventKey),
  );
  // The score crossing belongs to the latest new event: the one whose arrival brought the score there.
  const latest = ordered[ordered.length - 1];
  const matches: RuleMatch[] = [];
  for (const event of ordered) {
    for (const rule of rules) {
      if (ruleMatches(rule, event, event === latest ? scores : undefined)) {
        matches.push(
          rule.behavior === 'SCORE_AT_LEAST' ? { rule, event, score: scores.now } : { rule, event },
        );
        break;
      }
    }
  }
  return matches;
}

function ruleMatches(
  rule: StatusRule,
  event: RatedEvent,
  scores: { before: number; now: number } | undefined,
): boolean {
  switch (rule.behavior) {
    case 'CLICK_URL_CONTAINS':
      return (
        event.type === 'Clicked' &&
        !!event.offerUrl &&
        event.offerUrl.toLowerCase().includes(rule.value.toLowerCase())
      );
    case 'CONVERTED':
      return event.type === 'Converted';
    case 'SCORE_AT_LEAST': {
      if (!scores) return false;
      const threshold = Number(rule.value);
      return scores.before < threshold && scores.now >= threshold;
    }
  }
}

/**
 * The status a Lead moves to: the most advanced of the matched rules' statuses, if it is further along
 * than the current one in `order`. A status missing from the order is never moved from or to.
 */
export function nextLeadStatus(
  current: string | null,
  targets: ReadonlyArray<string | null>,
  order: readonly string[],
): string | null {
  const position = (status: string | null) =>
    status ? order.findIndex((item) => item.toLowerCase() === status.toLowerCase()) : -1;
  const from = position(current);
  if (current && from < 0) return null;
  let best: string | null = null;
  let bestPosition = from;
  for (const target of targets) {
    const at = position(target);
    if (at > bestPosition) {
      best = order[at]!;
      bestPosition = at;
    }
  }
  return best;
}

/** What the Task says happened. */
export function describeMatch(match: RuleMatch): { subject: string; what: string } {
  const { event } = match;
  const campaign = event.campaignName ? ` in "${event.campaignName}"` : '';
  switch (match.rule.behavior) {
    case 'CLICK_URL_CONTAINS': {
      const link = event.offerName || event.offerUrl || 'a link';
      return {
        subject: `Responsys: clicked ${link}${campaign}`,
        what: `Clicked ${event.offerUrl ?? link}${campaign} on ${event.occurredAt.toISOString()}.`,
      };
    }
    case 'CONVERTED': {
      const order = event.detail ? `: order ${event.detail}` : '';
      return {
        subject: `Responsys: converted${campaign}${order}`,
        what: `Converted${campaign}${order} on ${event.occurredAt.toISOString()}.`,
      };
    }
    case 'SCORE_AT_LEAST':
      return {
        subject: `Responsys: engagement score reached ${Math.round(match.score ?? 0)}`,
        what: `The engagement score reached ${Math.round(match.score ?? 0)} (rule: at least ${match.rule.value}) with ${event.type.toLowerCase().replace('_', ' ')}${campaign} on ${event.occurredAt.toISOString()}.`,
      };
  }
}

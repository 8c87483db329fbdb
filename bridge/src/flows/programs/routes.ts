// Program routes: which Responsys program (custom event) a Salesforce change sends a person into.
// Admins define them in Setup as Responsys_Program_Route__mdt records; this file reads those records
// into checked routes and decides which routes a record matches.
//
// Matching rules (documented in docs/flows-outbound.md):
// - LEAD_CREATED routes match a new Lead whose Match_Field__c equals Match_Value__c (trimmed, case
//   insensitive, as Salesforce compares picklist values). An updated Lead matches only when the
//   route's field is among the fields that changed, so an edit of another field never re-enrols it.
// - OPPORTUNITY_STAGE routes match an Opportunity whose field (StageName when the route names none)
//   now equals the value.
// - A route without Match_Field__c and Match_Value__c matches every new Lead (LEAD_CREATED) and is
//   refused for OPPORTUNITY_STAGE (it would enrol the contacts of every stage change).

export const routeTriggers = ['LEAD_CREATED', 'OPPORTUNITY_STAGE'] as const;
export type RouteTrigger = (typeof routeTriggers)[number];

export interface ProgramRoute {
  /** the metadata record's DeveloperName, used in logs and skip reasons */
  name: string;
  trigger: RouteTrigger;
  /** API name of the field to compare, possibly a parent path (`Account.Industry`); null: any record */
  matchField: string | null;
  matchValue: string | null;
  /** the Responsys custom event that enters the program */
  eventName: string;
  /** no second entry of the same recipient into this program within this many days */
  cooldownDays: number;
}

/** A route record that cannot be used, named so an admin can find it in Setup. */
export interface RouteProblem {
  route: string;
  problem: string;
}

export const PROGRAM_ROUTE_OBJECT = 'Responsys_Program_Route__mdt';
export const PROGRAM_ROUTE_FIELDS = [
  'DeveloperName',
  'Trigger__c',
  'Match_Field__c',
  'Match_Value__c',
  'Responsys_Event__c',
  'Cooldown_Days__c',
  'Active__c',
] as const;

const FIELD_PATH = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*){0,4}$/;
// Responsys object names: letters, digits and underscores (custom event names follow the same rule).
const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const MAX_COOLDOWN_DAYS = 3650;

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;

/**
 * Reads route metadata records into routes. Inactive records are left out; records that cannot be used
 * are reported (and left out) rather than guessed at.
 */
export function parseProgramRoutes(records: ReadonlyArray<Record<string, unknown>>): {
  routes: ProgramRoute[];
  problems: RouteProblem[];
} {
  const routes: ProgramRoute[] = [];
  const problems: RouteProblem[] = [];
  for (const record of records) {
    const name = text(record.DeveloperName) ?? text(record.Id) ?? '(unnamed route)';
    if (record.Active__c === false || record.Active__c === 'false') continue;
    const issues: string[] = [];
    const trigger = text(record.Trigger__c);
    if (!trigger || !(routeTriggers as readonly string[]).includes(trigger)) {
      issues.push(`Trigger__c must be one of ${routeTriggers.join(', ')} (got ${JSON.stringify(trigger)})`);
    }
    const matchField = text(record.Match_Field__c);
    const matchValue = text(record.Match_Value__c);
    if (matchField && !FIELD_PATH.test(matchField)) {
      issues.push(`Match_Field__c ${JSON.stringify(matchField)} is not a field API name`);
    }
    if (matchField && matchValue === null) {
      issues.push('Match_Field__c is set but Match_Value__c is empty');
    }
    if (!matchField && matchValue !== null && trigger !== 'OPPORTUNITY_STAGE') {
      issues.push('Match_Value__c is set but Match_Field__c is empty');
    }
    if (trigger === 'OPPORTUNITY_STAGE' && matchValue === null) {
      issues.push('an OPPORTUNITY_STAGE route needs Match_Value__c (the stage)');
    }
    const eventName = text(record.Responsys_Event__c);
    if (!eventName || !EVENT_NAME.test(eventName)) {
      issues.push(`Responsys_Event__c must name a Responsys custom event (got ${JSON.stringify(eventName)})`);
    }
    const cooldown =
      record.Cooldown_Days__c === null || record.Cooldown_Days__c === undefined
        ? 0
        : Number(record.Cooldown_Days__c);
    if (!Number.isFinite(cooldown) || cooldown < 0 || cooldown > MAX_COOLDOWN_DAYS) {
      issues.push(`Cooldown_Days__c must be a number of days from 0 to ${MAX_COOLDOWN_DAYS}`);
    }
    if (issues.length > 0) {
      problems.push({ route: name, problem: issues.join('; ') });
      continue;
    }
    routes.push({
      name,
      trigger: trigger as RouteTrigger,
      matchField: matchField ?? (trigger === 'OPPORTUNITY_STAGE' ? 'StageName' : null),
      matchValue,
      eventName: eventName!,
      cooldownDays: Math.floor(cooldown),
    });
  }
  return { routes, problems };
}

/** A value at a field path of a record as the REST API returns it (`Account.Name` → record.Account.Name). */
export function fieldValue(record: Record<string, unknown>, path: string): unknown {
  let current: unknown = record;
  for (const part of path.split('.')) {
    if (current === null || current === undefined || typeof current !== 'object') return null;
    const object = current as Record<string, unknown>;
    const key =
      part in object ? part : Object.keys(object).find((k) => k.toLowerCase() === part.toLowerCase());
    current = key === undefined ? undefined : object[key];
  }
  return current ?? null;
}

function sameValue(actual: unknown, expected: string): boolean {
  if (actual === null || actual === undefined) return false;
  return String(actual).trim().toLowerCase() === expected.trim().toLowerCase();
}

export interface RouteMatchInput {
  trigger: RouteTrigger;
  record: Record<string, unknown>;
  /** the record is new to the bridge (created, or seen for the first time) */
  isNew: boolean;
  /** fields the change touched; empty when unknown (treated as "nothing in particular") */
  changedFields: readonly string[];
}

/** The routes a record matches, at most one per custom event (the first route of that event wins). */
export function matchRoutes(routes: readonly ProgramRoute[], input: RouteMatchInput): ProgramRoute[] {
  const changed = new Set(input.changedFields.map((field) => field.toLowerCase()));
  const matched = new Map<string, ProgramRoute>();
  for (const route of routes) {
    if (route.trigger !== input.trigger || matched.has(route.eventName)) continue;
    if (route.trigger === 'LEAD_CREATED') {
      if (!route.matchField) {
        if (input.isNew) matched.set(route.eventName, route);
        continue;
      }
      // A parent path (Account.Name) changes through its lookup field (AccountId).
      const root = route.matchField.split('.')[0]!.toLowerCase();
      const watched = route.matchField.includes('.') ? `${root}id` : root;
      if (!input.isNew && !changed.has(watched)) continue;
    }
    if (sameValue(fieldValue(input.record, route.matchField!), route.matchValue!)) {
      matched.set(route.eventName, route);
    }
  }
  return [...matched.values()];
}

/** Fields a flow must read to evaluate the routes of a trigger. */
export function routeFields(routes: readonly ProgramRoute[], trigger: RouteTrigger): string[] {
  return [
    ...new Set(
      routes
        .filter((route) => route.trigger === trigger && route.matchField)
        .map((route) => route.matchField!),
    ),
  ];
}

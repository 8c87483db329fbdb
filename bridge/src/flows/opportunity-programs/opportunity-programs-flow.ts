import type { BatchOutcomes, FlowBatch, RecordOutcome } from '../../queue/outcomes.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import { isSalesforceId, toId18, type SObjectRecord } from '../../salesforce/soql.js';
import type { SyncLogInput } from '../../store/sync-log.js';
import type { PersonChange, PersonSync, PersonSyncResult } from '../person-sync/person-sync.js';
import type { EnrolmentRequest, EnrolmentResult, ProgramEnroller } from '../programs/enrolment.js';
import { enrolmentLogLine } from '../lead-programs/lead-programs.js';
import type { ProgramRouteCatalog } from '../programs/route-catalog.js';
import { matchRoutes, routeFields, type ProgramRoute } from '../programs/routes.js';

// F3: an Opportunity whose stage changed to a stage a route maps enters its contacts (every contact
// role, the primary contact among them) into the route's program, with the same eligibility rules as
// F1 (not opted out, not within the cooldown, not twice for one change). The contacts are merged into
// the profile list first: a custom event needs an existing recipient. The stage compared is the
// Opportunity's current one, so a late event never enrols for a stage the deal has already left; a
// stage with no route does nothing; a deal moving back and forth is held off by the cooldown.

export const OPPORTUNITY_PROGRAMS_FLOW = 'opportunity-programs';

export interface OpportunityProgramsOptions {
  salesforce: Pick<SalesforceClient, 'retrieve' | 'retrieveWhere'>;
  personSync: Pick<PersonSync, 'sync'>;
  routes: Pick<ProgramRouteCatalog, 'routes'>;
  enroller: Pick<ProgramEnroller, 'enrol'>;
  recordSyncLog(entries: SyncLogInput[]): Promise<void>;
}

interface ContactRole {
  contactId: string;
  isPrimary: boolean;
  role: string | null;
}

export function opportunityProgramsHandler(options: OpportunityProgramsOptions) {
  return async (batch: FlowBatch): Promise<BatchOutcomes> => {
    const outcomes: BatchOutcomes = new Map();
    const routes = (await options.routes.routes()).filter((route) => route.trigger === 'OPPORTUNITY_STAGE');
    const ids = batch.items.map((item) =>
      isSalesforceId(item.recordId) ? toId18(item.recordId) : item.recordId,
    );
    const opportunities = await options.salesforce.retrieve('Opportunity', ids.filter(isSalesforceId), [
      'Name',
      'StageName',
      ...routeFields(routes, 'OPPORTUNITY_STAGE'),
    ]);
    const roles = await contactRoles(options.salesforce, [...opportunities.keys()]);

    // Which opportunities have a routed stage now, and whose contacts must therefore be in Responsys.
    const routed = new Map<
      string,
      { opportunity: SObjectRecord; matched: ProgramRoute[]; contacts: ContactRole[] }
    >();
    batch.items.forEach((item, index) => {
      const opportunity = opportunities.get(ids[index]!);
      if (!opportunity) {
        outcomes.set(item.key, {
          status: 'skipped',
          code: 'RECORD_NOT_FOUND',
          reason: `Opportunity ${item.recordId} no longer exists`,
        });
        return;
      }
      const stage = String(opportunity.StageName ?? '');
      const moved =
        item.newValue && item.newValue !== stage
          ? ` (the change was to ${item.newValue}; it has moved on)`
          : '';
      const matched = matchRoutes(routes, {
        trigger: 'OPPORTUNITY_STAGE',
        record: opportunity,
        isNew: false,
        changedFields: ['StageName'],
      });
      if (matched.length === 0) {
        outcomes.set(item.key, {
          status: 'skipped',
          code: 'NO_ROUTE',
          reason: `no program route for stage ${stage}${moved}`,
        });
        return;
      }
      const contacts = roles.get(opportunity.Id) ?? [];
      if (contacts.length === 0) {
        outcomes.set(item.key, {
          status: 'skipped',
          code: 'NO_CONTACTS',
          reason: `stage ${stage} routes to ${matched.map((r) => r.eventName).join(', ')}, but the opportunity has no contact roles`,
        });
        return;
      }
      routed.set(item.key, { opportunity, matched, contacts });
    });

    // Merge every contact once, whatever number of opportunities name it.
    const contactChanges = new Map<string, PersonChange>();
    for (const item of batch.items) {
      for (const contact of routed.get(item.key)?.contacts ?? []) {
        if (contactChanges.has(contact.contactId)) continue;
        contactChanges.set(contact.contactId, {
          key: `Contact:${contact.contactId}`,
          objectType: 'Contact',
          recordId: contact.contactId,
          changedFields: [],
          correlationId: item.correlationId,
          occurredAt: item.occurredAt,
          finalAttempt: item.attempt >= item.maxAttempts,
        });
      }
    }
    const people = await options.personSync.sync([...contactChanges.values()], {
      flow: batch.flow,
      signal: batch.signal,
    });
    const person = (contactId: string) => people.get(`Contact:${contactId}`);

    const requests: EnrolmentRequest[] = [];
    const notMerged: SyncLogInput[] = [];
    for (const item of batch.items) {
      const entry = routed.get(item.key);
      if (!entry) continue;
      for (const contact of entry.contacts) {
        const result = person(contact.contactId);
        if (result?.status !== 'merged') {
          if (result)
            notMerged.push(
              contactNotMergedLine(result, contact.contactId, item.correlationId, batch.flow, entry.matched),
            );
          continue;
        }
        for (const route of entry.matched) {
          requests.push({
            key: item.key,
            route,
            riid: result.riid,
            salesforceId: contact.contactId,
            email: result.email,
            optedOut: result.optedOut,
            changeKey: `${entry.opportunity.Id}:${item.correlationId}`,
            correlationId: item.correlationId,
            optionalData: {
              SF_RECORD_ID: contact.contactId,
              SF_OBJECT_TYPE: 'Contact',
              SF_OPPORTUNITY_ID: entry.opportunity.Id,
              SF_STAGE: String(entry.opportunity.StageName ?? ''),
              SF_CONTACT_ROLE: contact.role ?? (contact.isPrimary ? 'Primary' : null),
            },
          });
        }
      }
    }
    const enrolments = requests.length > 0 ? await options.enroller.enrol(requests, batch.signal) : [];
    await options.recordSyncLog([
      ...notMerged,
      ...enrolments.map((entry) => enrolmentLogLine(entry, batch.flow)),
    ]);

    for (const item of batch.items) {
      const entry = routed.get(item.key);
      if (!entry) continue;
      outcomes.set(
        item.key,
        opportunityOutcome(
          entry,
          enrolments.filter((result) => result.key === item.key),
          entry.contacts.map((contact) => ({ contact, result: person(contact.contactId) })),
        ),
      );
    }
    return outcomes;
  };
}

async function contactRoles(
  salesforce: Pick<SalesforceClient, 'retrieveWhere'>,
  opportunityIds: string[],
): Promise<Map<string, ContactRole[]>> {
  const byOpportunity = new Map<string, ContactRole[]>();
  if (opportunityIds.length === 0) return byOpportunity;
  const rows = await salesforce.retrieveWhere('OpportunityContactRole', 'OpportunityId', opportunityIds, [
    'OpportunityId',
    'ContactId',
    'IsPrimary',
    'Role',
  ]);
  for (const row of rows) {
    const opportunityId = toId18(String(row.OpportunityId));
    const contactId = row.ContactId ? toId18(String(row.ContactId)) : undefined;
    if (!contactId) continue;
    const list = byOpportunity.get(opportunityId) ?? [];
    if (!list.some((existing) => existing.contactId === contactId)) {
      list.push({ contactId, isPrimary: row.IsPrimary === true, role: (row.Role as string | null) ?? null });
    }
    byOpportunity.set(opportunityId, list);
  }
  // The primary contact first, so reports and logs name it first.
  for (const list of byOpportunity.values()) list.sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary));
  return byOpportunity;
}

function contactNotMergedLine(
  result: PersonSyncResult,
  contactId: string,
  correlationId: string,
  flow: string,
  routes: ProgramRoute[],
): SyncLogInput {
  const why = result.status === 'failed' ? result.error : result.status === 'skipped' ? result.reason : '';
  const code = result.status === 'failed' || result.status === 'skipped' ? result.code : null;
  return {
    correlationId,
    flow,
    direction: 'salesforce_to_responsys',
    outcome: result.status === 'failed' && result.retryable ? 'retrying' : 'skipped',
    objectType: 'Contact',
    salesforceId: contactId,
    riid: result.riid,
    email: result.email,
    reason: `not entered into ${routes.map((route) => route.eventName).join(', ')}: ${why}`,
    errorCode: code,
  };
}

function opportunityOutcome(
  entry: { opportunity: SObjectRecord; matched: ProgramRoute[]; contacts: ContactRole[] },
  enrolments: readonly EnrolmentResult[],
  people: Array<{ contact: ContactRole; result: PersonSyncResult | undefined }>,
): RecordOutcome {
  const programs = entry.matched.map((route) => route.eventName).join(', ');
  const contacts = people.map(({ contact, result }) => {
    const decisions = enrolments.filter((e) => e.salesforceId === contact.contactId);
    return {
      contactId: contact.contactId,
      primary: contact.isPrimary,
      merge: result?.status ?? 'missing',
      programs: decisions.map((d) => ({ program: d.route.eventName, status: d.status, reason: d.reason })),
      ...(result && result.status !== 'merged'
        ? { reason: result.status === 'failed' ? result.error : result.reason }
        : {}),
    };
  });
  const details = { stage: entry.opportunity.StageName, contacts };
  // Something worth another attempt (a contact not merged yet, a custom event call that failed):
  // the opportunity is tried again; contacts already entered are then recognised and left alone.
  const retry =
    people.find(({ result }) => !result || (result.status === 'failed' && result.retryable)) ??
    enrolments.find((e) => e.status === 'failed' && e.retryable);
  if (retry) {
    const reason =
      'route' in retry
        ? retry.reason
        : `contact ${retry.contact.contactId} could not be merged: ${retry.result?.status === 'failed' ? retry.result.error : 'no result'}`;
    return {
      status: 'failed',
      error: reason,
      code: 'route' in retry && retry.status === 'failed' ? retry.code : 'CONTACT_NOT_MERGED',
      retryable: true,
      details,
    };
  }
  const entered = enrolments.filter((e) => e.status === 'entered').length;
  const held = enrolments.filter((e) => e.status !== 'entered').length;
  const notMerged = people.filter(({ result }) => result?.status !== 'merged').length;
  const parts = [`${entered} of ${entry.contacts.length} contact(s) entered ${programs}`];
  if (held > 0) parts.push(`${held} not entered (see each contact's history)`);
  if (notMerged > 0) parts.push(`${notMerged} contact(s) could not be merged`);
  return entered === 0
    ? { status: 'skipped', code: 'NO_ELIGIBLE_CONTACTS', reason: parts.join('; '), details }
    : { status: 'succeeded', reason: parts.join('; '), details };
}

import { OutcomeCollector, type BatchOutcomes, type FlowBatch, type WorkItem } from '../../queue/outcomes.js';
import type { WorkQueue } from '../../queue/work-queue.js';
import type { SalesforceClient } from '../../salesforce/client.js';
import { isSalesforceId, soqlString, toId18, type SObjectRecord } from '../../salesforce/soql.js';
import type { WriteResult } from '../../salesforce/writes.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import { EngagementEventStore, type StoredEvent } from '../engagement/event-store.js';
import { displayScore, scoreAt, type ScoreSettings } from '../engagement/scoring.js';
import {
  LeadStatusActions,
  type ClaimedAction,
  type CompletedAction,
  type LeadRating,
} from './action-store.js';
import {
  describeMatch,
  matchRules,
  nextLeadStatus,
  parseStatusRules,
  type RuleMatch,
  type StatusRule,
  type StatusRuleRecord,
} from './rules.js';

// F5: Responsys behaviour moves Leads forward. For each Lead with new engagement (queued by the
// engagement flow), the status rules are matched against the new events, then in a few calls for the
// whole batch: the Lead Status moves forward (never back, never on a converted Lead), a Task tells the
// owner what happened (once per event and rule, whatever happens to the batch), and the campaign
// member status moves (forward only, and only to a status the campaign has). The new Lead Status is
// handed to the outbound flows, since the integration user's own writes publish no change event.

export const RULES_SOQL =
  'SELECT DeveloperName, MasterLabel, Behavior__c, Value__c, Lead_Status__c, Create_Task__c, ' +
  'Campaign_Member_Status__c, Priority__c FROM Responsys_Status_Rule__mdt';

const RULES_TTL_MS = 5 * 60_000;
/** Behaviour older than this is history, not a reason to call anyone. */
const RATED_EVENT_MAX_AGE_MS = 30 * 86_400_000;
const TASK_MARKER = (eventKey: string, rule: string) => `[Responsys event ${eventKey} · rule ${rule}]`;

export interface LeadStatusFlowOptions {
  store: Store;
  salesforce: SalesforceClient;
  queue: WorkQueue;
  score: ScoreSettings;
  /** least to most advanced; default: the Lead Status picklist order */
  statusOrder?: readonly string[];
  logger: Logger;
  clock: Clock;
}

interface LeadPlan {
  item: WorkItem;
  lead: SObjectRecord;
  matches: RuleMatch[];
  statusTo: string | null;
  scoreNow: number;
  ratedThrough: Date;
}

export class LeadStatusFlow {
  private rulesCache: { at: number; rules: Promise<StatusRule[]> } | undefined;
  private reportedProblems = '';
  private readonly log: Logger;

  constructor(private readonly options: LeadStatusFlowOptions) {
    this.log = options.logger.child({ flow: 'f5-lead-status' });
  }

  /** The usable rules in evaluation order (read again every few minutes). */
  rules(): Promise<StatusRule[]> {
    const now = this.options.clock.now().getTime();
    if (!this.rulesCache || now - this.rulesCache.at > RULES_TTL_MS) {
      const rules = this.loadRules();
      this.rulesCache = { at: now, rules };
      rules.catch(() => (this.rulesCache = undefined));
    }
    return this.rulesCache.rules;
  }

  private async loadRules(): Promise<StatusRule[]> {
    const records = await this.options.salesforce.query(RULES_SOQL);
    const { rules, problems } = parseStatusRules(records as StatusRuleRecord[]);
    const summary = JSON.stringify(problems);
    if (problems.length > 0 && summary !== this.reportedProblems) {
      for (const problem of problems) this.log.error(`Status rule ${problem.rule}: ${problem.problem}`);
    }
    this.reportedProblems = summary;
    return rules;
  }

  /** Lead statuses from least to most advanced. */
  async statusOrder(): Promise<string[]> {
    if (this.options.statusOrder && this.options.statusOrder.length > 0) return [...this.options.statusOrder];
    const lead = await this.options.salesforce.describe('Lead');
    return lead.fields.find((field) => field.name === 'Status')?.picklistValues ?? [];
  }

  async handle(batch: FlowBatch): Promise<BatchOutcomes> {
    const { store, salesforce, clock } = this.options;
    const outcomes = new OutcomeCollector();
    const items = batch.items.filter((item) => {
      if (isSalesforceId(item.recordId)) return true;
      outcomes.skipped(item, `"${item.recordId}" is not a Lead id`, { code: 'INVALID_ID' });
      return false;
    });
    if (items.length === 0) return outcomes.outcomes;
    const rules = await this.rules();
    if (rules.length === 0) {
      for (const item of items) outcomes.skipped(item, 'no status rules are defined', { code: 'NO_RULES' });
      return outcomes.outcomes;
    }
    const now = clock.now();
    const leadIds = items.map((item) => toId18(item.recordId));
    const actionsRepo = new LeadStatusActions(store.db);
    const [ratings, leads, order] = await Promise.all([
      actionsRepo.ratings(leadIds),
      salesforce.retrieve('Lead', leadIds, ['Status', 'IsConverted', 'OwnerId', 'Name', 'Email']),
      this.statusOrder(),
    ]);
    const eventStore = new EngagementEventStore(store.db);
    const [stored, summaries] = await Promise.all([
      eventStore.forSalesforceIds(leadIds),
      eventStore.summaries(leadIds),
    ]);
    const events = await withCampaignNames(eventStore, stored);

    const plans: LeadPlan[] = [];
    for (const item of items) {
      const id = toId18(item.recordId);
      const lead = leads.get(id);
      if (!lead) {
        outcomes.skipped(item, 'the Lead no longer exists', { code: 'NOT_FOUND', salesforceId: id });
        continue;
      }
      const rating = ratings.get(id);
      const fresh = events.filter(
        (event) =>
          event.salesforceId === id &&
          event.appliedAt &&
          (!rating || event.appliedAt.getTime() > rating.ratedThrough.getTime()) &&
          now.getTime() - event.occurredAt.getTime() <= RATED_EVENT_MAX_AGE_MS,
      );
      const summary = summaries.get(id);
      const scoreNow = displayScore(
        scoreAt(summary ? { score: summary.score, at: summary.scoreAt } : undefined, now, this.options.score),
      );
      const ratedThrough = fresh.reduce(
        (latest, event) => (event.appliedAt! > latest ? event.appliedAt! : latest),
        rating?.ratedThrough ?? new Date(0),
      );
      if (lead.IsConverted === true) {
        outcomes.skipped(item, 'a converted Lead is never moved by status rules', {
          code: 'LEAD_CONVERTED',
          salesforceId: id,
        });
        plans.push({ item, lead, matches: [], statusTo: null, scoreNow, ratedThrough });
        continue;
      }
      const matches = matchRules(rules, fresh.map(toRated), { before: rating?.score ?? 0, now: scoreNow });
      const statusTo = nextLeadStatus(
        (lead.Status as string | null) ?? null,
        matches.map((match) => match.rule.leadStatus),
        order,
      );
      plans.push({ item, lead, matches, statusTo, scoreNow, ratedThrough });
    }

    const active = plans.filter((plan) => plan.matches.length > 0 && !outcomes.outcomes.has(plan.item.key));
    const claims = await actionsRepo.claim(
      active.flatMap((plan) =>
        plan.matches.map((match) => ({
          eventKey: match.event.eventKey,
          ruleName: match.rule.name,
          leadId: toId18(plan.lead.Id),
          correlationId: plan.item.correlationId,
        })),
      ),
    );
    const claimOf = (match: RuleMatch) => claims.get(`${match.event.eventKey}\u0000${match.rule.name}`);

    const failures = new Map<string, { error: string; code: string; retryable: boolean }>();
    const fail = (leadId: string, result: WriteResult | undefined, what: string, error?: unknown) => {
      if (failures.has(leadId)) return;
      const cause = result?.errors[0];
      failures.set(leadId, {
        error: `${what}: ${cause ? `${cause.code}: ${cause.message}` : errorMessage(error)}`,
        code: cause?.code ?? 'CALL_FAILED',
        retryable: result ? result.retryable : true,
      });
    };

    // Lead Status, one update for the batch
    const statusUpdates = active.filter((plan) => plan.statusTo);
    const statusChanged = new Set<string>();
    await this.write(
      'update',
      'Lead',
      statusUpdates.map((plan) => ({ Id: plan.lead.Id, Status: plan.statusTo })),
      (index, result, error) => {
        const plan = statusUpdates[index]!;
        if (result?.success) statusChanged.add(toId18(plan.lead.Id));
        else fail(toId18(plan.lead.Id), result, 'Lead Status not changed', error);
      },
    );

    // Tasks, once per event and rule
    const taskMatches: Array<{ plan: LeadPlan; match: RuleMatch; claim: ClaimedAction }> = [];
    for (const plan of active) {
      for (const match of plan.matches) {
        const claim = claimOf(match);
        if (match.rule.createTask && claim && claim.state === 'claimed' && !claim.taskId)
          taskMatches.push({ plan, match, claim });
      }
    }
    const existingTasks = await this.tasksFromEarlierAttempts(
      taskMatches.filter((entry) => !entry.claim.fresh),
    );
    const taskIds = new Map<string, string>();
    const toCreate = taskMatches.filter((entry) => {
      const found = existingTasks.get(TASK_MARKER(entry.match.event.eventKey, entry.match.rule.name));
      if (found) taskIds.set(`${entry.match.event.eventKey}\u0000${entry.match.rule.name}`, found);
      return !found;
    });
    const instanceUrl = salesforce.session?.instanceUrl ?? '';
    await this.write(
      'insert',
      'Task',
      toCreate.map(({ plan, match }) => this.task(plan, match, instanceUrl)),
      (index, result, error) => {
        const { plan, match } = toCreate[index]!;
        if (result?.success && result.id)
          taskIds.set(`${match.event.eventKey}\u0000${match.rule.name}`, result.id);
        else fail(toId18(plan.lead.Id), result, 'Task not created', error);
      },
    );

    // Campaign member status
    const memberMoves = await this.campaignMemberMoves(
      active.filter((plan) => !failures.has(toId18(plan.lead.Id))),
      eventStore,
    );
    await this.write(
      'update',
      'CampaignMember',
      memberMoves.map((move) => ({ Id: move.memberId, Status: move.status })),
      (index, result, error) => {
        const move = memberMoves[index]!;
        if (!result?.success) fail(move.leadId, result, 'campaign member status not changed', error);
      },
    );

    // What was done, per action and per Lead
    const completed: CompletedAction[] = [];
    const ratingsToSave: LeadRating[] = [];
    for (const plan of plans) {
      const id = toId18(plan.lead.Id);
      const failure = failures.get(id);
      if (failure) {
        outcomes.failed(plan.item, failure.error, {
          code: failure.code,
          retryable: failure.retryable,
          salesforceId: id,
        });
        for (const [key, taskId] of taskIds) {
          const [eventKey, ruleName] = key.split('\u0000') as [string, string];
          if (plan.matches.some((match) => match.event.eventKey === eventKey)) {
            await actionsRepo.rememberTask(eventKey, ruleName, taskId);
          }
        }
        continue;
      }
      ratingsToSave.push({ leadId: id, ratedThrough: plan.ratedThrough, score: plan.scoreNow });
      if (outcomes.outcomes.has(plan.item.key)) continue;
      if (plan.matches.length === 0) {
        outcomes.skipped(plan.item, 'no status rule matched the new engagement', {
          code: 'NO_RULE_MATCHED',
          salesforceId: id,
        });
        continue;
      }
      const moves = memberMoves.filter((move) => move.leadId === id);
      for (const match of plan.matches) {
        const claim = claimOf(match);
        if (!claim || claim.state === 'done') continue;
        const move = moves.find((candidate) => candidate.eventKey === match.event.eventKey);
        completed.push({
          eventKey: match.event.eventKey,
          ruleName: match.rule.name,
          statusFrom: (plan.lead.Status as string | null) ?? null,
          statusTo: statusChanged.has(id) ? plan.statusTo : null,
          taskId: taskIds.get(`${match.event.eventKey}\u0000${match.rule.name}`) ?? claim.taskId,
          campaignMemberId: move?.memberId ?? null,
          campaignMemberStatus: move?.status ?? null,
          note: move?.note ?? null,
        });
      }
      const done = completed.filter((action) =>
        plan.matches.some((match) => match.event.eventKey === action.eventKey),
      );
      outcomes.succeeded(plan.item, {
        salesforceId: id,
        email: (plan.lead.Email as string | null) ?? null,
        reason: [
          `rules ${[...new Set(plan.matches.map((match) => match.rule.name))].join(', ')}`,
          statusChanged.has(id)
            ? `Lead Status ${String(plan.lead.Status)} -> ${plan.statusTo}`
            : 'Lead Status unchanged',
          `${done.filter((action) => action.taskId).length} Task(s)`,
          `${moves.length} campaign member move(s)`,
        ].join('; '),
        details: {
          rules: plan.matches.map((match) => ({
            rule: match.rule.name,
            event: match.event.eventKey,
            type: match.event.type,
          })),
          statusFrom: plan.lead.Status ?? null,
          statusTo: statusChanged.has(id) ? plan.statusTo : null,
          taskIds: done.map((action) => action.taskId).filter(Boolean),
          campaignMembers: moves.map((move) => ({ id: move.memberId, status: move.status })),
          score: plan.scoreNow,
        },
      });
    }
    await store.transaction(async (_repos, tx) => {
      const repo = new LeadStatusActions(tx);
      await repo.complete(completed);
      await repo.saveRatings(ratingsToSave);
      if (statusChanged.size > 0) {
        // The integration user's write publishes nothing: hand the new status to the outbound flows.
        await this.options.queue.dispatch(
          [...statusChanged].map((leadId) => ({
            objectType: 'Lead',
            recordId: leadId,
            changeType: 'UPDATE' as const,
            changedFields: ['Status'],
            source: 'f5-lead-status',
            correlationId: plans.find((plan) => toId18(plan.lead.Id) === leadId)?.item.correlationId,
          })),
          { tx },
        );
      }
    });
    return outcomes.outcomes;
  }

  private task(plan: LeadPlan, match: RuleMatch, instanceUrl: string): Record<string, unknown> {
    const { subject, what } = describeMatch(match);
    const leadId = toId18(plan.lead.Id);
    const lines = [
      what,
      match.event.offerUrl ? `Link: ${match.event.offerUrl}` : null,
      match.event.detail && match.event.type !== 'Clicked' ? `Detail: ${match.event.detail}` : null,
      plan.statusTo ? `Lead Status moved to ${plan.statusTo}.` : null,
      instanceUrl ? `Lead: ${instanceUrl}/lightning/r/Lead/${leadId}/view` : null,
      `Rule: ${match.rule.label} (${match.rule.name})`,
      TASK_MARKER(match.event.eventKey, match.rule.name),
    ].filter(Boolean);
    const owner =
      typeof plan.lead.OwnerId === 'string' && plan.lead.OwnerId.startsWith('005')
        ? plan.lead.OwnerId
        : undefined;
    return {
      Subject: subject.slice(0, 255),
      Description: lines.join('\n'),
      WhoId: leadId,
      ...(owner ? { OwnerId: owner } : {}),
      ActivityDate: this.options.clock.now().toISOString().slice(0, 10),
      Priority: match.rule.behavior === 'CONVERTED' ? 'High' : 'Normal',
      Status: 'Not Started',
    };
  }

  /** Tasks an interrupted earlier attempt created (found by the marker in their description). */
  private async tasksFromEarlierAttempts(
    entries: ReadonlyArray<{ plan: LeadPlan }>,
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (entries.length === 0) return found;
    const leadIds = [...new Set(entries.map((entry) => toId18(entry.plan.lead.Id)))];
    const records = await this.options.salesforce.retrieveWhere('Task', 'WhoId', leadIds, ['Description'], {
      where: "Subject LIKE 'Responsys:%' AND CreatedDate = LAST_N_DAYS:7",
    });
    for (const record of records) {
      const marker = /\[Responsys event \S+ · rule \S+\]/.exec(String(record.Description ?? ''));
      if (marker) found.set(marker[0], record.Id);
    }
    return found;
  }

  /**
   * Campaign members to move: the Salesforce Campaign of the event's Responsys campaign (SF_CAMPAIGN_ID
   * of its launch, else the Campaign with the same name), the Lead's membership in it, and a status
   * the campaign has that is further along (SortOrder) than the member's.
   */
  private async campaignMemberMoves(
    plans: readonly LeadPlan[],
    eventStore: EngagementEventStore,
  ): Promise<
    Array<{ leadId: string; eventKey: string; memberId: string; status: string; note: string | null }>
  > {
    const wanted = plans.flatMap((plan) =>
      plan.matches
        .filter((match) => match.rule.campaignMemberStatus)
        .map((match) => ({ plan, match, leadId: toId18(plan.lead.Id) })),
    );
    if (wanted.length === 0) return [];
    const { salesforce } = this.options;
    const launches = await eventStore.campaignsFor(
      wanted.map((entry) => entry.match.event.launchId).filter((id): id is string => !!id),
      [],
    );
    const names = [
      ...new Set(
        wanted.map((entry) => entry.match.event.campaignName).filter((name): name is string => !!name),
      ),
    ];
    const byName = new Map<string, string>();
    if (names.length > 0) {
      for (const campaign of await salesforce.query(
        `SELECT Id, Name FROM Campaign WHERE Name IN (${names.map(soqlString).join(',')})`,
      )) {
        byName.set(String(campaign.Name).toLowerCase(), toId18(campaign.Id));
      }
    }
    const campaignOf = (entry: (typeof wanted)[number]) => {
      const fromLaunch = entry.match.event.launchId
        ? launches.launches.get(entry.match.event.launchId)?.salesforceCampaignId
        : undefined;
      if (fromLaunch && isSalesforceId(fromLaunch)) return toId18(fromLaunch);
      return entry.match.event.campaignName
        ? byName.get(entry.match.event.campaignName.toLowerCase())
        : undefined;
    };
    const campaignIds = [...new Set(wanted.map(campaignOf).filter((id): id is string => !!id))];
    if (campaignIds.length === 0) return [];
    const leadIds = [...new Set(wanted.map((entry) => entry.leadId))];
    const [members, statuses] = await Promise.all([
      salesforce.retrieveWhere('CampaignMember', 'LeadId', leadIds, ['CampaignId', 'LeadId', 'Status'], {
        where: `CampaignId IN (${campaignIds.map(soqlString).join(',')})`,
      }),
      salesforce.retrieveWhere('CampaignMemberStatus', 'CampaignId', campaignIds, [
        'CampaignId',
        'Label',
        'SortOrder',
      ]),
    ]);
    const order = (campaignId: string, label: unknown) =>
      statuses.find(
        (status) =>
          toId18(String(status.CampaignId)) === campaignId &&
          String(status.Label).toLowerCase() === String(label ?? '').toLowerCase(),
      )?.SortOrder as number | undefined;
    const moves: Array<{
      leadId: string;
      eventKey: string;
      memberId: string;
      status: string;
      note: string | null;
    }> = [];
    const planned = new Set<string>();
    for (const entry of wanted) {
      const campaignId = campaignOf(entry);
      if (!campaignId) continue;
      const member = members.find(
        (candidate) =>
          toId18(String(candidate.LeadId)) === entry.leadId &&
          toId18(String(candidate.CampaignId)) === campaignId,
      );
      if (!member || planned.has(member.Id)) continue;
      const target = entry.match.rule.campaignMemberStatus!;
      const targetOrder = order(campaignId, target);
      const currentOrder = order(campaignId, member.Status);
      if (targetOrder === undefined) {
        this.log.warn(
          { salesforceId: entry.leadId, campaignId },
          `status rule ${entry.match.rule.name}: campaign ${campaignId} has no member status "${target}"`,
        );
        continue;
      }
      if (currentOrder !== undefined && currentOrder >= targetOrder) continue;
      planned.add(member.Id);
      moves.push({
        leadId: entry.leadId,
        eventKey: entry.match.event.eventKey,
        memberId: member.Id,
        status: target,
        note: null,
      });
    }
    return moves;
  }

  /** One write call for the batch; `each` hears of every record (a failed call fails them all). */
  private async write(
    operation: 'insert' | 'update',
    objectType: string,
    records: Array<Record<string, unknown>>,
    each: (index: number, result: WriteResult | undefined, error?: unknown) => void,
  ): Promise<void> {
    if (records.length === 0) return;
    const { salesforce } = this.options;
    try {
      const results =
        operation === 'insert'
          ? await salesforce.create(objectType, records)
          : await salesforce.update(objectType, records);
      results.forEach((result, index) => each(index, result));
    } catch (error) {
      this.log.warn({ err: error }, `${operation} of ${objectType} failed: ${errorMessage(error)}`);
      records.forEach((_, index) => each(index, undefined, error));
    }
  }
}

/** File rows name their launch; the campaign name comes from the launch (or the campaign id). */
async function withCampaignNames(
  eventStore: EngagementEventStore,
  events: StoredEvent[],
): Promise<StoredEvent[]> {
  const unnamed = events.filter((event) => !event.campaignName);
  if (unnamed.length === 0) return events;
  const { launches, names } = await eventStore.campaignsFor(
    unnamed.map((event) => event.launchId).filter((id): id is string => !!id),
    unnamed.map((event) => event.campaignId).filter((id): id is string => !!id),
  );
  return events.map((event) =>
    event.campaignName
      ? event
      : {
          ...event,
          campaignName:
            (event.launchId ? launches.get(event.launchId)?.campaignName : null) ??
            (event.campaignId ? names.get(event.campaignId) : undefined) ??
            null,
        },
  );
}

function toRated(event: StoredEvent) {
  return {
    eventKey: event.eventKey,
    type: event.type,
    occurredAt: event.occurredAt,
    offerUrl: event.offerUrl,
    offerName: event.offerName,
    campaignName: event.campaignName,
    launchId: event.launchId,
    detail: event.detail,
  };
}

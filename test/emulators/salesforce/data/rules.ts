import { RecordFailure } from '../errors.js';
import type { SchemaCatalog } from '../schema/catalog.js';
import {
  DEFAULT_CAMPAIGN_MEMBER_STATUSES,
  FORECAST_CATEGORY_NAMES,
  OPPORTUNITY_STAGES,
  TASK_STATUSES,
} from '../schema/standard-objects.js';
import type { StoredRecord } from '../schema/types.js';
import type { DataStore } from './store.js';
import type { UnitOfWork } from './write-pipeline.js';

// The standard objects' own behaviour: what Salesforce does on save that a naive emulator would
// miss, and that the bridge can trip on (salesforce-api.md section 7 and Summary 9).

export interface RuleContext {
  unit: UnitOfWork;
  store: DataStore;
  catalog: SchemaCatalog;
  now: string;
  today: string;
  user: { id: string; username: string };
  /** Internal writes (lead conversion, rules themselves) skip the API-only guards. */
  trusted: boolean;
}

export interface ObjectRules {
  /** Runs before anything else on an update of `existing` (e.g. converted leads are read-only). */
  guardUpdate?(existing: StoredRecord, ctx: RuleContext): void;
  beforeInsert?(record: StoredRecord, provided: Set<string>, ctx: RuleContext): void;
  beforeUpdate?(record: StoredRecord, existing: StoredRecord, provided: Set<string>, ctx: RuleContext): void;
  afterInsert?(record: StoredRecord, ctx: RuleContext): void;
  afterUpdate?(record: StoredRecord, existing: StoredRecord, ctx: RuleContext): void;
  beforeDelete?(existing: StoredRecord, ctx: RuleContext): void;
}

const CONVERTED_LEAD = () => RecordFailure.of('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead');

function isConvertedLead(store: DataStore, id: unknown): boolean {
  return typeof id === 'string' && id.startsWith('00Q') && store.get(id)?.IsConverted === true;
}

const lead: ObjectRules = {
  guardUpdate(existing, ctx) {
    if (existing.IsConverted === true && !ctx.trusted) throw CONVERTED_LEAD();
  },
};

function applyStage(record: StoredRecord, provided: Set<string>, stageChanged: boolean, now: string): void {
  const stage = OPPORTUNITY_STAGES.find((s) => s.name === record.StageName);
  if (stage) {
    record.IsClosed = stage.closed;
    record.IsWon = stage.won;
    if (stageChanged || record.ForecastCategory == null) {
      record.ForecastCategory = stage.forecastCategory;
      if (!provided.has('ForecastCategoryName')) {
        record.ForecastCategoryName = FORECAST_CATEGORY_NAMES[stage.forecastCategory] ?? null;
      }
      if (!provided.has('Probability')) record.Probability = stage.probability;
    }
  } else {
    record.IsClosed = false;
    record.IsWon = false;
    record.ForecastCategory ??= 'Pipeline';
    record.ForecastCategoryName ??= 'Pipeline';
  }
  if (stageChanged) record.LastStageChangeDate = now;
  const amount = typeof record.Amount === 'number' ? record.Amount : null;
  const probability = typeof record.Probability === 'number' ? record.Probability : null;
  record.ExpectedRevenue = amount !== null && probability !== null ? (amount * probability) / 100 : null;
  if (typeof record.CloseDate === 'string') {
    const year = Number(record.CloseDate.slice(0, 4));
    const quarter = Math.floor((Number(record.CloseDate.slice(5, 7)) - 1) / 3) + 1;
    record.FiscalYear = year;
    record.FiscalQuarter = quarter;
    record.Fiscal = `${year} ${quarter}`;
  }
}

const opportunity: ObjectRules = {
  beforeInsert(record, provided, ctx) {
    applyStage(record, provided, true, ctx.now);
    record.LastStageChangeDate = null;
  },
  beforeUpdate(record, existing, provided, ctx) {
    applyStage(record, provided, record.StageName !== existing.StageName, ctx.now);
  },
  afterInsert(record, ctx) {
    // Opportunity.ContactId (v46+) exists only to create the primary contact role on insert.
    if (typeof record.ContactId === 'string') {
      ctx.unit.insert(
        'OpportunityContactRole',
        { OpportunityId: record.Id as string, ContactId: record.ContactId, IsPrimary: true },
        { trusted: true },
      );
    }
  },
};

function clearOtherPrimaries(record: StoredRecord, ctx: RuleContext): void {
  if (record.IsPrimary !== true) return;
  for (const other of ctx.store.children('OpportunityContactRole', 'OpportunityId', record.OpportunityId as string)) {
    if (other.Id !== record.Id && other.IsPrimary === true && other.IsDeleted !== true) {
      ctx.unit.update('OpportunityContactRole', other.Id as string, { IsPrimary: false }, { trusted: true });
    }
  }
}

const opportunityContactRole: ObjectRules = {
  afterInsert: clearOtherPrimaries,
  afterUpdate: (record, _existing, ctx) => clearOtherPrimaries(record, ctx),
};

const campaign: ObjectRules = {
  afterInsert(record, ctx) {
    for (const status of DEFAULT_CAMPAIGN_MEMBER_STATUSES) {
      ctx.unit.insert('CampaignMemberStatus', { ...status, CampaignId: record.Id as string }, { trusted: true });
    }
  },
};

function liveStatuses(ctx: RuleContext, campaignId: string): StoredRecord[] {
  return ctx.store
    .children('CampaignMemberStatus', 'CampaignId', campaignId)
    .filter((s) => s.IsDeleted !== true)
    .sort((a, b) => Number(a.SortOrder ?? 0) - Number(b.SortOrder ?? 0));
}

const campaignMemberStatus: ObjectRules = {
  beforeInsert(record, _provided, ctx) {
    const label = String(record.Label ?? '').toLowerCase();
    const clash = liveStatuses(ctx, record.CampaignId as string).find(
      (s) => String(s.Label).toLowerCase() === label,
    );
    if (clash) {
      throw RecordFailure.of('DUPLICATE_VALUE', `duplicate value found: Label duplicates value on record with id: ${String(clash.Id)}`);
    }
    if (record.SortOrder == null) {
      record.SortOrder = liveStatuses(ctx, record.CampaignId as string).length + 1;
    }
  },
  afterInsert(record, ctx) {
    unsetOtherDefaults(record, ctx);
  },
  afterUpdate(record, _existing, ctx) {
    unsetOtherDefaults(record, ctx);
  },
  beforeDelete(existing, ctx) {
    if (existing.IsDefault === true && !ctx.trusted) {
      throw RecordFailure.of('DELETE_FAILED', 'The default member status cannot be deleted.');
    }
  },
};

function unsetOtherDefaults(record: StoredRecord, ctx: RuleContext): void {
  if (record.IsDefault !== true) return;
  for (const other of liveStatuses(ctx, record.CampaignId as string)) {
    if (other.Id !== record.Id && other.IsDefault === true) {
      ctx.unit.update('CampaignMemberStatus', other.Id as string, { IsDefault: false }, { trusted: true });
    }
  }
}

/**
 * A member status that is not one of the campaign's falls back to the campaign's default status (no
 * error); with no default, the given value is kept and the member has not responded.
 */
function resolveMemberStatus(record: StoredRecord, ctx: RuleContext): void {
  const statuses = liveStatuses(ctx, record.CampaignId as string);
  const given = typeof record.Status === 'string' ? record.Status : null;
  const match = given ? statuses.find((s) => String(s.Label).toLowerCase() === given.toLowerCase()) : undefined;
  const fallback = statuses.find((s) => s.IsDefault === true);
  const chosen = match ?? fallback;
  record.Status = chosen ? (chosen.Label as string) : given;
  record.HasResponded = chosen?.HasResponded === true;
}

const campaignMember: ObjectRules = {
  beforeInsert(record, _provided, ctx) {
    if (!record.LeadId && !record.ContactId) {
      throw RecordFailure.of('REQUIRED_FIELD_MISSING', 'Required fields are missing: [ContactId, LeadId]', [
        'ContactId',
        'LeadId',
      ]);
    }
    if (record.LeadId && record.ContactId) {
      // Both given: only the contact is kept, unless this tracks the lead's own conversion.
      const lead = ctx.store.get(record.LeadId as string);
      if (!(lead?.IsConverted === true && lead.ConvertedContactId === record.ContactId)) record.LeadId = null;
    } else if (!ctx.trusted && isConvertedLead(ctx.store, record.LeadId)) {
      throw CONVERTED_LEAD();
    }
    const personField = record.ContactId ? 'ContactId' : 'LeadId';
    const already = ctx.store
      .children('CampaignMember', personField, record[personField] as string)
      .find((m) => m.CampaignId === record.CampaignId && m.IsDeleted !== true);
    if (already) throw RecordFailure.of('DUPLICATE_VALUE', 'Already a campaign member.');
    resolveMemberStatus(record, ctx);
    record.FirstRespondedDate = record.HasResponded ? ctx.today : null;
  },
  beforeUpdate(record, existing, provided, ctx) {
    if (provided.has('Status')) resolveMemberStatus(record, ctx);
    if (record.HasResponded === true && !existing.FirstRespondedDate) record.FirstRespondedDate = ctx.today;
  },
};

function taskDerived(record: StoredRecord, existing: StoredRecord | undefined, ctx: RuleContext): void {
  if (!ctx.trusted && isConvertedLead(ctx.store, record.WhoId) && record.WhoId !== existing?.WhoId) {
    throw CONVERTED_LEAD();
  }
  const closed = TASK_STATUSES.closed.has(String(record.Status));
  record.IsClosed = closed;
  record.IsHighPriority = record.Priority === 'High';
  if (closed && !existing?.IsClosed) record.CompletedDateTime = ctx.now;
  if (!closed) record.CompletedDateTime = null;
  record.WhoCount = record.WhoId ? 1 : 0;
  record.WhatCount = record.WhatId ? 1 : 0;
  let accountId: string | null = null;
  const whatId = typeof record.WhatId === 'string' ? record.WhatId : null;
  const whoId = typeof record.WhoId === 'string' ? record.WhoId : null;
  if (whatId?.startsWith('001')) accountId = whatId;
  else if (whatId?.startsWith('006')) accountId = (ctx.store.get(whatId)?.AccountId as string | null) ?? null;
  else if (whoId?.startsWith('003')) accountId = (ctx.store.get(whoId)?.AccountId as string | null) ?? null;
  record.AccountId = accountId;
}

const task: ObjectRules = {
  beforeInsert(record, _provided, ctx) {
    record.TaskSubtype ??= 'Task';
    if (record.TaskSubtype === 'Cadence' && !ctx.trusted) {
      throw RecordFailure.of(
        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        'Task Subtype: bad value for restricted picklist field: Cadence',
        ['TaskSubtype'],
      );
    }
    taskDerived(record, undefined, ctx);
  },
  beforeUpdate(record, existing, _provided, ctx) {
    taskDerived(record, existing, ctx);
  },
};

const user: ObjectRules = {
  beforeInsert(record, provided) {
    if (!provided.has('IsActive')) record.IsActive = true;
    record.UserType ??= 'Standard';
  },
};

const group: ObjectRules = {
  beforeInsert(record) {
    record.Type ??= 'Regular';
    record.DeveloperName ??= String(record.Name ?? '').replace(/\W+/g, '_');
  },
};

export const objectRules: Record<string, ObjectRules> = {
  Lead: lead,
  Opportunity: opportunity,
  OpportunityContactRole: opportunityContactRole,
  Campaign: campaign,
  CampaignMemberStatus: campaignMemberStatus,
  CampaignMember: campaignMember,
  Task: task,
  User: user,
  Group: group,
};

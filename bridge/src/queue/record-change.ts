import { z } from 'zod';
import { newCorrelationId } from '../shared/correlation.js';

// What travels through the queue: one change to one record, as the Salesforce platform event
// Responsys_Sync__e describes it (ids and what changed, never the values: handlers read current
// values in bulk, so a late or replayed change never writes stale data), or an event from Responsys.

export const changeTypes = [
  'CREATE',
  'UPDATE',
  'DELETE',
  'UNDELETE',
  'STAGE_CHANGE',
  'OPT_OUT',
  'OPT_IN',
] as const;
export type ChangeType = (typeof changeTypes)[number];

// When several changes to one record collapse into one, the strongest type names the result. An
// opt-out outranks everything (it must never be lost); every type seen is kept in changeTypes too.
const strength: Record<ChangeType, number> = {
  UPDATE: 1,
  STAGE_CHANGE: 2,
  UNDELETE: 3,
  CREATE: 4,
  OPT_IN: 5,
  DELETE: 6,
  OPT_OUT: 7,
};

export function strongerChange(a: ChangeType, b: ChangeType): ChangeType {
  return strength[b] > strength[a] ? b : a;
}

/** Queue priority by change type: opt-outs first, then deletes; everything else in arrival order. */
export function priorityOf(changeType: ChangeType): number {
  if (changeType === 'OPT_OUT') return 100;
  if (changeType === 'OPT_IN') return 50;
  if (changeType === 'DELETE') return 10;
  return 0;
}

export const recordChangeSchema = z.object({
  objectType: z.string().min(1).max(80),
  recordId: z.string().min(1).max(255),
  changeType: z.enum(changeTypes),
  changedFields: z.array(z.string().min(1).max(255)).max(2000).optional(),
  previousValue: z.string().max(255).nullable().optional(),
  newValue: z.string().max(255).nullable().optional(),
  relatedId: z.string().max(255).nullable().optional(),
  correlationId: z.string().min(1).max(64).optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  source: z.string().min(1).max(40).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  /** set when the change is itself the result of collapsing several (kept across retries) */
  changeTypes: z.array(z.enum(changeTypes)).optional(),
  correlationIds: z.array(z.string()).optional(),
});

export type RecordChangeInput = z.input<typeof recordChangeSchema>;

export interface RecordChange {
  objectType: string;
  recordId: string;
  changeType: ChangeType;
  changedFields: string[];
  previousValue: string | null;
  newValue: string | null;
  relatedId: string | null;
  correlationId: string;
  /** ISO time of the change at its source (end-to-end latency starts here) */
  occurredAt: string;
  /** streaming, reconciliation, file, webhook, backfill, operator, ... */
  source: string;
  data: Record<string, unknown>;
  changeTypes: ChangeType[];
  correlationIds: string[];
}

/** Validates and completes a change (fresh correlation id and time when absent). */
export function normaliseChange(input: RecordChangeInput, now: Date = new Date()): RecordChange {
  const parsed = recordChangeSchema.parse(input);
  const correlationId = parsed.correlationId ?? newCorrelationId();
  return {
    objectType: parsed.objectType,
    recordId: parsed.recordId,
    changeType: parsed.changeType,
    changedFields: [...new Set(parsed.changedFields ?? [])],
    previousValue: parsed.previousValue ?? null,
    newValue: parsed.newValue ?? null,
    relatedId: parsed.relatedId ?? null,
    correlationId,
    occurredAt: parsed.occurredAt ?? now.toISOString(),
    source: parsed.source ?? 'unknown',
    data: parsed.data ?? {},
    changeTypes: parsed.changeTypes ?? [parsed.changeType],
    correlationIds: parsed.correlationIds ?? [correlationId],
  };
}

/** Parses a comma-separated Changed_Fields__c value. */
export function parseChangedFields(value: string | null | undefined): string[] {
  if (!value) return [];
  return [
    ...new Set(
      value
        .split(',')
        .map((field) => field.trim())
        .filter(Boolean),
    ),
  ];
}

export function defaultCollapseKey(change: Pick<RecordChange, 'objectType' | 'recordId'>): string {
  return `${change.objectType}:${change.recordId}`;
}

/**
 * Merges changes to the same record into one: changed fields united, the strongest change type kept
 * (all types listed in changeTypes), the earliest previous value and the latest new value (a stage
 * that went A -> B -> C reads A -> C), the earliest time (latency counts from the first change), the
 * first correlation id as the journey's (all of them listed), later data over earlier data.
 * `changes` must be in arrival order.
 */
export function mergeChanges(changes: readonly RecordChange[]): RecordChange {
  const [first, ...rest] = changes;
  if (!first) throw new Error('mergeChanges needs at least one change');
  let merged: RecordChange = {
    ...first,
    changedFields: [...first.changedFields],
    changeTypes: [...first.changeTypes],
    correlationIds: [...first.correlationIds],
  };
  for (const next of rest) {
    merged = {
      ...merged,
      changeType: strongerChange(merged.changeType, next.changeType),
      changedFields: [...new Set([...merged.changedFields, ...next.changedFields])],
      previousValue: merged.previousValue ?? next.previousValue,
      newValue: next.newValue ?? merged.newValue,
      relatedId: next.relatedId ?? merged.relatedId,
      occurredAt: next.occurredAt < merged.occurredAt ? next.occurredAt : merged.occurredAt,
      source: next.source,
      data: { ...merged.data, ...next.data },
      changeTypes: [...new Set([...merged.changeTypes, ...next.changeTypes])],
      correlationIds: [...new Set([...merged.correlationIds, ...next.correlationIds])],
    };
  }
  return merged;
}

import type { Logger } from '../shared/logger.js';
import type { SyncDirection } from '../store/sync-ledger.js';
import type { RecordChange } from './record-change.js';

// The contract between the queue runtime and a flow: the runtime hands a flow a batch of work items
// (changes already collapsed per record) and the flow answers with one outcome per item. The runtime
// completes, retries or dead-letters each item on its own and writes the sync log, so one bad record
// never fails its batch.

/** Who the record is, for the sync log and the record history. All optional. */
export interface RecordIdentity {
  salesforceId?: string | null;
  riid?: string | null;
  email?: string | null;
}

export type RecordOutcome =
  | (RecordIdentity & {
      status: 'succeeded';
      /** a short note for the sync log, e.g. "merged into CONTACTS_LIST" */
      reason?: string;
      details?: Record<string, unknown>;
    })
  | (RecordIdentity & {
      status: 'skipped';
      /** why, in words an operator understands: "opted out", "entered WELCOME 3 days ago (cooldown 30 days)" */
      reason: string;
      /** a stable code: OPTED_OUT, COOLDOWN, ECHO_SUPPRESSED, NO_ROUTE, ... */
      code?: string;
      details?: Record<string, unknown>;
    })
  | (RecordIdentity & {
      status: 'failed';
      /** what went wrong, safe to show (no secrets) */
      error: string;
      code?: string;
      /** false when retrying cannot help (invalid email, value too long): dead-letter at once. Default true. */
      retryable?: boolean;
      /** wait at least this long before the next attempt (e.g. a rate-limit window) */
      retryAfterMs?: number;
      details?: Record<string, unknown>;
    });

/** One record's work: its changes collapsed into one. */
export interface WorkItem extends RecordChange {
  /** collapse key (objectType:recordId by default); outcomes are keyed by it */
  key: string;
  flow: string;
  /** this attempt, from 1 */
  attempt: number;
  maxAttempts: number;
  /** how many queued changes were collapsed into this item */
  collapsed: number;
  firstQueuedAt: string;
  /** a logger that stamps this record's correlation id on every line */
  log: Logger;
}

export interface FlowBatch {
  flow: string;
  direction: SyncDirection;
  items: WorkItem[];
  /** aborted when the bridge shuts down and the batch should wind up quickly */
  signal: AbortSignal;
  log: Logger;
}

export type BatchOutcomes = Map<string, RecordOutcome>;

export type FlowHandler = (batch: FlowBatch) => Promise<BatchOutcomes>;

/** Small helper for handlers: collects outcomes by item. */
export class OutcomeCollector {
  readonly outcomes: BatchOutcomes = new Map();

  set(item: Pick<WorkItem, 'key'>, outcome: RecordOutcome): this {
    this.outcomes.set(item.key, outcome);
    return this;
  }

  succeeded(
    item: Pick<WorkItem, 'key'>,
    fields: Omit<Extract<RecordOutcome, { status: 'succeeded' }>, 'status'> = {},
  ) {
    return this.set(item, { status: 'succeeded', ...fields });
  }

  skipped(
    item: Pick<WorkItem, 'key'>,
    reason: string,
    fields: Omit<Extract<RecordOutcome, { status: 'skipped' }>, 'status' | 'reason'> = {},
  ) {
    return this.set(item, { status: 'skipped', reason, ...fields });
  }

  failed(
    item: Pick<WorkItem, 'key'>,
    error: string,
    fields: Omit<Extract<RecordOutcome, { status: 'failed' }>, 'status' | 'error'> = {},
  ) {
    return this.set(item, { status: 'failed', error, ...fields });
  }

  /** Marks every item without an outcome yet. */
  rest(items: readonly WorkItem[], outcome: RecordOutcome): this {
    for (const item of items) if (!this.outcomes.has(item.key)) this.outcomes.set(item.key, outcome);
    return this;
  }
}

import type { Queryable } from './database.js';
import type { SyncDirection } from './sync-ledger.js';

// The per-record sync log: one line per thing that happened to a record in a flow (synced, skipped
// and why, failed and will retry, dead-lettered), with the correlation id, both systems' ids, the
// email and timings. It answers "why didn't this sync?" and is purged after the retention period.

export type SyncOutcome = 'succeeded' | 'skipped' | 'retrying' | 'dead_lettered';

export interface SyncLogInput {
  correlationId: string;
  flow: string;
  direction: SyncDirection;
  outcome: SyncOutcome;
  objectType?: string | null;
  salesforceId?: string | null;
  riid?: string | null;
  email?: string | null;
  changeType?: string | null;
  /** why it was skipped, or the error, in words an operator understands */
  reason?: string | null;
  /** a stable code for the reason: COOLDOWN, OPTED_OUT, ECHO_SUPPRESSED, INVALID_EMAIL, ... */
  errorCode?: string | null;
  attempt?: number | null;
  /** when the change happened at its source */
  occurredAt?: Date | string | null;
  startedAt?: Date | string | null;
  finishedAt?: Date | string | null;
  details?: Record<string, unknown> | null;
}

export interface SyncLogEntry {
  id: number;
  correlationId: string;
  flow: string;
  direction: SyncDirection;
  outcome: SyncOutcome;
  objectType: string | null;
  salesforceId: string | null;
  riid: string | null;
  email: string | null;
  changeType: string | null;
  reason: string | null;
  errorCode: string | null;
  attempt: number | null;
  occurredAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date;
  durationMs: number | null;
  details: Record<string, unknown> | null;
}

interface Row {
  id: number;
  correlation_id: string;
  flow: string;
  direction: SyncDirection;
  outcome: SyncOutcome;
  object_type: string | null;
  salesforce_id: string | null;
  riid: string | null;
  email: string | null;
  change_type: string | null;
  reason: string | null;
  error_code: string | null;
  attempt: number | null;
  occurred_at: Date | null;
  started_at: Date | null;
  finished_at: Date;
  duration_ms: number | null;
  details: Record<string, unknown> | null;
}

const toEntry = (row: Row): SyncLogEntry => ({
  id: row.id,
  correlationId: row.correlation_id,
  flow: row.flow,
  direction: row.direction,
  outcome: row.outcome,
  objectType: row.object_type,
  salesforceId: row.salesforce_id,
  riid: row.riid,
  email: row.email,
  changeType: row.change_type,
  reason: row.reason,
  errorCode: row.error_code,
  attempt: row.attempt,
  occurredAt: row.occurred_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  durationMs: row.duration_ms,
  details: row.details,
});

const iso = (value: Date | string | null | undefined): string | null =>
  value === null || value === undefined ? null : value instanceof Date ? value.toISOString() : value;

const MAX_REASON = 2000;

export interface RecordIdentifiers {
  salesforceIds?: readonly string[];
  riids?: readonly string[];
  emails?: readonly string[];
  correlationIds?: readonly string[];
}

export class SyncLog {
  constructor(private readonly db: Queryable) {}

  /** Appends entries (one insert for a whole batch). */
  async record(input: SyncLogInput | readonly SyncLogInput[]): Promise<void> {
    const entries = Array.isArray(input) ? input : [input as SyncLogInput];
    if (entries.length === 0) return;
    const rows = entries.map((entry) => {
      const finished = iso(entry.finishedAt) ?? new Date().toISOString();
      const started = iso(entry.startedAt);
      return {
        correlation_id: entry.correlationId,
        flow: entry.flow,
        direction: entry.direction,
        outcome: entry.outcome,
        object_type: entry.objectType ?? null,
        salesforce_id: entry.salesforceId ?? null,
        riid: entry.riid ?? null,
        email: entry.email ? entry.email.trim() : null,
        change_type: entry.changeType ?? null,
        reason: entry.reason ? entry.reason.slice(0, MAX_REASON) : null,
        error_code: entry.errorCode ?? null,
        attempt: entry.attempt ?? null,
        occurred_at: iso(entry.occurredAt),
        started_at: started,
        finished_at: finished,
        duration_ms: started ? Math.max(0, Date.parse(finished) - Date.parse(started)) : null,
        details: entry.details ?? null,
      };
    });
    await this.db.query(
      `INSERT INTO bridge.sync_log (correlation_id, flow, direction, outcome, object_type, salesforce_id, riid, email,
         change_type, reason, error_code, attempt, occurred_at, started_at, finished_at, duration_ms, details)
       SELECT correlation_id, flow, direction, outcome, object_type, salesforce_id, riid, email,
         change_type, reason, error_code, attempt, occurred_at, started_at, finished_at, duration_ms, details
       FROM jsonb_to_recordset($1::jsonb) AS x(correlation_id text, flow text, direction text, outcome text,
         object_type text, salesforce_id text, riid text, email text, change_type text, reason text,
         error_code text, attempt integer, occurred_at timestamptz, started_at timestamptz,
         finished_at timestamptz, duration_ms integer, details jsonb)`,
      [JSON.stringify(rows)],
    );
  }

  /**
   * Entries about one record, newest first, by a Salesforce id (15 or 18 characters), a RIID, an
   * email address or a correlation id.
   */
  async historyFor(idOrEmail: string, limit = 100): Promise<SyncLogEntry[]> {
    const value = idOrEmail.trim();
    return value.includes('@')
      ? this.forIdentifiers({ emails: [value] }, limit)
      : this.forIdentifiers({ salesforceIds: [value], riids: [value], correlationIds: [value] }, limit);
  }

  /** Entries matching any of the identifiers, newest first. */
  async forIdentifiers(ids: RecordIdentifiers, limit = 100): Promise<SyncLogEntry[]> {
    const salesforceIds = [...(ids.salesforceIds ?? [])];
    const short = salesforceIds.filter((id) => id.length === 15);
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.sync_log
       WHERE salesforce_id = ANY($1::text[])
          OR left(salesforce_id, 15) = ANY($2::text[])
          OR riid = ANY($3::text[])
          OR lower(email) = ANY($4::text[])
          OR correlation_id = ANY($5::text[])
       ORDER BY finished_at DESC, id DESC
       LIMIT $6`,
      [
        salesforceIds,
        short,
        [...(ids.riids ?? [])],
        (ids.emails ?? []).map((email) => email.trim().toLowerCase()),
        [...(ids.correlationIds ?? [])],
        limit,
      ],
    );
    return rows.map(toEntry);
  }

  async byCorrelationId(correlationId: string): Promise<SyncLogEntry[]> {
    const { rows } = await this.db.query<Row>(
      'SELECT * FROM bridge.sync_log WHERE correlation_id = $1 ORDER BY finished_at, id',
      [correlationId],
    );
    return rows.map(toEntry);
  }

  async recent(
    filter: { flow?: string; outcome?: SyncOutcome; limit?: number } = {},
  ): Promise<SyncLogEntry[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.sync_log
       WHERE ($1::text IS NULL OR flow = $1) AND ($2::text IS NULL OR outcome = $2)
       ORDER BY finished_at DESC, id DESC LIMIT $3`,
      [filter.flow ?? null, filter.outcome ?? null, filter.limit ?? 100],
    );
    return rows.map(toEntry);
  }

  /** Deletes entries older than the retention period, in chunks so the table is never locked long. */
  async purgeOlderThan(cutoff: Date, chunk = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.db.query(
        `DELETE FROM bridge.sync_log WHERE id IN (
           SELECT id FROM bridge.sync_log WHERE finished_at < $1 ORDER BY id LIMIT $2)`,
        [cutoff.toISOString(), chunk],
      );
      total += rowCount;
      if (rowCount < chunk) return total;
    }
  }
}

import type { Queryable } from './database.js';

// Records that failed for good (attempts exhausted, or an error retrying cannot fix), kept with the
// reason and the whole queued payload until an operator retries or discards them.

export type DeadLetterStatus = 'open' | 'retried' | 'discarded';

export interface DeadLetter {
  id: number;
  flow: string;
  queue: string;
  recordKey: string;
  correlationId: string | null;
  payload: unknown;
  reason: string;
  errorCode: string | null;
  attempts: number;
  firstQueuedAt: Date | null;
  failedAt: Date;
  status: DeadLetterStatus;
  handledAt: Date | null;
  handledBy: string | null;
}

export interface DeadLetterInput {
  flow: string;
  queue: string;
  recordKey: string;
  correlationId?: string | null;
  payload: unknown;
  reason: string;
  errorCode?: string | null;
  attempts: number;
  firstQueuedAt?: Date | string | null;
  /** the queue job it came from; a job becomes at most one dead letter */
  sourceJobId?: string | null;
}

interface Row {
  id: number;
  flow: string;
  queue: string;
  record_key: string;
  correlation_id: string | null;
  payload: unknown;
  reason: string;
  error_code: string | null;
  attempts: number;
  first_queued_at: Date | null;
  failed_at: Date;
  status: DeadLetterStatus;
  handled_at: Date | null;
  handled_by: string | null;
}

const toDeadLetter = (row: Row): DeadLetter => ({
  id: row.id,
  flow: row.flow,
  queue: row.queue,
  recordKey: row.record_key,
  correlationId: row.correlation_id,
  payload: row.payload,
  reason: row.reason,
  errorCode: row.error_code,
  attempts: row.attempts,
  firstQueuedAt: row.first_queued_at,
  failedAt: row.failed_at,
  status: row.status,
  handledAt: row.handled_at,
  handledBy: row.handled_by,
});

export interface DeadLetterFilter {
  flow?: string;
  status?: DeadLetterStatus;
  limit?: number;
  /** ids below this one (pagination, newest first) */
  beforeId?: number;
}

export class DeadLetters {
  constructor(private readonly db: Queryable) {}

  async add(input: DeadLetterInput | readonly DeadLetterInput[]): Promise<number[]> {
    const entries = Array.isArray(input) ? input : [input as DeadLetterInput];
    if (entries.length === 0) return [];
    const rows = entries.map((entry) => ({
      flow: entry.flow,
      queue: entry.queue,
      record_key: entry.recordKey,
      correlation_id: entry.correlationId ?? null,
      payload: entry.payload,
      reason: entry.reason.slice(0, 4000),
      error_code: entry.errorCode ?? null,
      attempts: entry.attempts,
      first_queued_at:
        entry.firstQueuedAt instanceof Date
          ? entry.firstQueuedAt.toISOString()
          : (entry.firstQueuedAt ?? null),
      source_job_id: entry.sourceJobId ?? null,
    }));
    const { rows: inserted } = await this.db.query<{ id: number }>(
      `INSERT INTO bridge.dead_letters (flow, queue, record_key, correlation_id, payload, reason, error_code,
         attempts, first_queued_at, source_job_id)
       SELECT flow, queue, record_key, correlation_id, payload, reason, error_code, attempts, first_queued_at,
         source_job_id
       FROM jsonb_to_recordset($1::jsonb) AS x(flow text, queue text, record_key text, correlation_id text,
         payload jsonb, reason text, error_code text, attempts integer, first_queued_at timestamptz,
         source_job_id text)
       ON CONFLICT (source_job_id) DO NOTHING
       RETURNING id`,
      [JSON.stringify(rows)],
    );
    return inserted.map((row) => row.id);
  }

  async get(id: number): Promise<DeadLetter | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM bridge.dead_letters WHERE id = $1', [id]);
    return rows[0] && toDeadLetter(rows[0]);
  }

  /** Newest first; open ones by default. */
  async list(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.dead_letters
       WHERE status = $1 AND ($2::text IS NULL OR flow = $2) AND ($3::bigint IS NULL OR id < $3)
       ORDER BY id DESC LIMIT $4`,
      [filter.status ?? 'open', filter.flow ?? null, filter.beforeId ?? null, filter.limit ?? 100],
    );
    return rows.map(toDeadLetter);
  }

  async countOpen(): Promise<Array<{ flow: string; count: number }>> {
    const { rows } = await this.db.query<{ flow: string; count: number }>(
      `SELECT flow, count(*)::int AS count FROM bridge.dead_letters WHERE status = 'open' GROUP BY flow ORDER BY flow`,
    );
    return rows;
  }

  /** Marks open dead letters as handled; returns the ones that were still open (so two retries never double). */
  async markHandled(
    ids: readonly number[],
    status: 'retried' | 'discarded',
    by: string,
  ): Promise<DeadLetter[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `UPDATE bridge.dead_letters SET status = $2, handled_at = now(), handled_by = $3
       WHERE id = ANY($1::bigint[]) AND status = 'open'
       RETURNING *`,
      [[...ids], status, by],
    );
    return rows.map(toDeadLetter);
  }

  async openIds(flow?: string, limit = 10_000): Promise<number[]> {
    const { rows } = await this.db.query<{ id: number }>(
      `SELECT id FROM bridge.dead_letters WHERE status = 'open' AND ($1::text IS NULL OR flow = $1)
       ORDER BY id LIMIT $2`,
      [flow ?? null, limit],
    );
    return rows.map((row) => row.id);
  }

  async forRecords(recordKeys: readonly string[], limit = 20): Promise<DeadLetter[]> {
    if (recordKeys.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.dead_letters WHERE record_key = ANY($1::text[]) OR correlation_id = ANY($1::text[])
       ORDER BY id DESC LIMIT $2`,
      [[...new Set(recordKeys)], limit],
    );
    return rows.map(toDeadLetter);
  }

  /** Forgets handled (retried or discarded) dead letters older than the cutoff; open ones stay. */
  async purgeHandledBefore(cutoff: Date): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM bridge.dead_letters WHERE status <> 'open' AND handled_at < $1`,
      [cutoff.toISOString()],
    );
    return rowCount;
  }
}

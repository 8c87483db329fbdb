import type { Queryable } from '../../store/database.js';
import type { Migration } from '../../store/migrations.js';

// Reports of the opt-out reconciliation: one row per run with its counts, one row per record it
// found in disagreement with what it did about it. Kept for the admin API and CLI.

export const optOutsInboundMigrations: Migration[] = [
  {
    id: '0001_opt_out_reconciliations',
    sql: `
CREATE TABLE bridge.opt_out_reconciliations (
  id bigserial PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
  dry_run boolean NOT NULL DEFAULT false,
  trigger text,
  records_compared integer NOT NULL DEFAULT 0,
  recipients_compared integer NOT NULL DEFAULT 0,
  drift integer NOT NULL DEFAULT 0,
  healed_salesforce integer NOT NULL DEFAULT 0,
  healed_responsys integer NOT NULL DEFAULT 0,
  skipped integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  error text
);
CREATE TABLE bridge.opt_out_reconciliation_changes (
  id bigserial PRIMARY KEY,
  run_id bigint NOT NULL REFERENCES bridge.opt_out_reconciliations(id) ON DELETE CASCADE,
  salesforce_id text,
  object_type text,
  riid text,
  email text,
  side text NOT NULL CHECK (side IN ('salesforce', 'responsys', 'none')),
  salesforce_before text,
  responsys_before text,
  outcome text NOT NULL CHECK (outcome IN ('healed', 'would_heal', 'skipped', 'failed')),
  reason text NOT NULL,
  error text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opt_out_reconciliation_changes_run ON bridge.opt_out_reconciliation_changes (run_id, id);
`,
  },
];

export interface ReconciliationRun {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  state: 'running' | 'done' | 'failed';
  dryRun: boolean;
  trigger: string | null;
  recordsCompared: number;
  recipientsCompared: number;
  drift: number;
  healedSalesforce: number;
  healedResponsys: number;
  skipped: number;
  failed: number;
  error: string | null;
}

export interface ReconciliationChange {
  salesforceId: string | null;
  objectType: string | null;
  riid: string | null;
  email: string | null;
  /** the side that was (or would be) changed */
  side: 'salesforce' | 'responsys' | 'none';
  salesforceBefore: string | null;
  responsysBefore: string | null;
  outcome: 'healed' | 'would_heal' | 'skipped' | 'failed';
  reason: string;
  error?: string | null;
}

interface RunRow {
  id: string;
  started_at: Date;
  finished_at: Date | null;
  state: ReconciliationRun['state'];
  dry_run: boolean;
  trigger: string | null;
  records_compared: number;
  recipients_compared: number;
  drift: number;
  healed_salesforce: number;
  healed_responsys: number;
  skipped: number;
  failed: number;
  error: string | null;
}

const toRun = (row: RunRow): ReconciliationRun => ({
  id: Number(row.id),
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  state: row.state,
  dryRun: row.dry_run,
  trigger: row.trigger,
  recordsCompared: row.records_compared,
  recipientsCompared: row.recipients_compared,
  drift: row.drift,
  healedSalesforce: row.healed_salesforce,
  healedResponsys: row.healed_responsys,
  skipped: row.skipped,
  failed: row.failed,
  error: row.error,
});

export type RunCounts = Pick<
  ReconciliationRun,
  | 'recordsCompared'
  | 'recipientsCompared'
  | 'drift'
  | 'healedSalesforce'
  | 'healedResponsys'
  | 'skipped'
  | 'failed'
>;

export class ReconciliationReports {
  constructor(private readonly db: Queryable) {}

  async start(options: { dryRun: boolean; trigger: string }): Promise<number> {
    const { rows } = await this.db.query<{ id: string }>(
      'INSERT INTO bridge.opt_out_reconciliations (dry_run, trigger) VALUES ($1, $2) RETURNING id',
      [options.dryRun, options.trigger],
    );
    return Number(rows[0]!.id);
  }

  async addChanges(runId: number, changes: readonly ReconciliationChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.db.query(
      `INSERT INTO bridge.opt_out_reconciliation_changes (run_id, salesforce_id, object_type, riid, email, side,
         salesforce_before, responsys_before, outcome, reason, error)
       SELECT $1, salesforce_id, object_type, riid, email, side, salesforce_before, responsys_before, outcome, reason, error
       FROM jsonb_to_recordset($2::jsonb) AS x(salesforce_id text, object_type text, riid text, email text, side text,
         salesforce_before text, responsys_before text, outcome text, reason text, error text)`,
      [
        runId,
        JSON.stringify(
          changes.map((change) => ({
            salesforce_id: change.salesforceId,
            object_type: change.objectType,
            riid: change.riid,
            email: change.email,
            side: change.side,
            salesforce_before: change.salesforceBefore,
            responsys_before: change.responsysBefore,
            outcome: change.outcome,
            reason: change.reason.slice(0, 2000),
            error: change.error?.slice(0, 2000) ?? null,
          })),
        ),
      ],
    );
  }

  async progress(runId: number, counts: RunCounts): Promise<void> {
    await this.db.query(
      `UPDATE bridge.opt_out_reconciliations SET records_compared = $2, recipients_compared = $3, drift = $4,
         healed_salesforce = $5, healed_responsys = $6, skipped = $7, failed = $8 WHERE id = $1`,
      [
        runId,
        counts.recordsCompared,
        counts.recipientsCompared,
        counts.drift,
        counts.healedSalesforce,
        counts.healedResponsys,
        counts.skipped,
        counts.failed,
      ],
    );
  }

  async finish(runId: number, counts: RunCounts, error?: string): Promise<void> {
    await this.progress(runId, counts);
    await this.db.query(
      `UPDATE bridge.opt_out_reconciliations SET finished_at = now(), state = $2, error = $3 WHERE id = $1`,
      [runId, error ? 'failed' : 'done', error?.slice(0, 2000) ?? null],
    );
  }

  async list(limit = 20): Promise<ReconciliationRun[]> {
    const { rows } = await this.db.query<RunRow>(
      'SELECT * FROM bridge.opt_out_reconciliations ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows.map(toRun);
  }

  async get(runId: number): Promise<ReconciliationRun | undefined> {
    const { rows } = await this.db.query<RunRow>(
      'SELECT * FROM bridge.opt_out_reconciliations WHERE id = $1',
      [runId],
    );
    return rows[0] && toRun(rows[0]);
  }

  async changes(runId: number, limit = 1000): Promise<ReconciliationChange[]> {
    const { rows } = await this.db.query<{
      salesforce_id: string | null;
      object_type: string | null;
      riid: string | null;
      email: string | null;
      side: ReconciliationChange['side'];
      salesforce_before: string | null;
      responsys_before: string | null;
      outcome: ReconciliationChange['outcome'];
      reason: string;
      error: string | null;
    }>('SELECT * FROM bridge.opt_out_reconciliation_changes WHERE run_id = $1 ORDER BY id LIMIT $2', [
      runId,
      limit,
    ]);
    return rows.map((row) => ({
      salesforceId: row.salesforce_id,
      objectType: row.object_type,
      riid: row.riid,
      email: row.email,
      side: row.side,
      salesforceBefore: row.salesforce_before,
      responsysBefore: row.responsys_before,
      outcome: row.outcome,
      reason: row.reason,
      error: row.error,
    }));
  }
}

import { hash } from 'node:crypto';
import { yieldToEventLoop } from '../shared/event-loop.js';
import type { Queryable } from './database.js';

// Echo suppression. When the bridge writes a value into one system, it remembers a hash of it here
// (per direction, record and target field/column). When a change later arrives from that system and
// the current value still hashes the same, the change is the bridge's own write coming back (an
// echo) and is not synced again. Values compare as text: 1 and "1" are equal, and null, undefined
// and "" are all "empty", because Salesforce and Responsys spell empty differently.

export type SyncDirection = 'salesforce_to_responsys' | 'responsys_to_salesforce';

export interface LedgerValue {
  /** the record in the system written to: a Salesforce id or a RIID */
  recordKey: string;
  /** the field or column written: `Email`, `PROFILE_LIST.EMAIL_ADDRESS_`, `PET:LEAD_PET.SCORE` */
  target: string;
  value: unknown;
}

export interface LedgerEntry {
  direction: SyncDirection;
  recordKey: string;
  target: string;
  valueHash: string;
  /** the bridge's last write to this record in this direction (this target's value may be older) */
  writtenAt: Date;
  /** the journey of that last write */
  correlationId: string | null;
  suppressedCount: number;
  lastSuppressedAt: Date | null;
}

/** target -> hash of the value last written */
type WrittenTargets = Record<string, string>;
/** target -> [echoes suppressed, last suppressed at (ms since the epoch)] */
type SuppressedTargets = Record<string, [number, number | null]>;

interface Row {
  direction: SyncDirection;
  record_key: string;
  written: WrittenTargets;
  written_at: Date;
  correlation_id: string | null;
  suppressed: SuppressedTargets;
}

function canonical(value: unknown): string {
  if (value === null || value === undefined || value === '') return '\u0000empty';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([key, item]) => `${key}:${canonical(item)}`).join(',')}}`;
  }
  return String(value);
}

/** One-shot `hash`, several times cheaper than createHash for short values (a backfill hashes millions). */
export function hashValue(value: unknown): string {
  return hash('sha256', canonical(value), 'hex').slice(0, 32);
}

export interface EchoCheck {
  echoes: LedgerValue[];
  fresh: LedgerValue[];
}

// One row per direction and record, its targets in a document (see migration 0002): a backfill
// stores one row per record rather than one per two-way column.
export class SyncLedger {
  constructor(private readonly db: Queryable) {}

  /** Remembers values the bridge has just written (call after the target accepted them). */
  async recordWrites(
    direction: SyncDirection,
    writes: readonly LedgerValue[],
    correlationId?: string,
  ): Promise<void> {
    if (writes.length === 0) return;
    // One JSON document, record key -> target -> hash: PostgreSQL reads it in one go, cheaper than
    // an array of documents or a row per value. A later value for the same target wins.
    const byRecord = new Map<string, Record<string, string>>();
    for (let index = 0; index < writes.length; index += 1) {
      // A backfill page hashes ten thousand values: let answers in flight through between slices.
      if (index > 0 && index % 1000 === 0) await yieldToEventLoop();
      const write = writes[index]!;
      let targets = byRecord.get(write.recordKey);
      if (!targets) byRecord.set(write.recordKey, (targets = {}));
      targets[write.target] = hashValue(write.value);
    }
    let document = '';
    for (const [recordKey, targets] of byRecord) {
      document += `${document ? ',' : '{'}${JSON.stringify(recordKey)}:${JSON.stringify(targets)}`;
    }
    await this.db.query(
      `INSERT INTO bridge.sync_ledger (direction, record_key, written, written_at, correlation_id)
       SELECT $1, key, value, now(), $3 FROM jsonb_each($2::jsonb)
       ON CONFLICT (direction, record_key) DO UPDATE SET
         written = sync_ledger.written || EXCLUDED.written,
         written_at = EXCLUDED.written_at,
         correlation_id = EXCLUDED.correlation_id`,
      [direction, `${document}}`, correlationId ?? null],
    );
  }

  /**
   * Splits incoming values into echoes (equal to what the bridge last wrote in `writtenDirection`)
   * and fresh changes, and counts the echoes on their ledger rows. `writtenDirection` is the
   * direction of the bridge's earlier write: for a change arriving from Salesforce, that is
   * `responsys_to_salesforce`.
   */
  async suppressEchoes(
    writtenDirection: SyncDirection,
    incoming: readonly LedgerValue[],
  ): Promise<EchoCheck> {
    if (incoming.length === 0) return { echoes: [], fresh: [] };
    const { rows } = await this.db.query<{ record_key: string; written: WrittenTargets }>(
      `SELECT record_key, written FROM bridge.sync_ledger
       WHERE direction = $1 AND record_key = ANY($2::text[])`,
      [writtenDirection, [...new Set(incoming.map((value) => value.recordKey))]],
    );
    const written = new Map(rows.map((row) => [row.record_key, row.written]));
    const echoes: LedgerValue[] = [];
    const fresh: LedgerValue[] = [];
    for (const value of incoming) {
      const last = written.get(value.recordKey)?.[value.target];
      (last === hashValue(value.value) ? echoes : fresh).push(value);
    }
    if (echoes.length > 0) {
      // Counted in the statement, from the row's current counts, so two checks at once both count.
      await this.db.query(
        `UPDATE bridge.sync_ledger l SET suppressed = l.suppressed || (
           SELECT jsonb_object_agg(t, jsonb_build_array(COALESCE((l.suppressed -> t ->> 0)::int, 0) + 1, $4::bigint))
           FROM unnest(x.targets) AS t)
         FROM (SELECT record_key, array_agg(DISTINCT target) AS targets
               FROM unnest($2::text[], $3::text[]) AS u(record_key, target) GROUP BY record_key) x
         WHERE l.direction = $1 AND l.record_key = x.record_key`,
        [
          writtenDirection,
          echoes.map((echo) => echo.recordKey),
          echoes.map((echo) => echo.target),
          Date.now(),
        ],
      );
    }
    return { echoes, fresh };
  }

  /** Every field or column the bridge wrote for these records, in both directions, latest first. */
  async forRecords(recordKeys: readonly string[]): Promise<LedgerEntry[]> {
    if (recordKeys.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT direction, record_key, written, written_at, correlation_id, suppressed FROM bridge.sync_ledger
       WHERE record_key = ANY($1::text[])`,
      [[...new Set(recordKeys)]],
    );
    const entries = rows.flatMap((row) =>
      Object.entries(row.written).map(([target, valueHash]): LedgerEntry => {
        const [suppressedCount, lastSuppressedAt] = row.suppressed[target] ?? [0, null];
        return {
          direction: row.direction,
          recordKey: row.record_key,
          target,
          valueHash,
          writtenAt: row.written_at,
          correlationId: row.correlation_id,
          suppressedCount,
          lastSuppressedAt: lastSuppressedAt === null ? null : new Date(lastSuppressedAt),
        };
      }),
    );
    return entries.sort(
      (a, b) => b.writtenAt.getTime() - a.writtenAt.getTime() || a.target.localeCompare(b.target),
    );
  }
}

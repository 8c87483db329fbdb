import { hash } from 'node:crypto';
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
  writtenAt: Date;
  correlationId: string | null;
  suppressedCount: number;
  lastSuppressedAt: Date | null;
}

interface Row {
  direction: SyncDirection;
  record_key: string;
  target: string;
  value_hash: string;
  written_at: Date;
  correlation_id: string | null;
  suppressed_count: number;
  last_suppressed_at: Date | null;
}

const toEntry = (row: Row): LedgerEntry => ({
  direction: row.direction,
  recordKey: row.record_key,
  target: row.target,
  valueHash: row.value_hash,
  writtenAt: row.written_at,
  correlationId: row.correlation_id,
  suppressedCount: row.suppressed_count,
  lastSuppressedAt: row.last_suppressed_at,
});

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

const key = (recordKey: string, target: string) => `${recordKey}\u0000${target}`;

export interface EchoCheck {
  echoes: LedgerValue[];
  fresh: LedgerValue[];
}

export class SyncLedger {
  constructor(private readonly db: Queryable) {}

  /** Remembers values the bridge has just written (call after the target accepted them). */
  async recordWrites(
    direction: SyncDirection,
    writes: readonly LedgerValue[],
    correlationId?: string,
  ): Promise<void> {
    const unique = new Map<string, LedgerValue>();
    for (const write of writes) unique.set(key(write.recordKey, write.target), write);
    if (unique.size === 0) return;
    // Three parallel arrays are far cheaper to send and read than a JSON document of rows (a backfill
    // writes hundreds of thousands of these).
    const recordKeys: string[] = [];
    const targets: string[] = [];
    const hashes: string[] = [];
    for (const write of unique.values()) {
      recordKeys.push(write.recordKey);
      targets.push(write.target);
      hashes.push(hashValue(write.value));
    }
    await this.db.query(
      `INSERT INTO bridge.sync_ledger (direction, record_key, target, value_hash, written_at, correlation_id)
       SELECT $1, record_key, target, value_hash, now(), $5
       FROM unnest($2::text[], $3::text[], $4::text[]) AS x(record_key, target, value_hash)
       ON CONFLICT (direction, record_key, target) DO UPDATE SET
         value_hash = EXCLUDED.value_hash, written_at = EXCLUDED.written_at, correlation_id = EXCLUDED.correlation_id`,
      [direction, recordKeys, targets, hashes, correlationId ?? null],
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
    const { rows } = await this.db.query<{ record_key: string; target: string; value_hash: string }>(
      `SELECT record_key, target, value_hash FROM bridge.sync_ledger
       WHERE direction = $1 AND record_key = ANY($2::text[])`,
      [writtenDirection, [...new Set(incoming.map((value) => value.recordKey))]],
    );
    const last = new Map(rows.map((row) => [key(row.record_key, row.target), row.value_hash]));
    const echoes: LedgerValue[] = [];
    const fresh: LedgerValue[] = [];
    for (const value of incoming) {
      (last.get(key(value.recordKey, value.target)) === hashValue(value.value) ? echoes : fresh).push(value);
    }
    if (echoes.length > 0) {
      await this.db.query(
        `UPDATE bridge.sync_ledger l SET suppressed_count = l.suppressed_count + 1, last_suppressed_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS x(record_key text, target text)
         WHERE l.direction = $1 AND l.record_key = x.record_key AND l.target = x.target`,
        [
          writtenDirection,
          JSON.stringify(echoes.map((echo) => ({ record_key: echo.recordKey, target: echo.target }))),
        ],
      );
    }
    return { echoes, fresh };
  }

  async forRecords(recordKeys: readonly string[]): Promise<LedgerEntry[]> {
    if (recordKeys.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.sync_ledger WHERE record_key = ANY($1::text[])
       ORDER BY written_at DESC, target`,
      [[...new Set(recordKeys)]],
    );
    return rows.map(toEntry);
  }
}

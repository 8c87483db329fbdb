import type { Queryable } from './database.js';

// Program eligibility memory: who entered which Responsys program when. A flow reserves an entry
// before it sends the custom event, then confirms it (the call succeeded) or releases it (the call
// failed). A reservation is refused while the recipient is within the route's cooldown, and a change
// that already produced an entry never produces a second one. Reservations are serialised per
// recipient and program with transaction-level advisory locks, so two processes cannot both enrol.

export interface EnrollmentCandidate {
  /** the recipient in Responsys terms: RIID when known, otherwise a stable key (e.g. `email:<hash>`) */
  recipientKey: string;
  /** the custom event / program name */
  program: string;
  cooldownDays: number;
  /** identifies the change that asks for the entry (e.g. `<recordId>:<correlationId>`) */
  changeKey: string;
  salesforceId?: string;
  riid?: string;
  correlationId?: string;
}

export type ReservationResult =
  | { status: 'reserved'; id: number; candidate: EnrollmentCandidate }
  | { status: 'cooldown'; lastEnteredAt: Date; candidate: EnrollmentCandidate }
  | { status: 'duplicate'; enteredAt: Date; candidate: EnrollmentCandidate };

export interface ProgramEnrollment {
  id: number;
  recipientKey: string;
  program: string;
  salesforceId: string | null;
  riid: string | null;
  changeKey: string;
  status: 'pending' | 'entered';
  enteredAt: Date;
  correlationId: string | null;
}

interface Row {
  id: number;
  recipient_key: string;
  program: string;
  salesforce_id: string | null;
  riid: string | null;
  change_key: string;
  status: 'pending' | 'entered';
  entered_at: Date;
  correlation_id: string | null;
}

const toEnrollment = (row: Row): ProgramEnrollment => ({
  id: row.id,
  recipientKey: row.recipient_key,
  program: row.program,
  salesforceId: row.salesforce_id,
  riid: row.riid,
  changeKey: row.change_key,
  status: row.status,
  enteredAt: row.entered_at,
  correlationId: row.correlation_id,
});

export interface TransactionRunner {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

export class ProgramEnrollments {
  constructor(
    private readonly db: Queryable,
    private readonly transactions: TransactionRunner,
  ) {}

  async reserve(candidates: readonly EnrollmentCandidate[]): Promise<ReservationResult[]> {
    if (candidates.length === 0) return [];
    // Lock keys in a fixed order so concurrent reservations never deadlock.
    const lockKeys = [...new Set(candidates.map((c) => `${c.recipientKey}\u001f${c.program}`))].sort();
    return this.transactions.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(k, 7)) FROM unnest($1::text[]) AS k', [
        lockKeys,
      ]);
      const results: ReservationResult[] = [];
      for (const candidate of candidates) {
        const { rows } = await tx.query<Row>(
          `SELECT * FROM bridge.program_enrollments
           WHERE recipient_key = $1 AND program = $2
             AND (change_key = $3 OR entered_at > now() - make_interval(days => $4))
           ORDER BY (change_key = $3) DESC, entered_at DESC LIMIT 1`,
          [candidate.recipientKey, candidate.program, candidate.changeKey, candidate.cooldownDays],
        );
        const existing = rows[0];
        if (existing?.change_key === candidate.changeKey) {
          // A pending reservation of the same change was left by a crash: resume it.
          results.push(
            existing.status === 'pending'
              ? { status: 'reserved', id: existing.id, candidate }
              : { status: 'duplicate', enteredAt: existing.entered_at, candidate },
          );
          continue;
        }
        if (existing) {
          results.push({ status: 'cooldown', lastEnteredAt: existing.entered_at, candidate });
          continue;
        }
        const inserted = await tx.query<{ id: number }>(
          `INSERT INTO bridge.program_enrollments
             (recipient_key, program, salesforce_id, riid, change_key, status, correlation_id)
           VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id`,
          [
            candidate.recipientKey,
            candidate.program,
            candidate.salesforceId ?? null,
            candidate.riid ?? null,
            candidate.changeKey,
            candidate.correlationId ?? null,
          ],
        );
        results.push({ status: 'reserved', id: inserted.rows[0]!.id, candidate });
      }
      return results;
    });
  }

  /** The custom event was accepted: the entries count from now. */
  async confirm(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `UPDATE bridge.program_enrollments SET status = 'entered', entered_at = now() WHERE id = ANY($1::bigint[])`,
      [[...ids]],
    );
  }

  /** The custom event failed: forget the reservations so a retry can enrol. */
  async release(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      `DELETE FROM bridge.program_enrollments WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
      [[...ids]],
    );
  }

  async forRecipients(recipientKeys: readonly string[], limit = 50): Promise<ProgramEnrollment[]> {
    if (recipientKeys.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.program_enrollments
       WHERE recipient_key = ANY($1::text[]) OR riid = ANY($1::text[]) OR salesforce_id = ANY($1::text[])
       ORDER BY entered_at DESC LIMIT $2`,
      [[...new Set(recipientKeys)], limit],
    );
    return rows.map(toEnrollment);
  }
}

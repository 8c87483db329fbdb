import type { Queryable } from './database.js';

// Leases: a named lock held by one process at a time, kept alive by renewals and taken over by
// another process once it expires (its holder died or lost the database). Times come from the
// database clock, so process clocks that disagree cannot produce two holders.

export interface Lease {
  name: string;
  holder: string;
  acquiredAt: Date;
  renewedAt: Date;
  expiresAt: Date;
}

interface Row {
  name: string;
  holder: string;
  acquired_at: Date;
  renewed_at: Date;
  expires_at: Date;
}

const toLease = (row: Row): Lease => ({
  name: row.name,
  holder: row.holder,
  acquiredAt: row.acquired_at,
  renewedAt: row.renewed_at,
  expiresAt: row.expires_at,
});

export class Leases {
  constructor(private readonly db: Queryable) {}

  /** Takes the lease if it is free, expired, or already ours (then it is renewed). */
  async tryAcquire(name: string, holder: string, ttlSeconds: number): Promise<Lease | undefined> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO bridge.leases (name, holder, acquired_at, renewed_at, expires_at)
       VALUES ($1, $2, clock_timestamp(), clock_timestamp(), clock_timestamp() + make_interval(secs => $3))
       ON CONFLICT (name) DO UPDATE SET
         holder = EXCLUDED.holder,
         acquired_at = CASE WHEN bridge.leases.holder = EXCLUDED.holder
                            THEN bridge.leases.acquired_at ELSE EXCLUDED.acquired_at END,
         renewed_at = EXCLUDED.renewed_at,
         expires_at = EXCLUDED.expires_at
       WHERE bridge.leases.holder = EXCLUDED.holder OR bridge.leases.expires_at < clock_timestamp()
       RETURNING *`,
      [name, holder, ttlSeconds],
    );
    return rows[0] && toLease(rows[0]);
  }

  /** Extends our lease; false when it is no longer ours (expired and taken over). */
  async renew(name: string, holder: string, ttlSeconds: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE bridge.leases SET renewed_at = clock_timestamp(),
         expires_at = clock_timestamp() + make_interval(secs => $3)
       WHERE name = $1 AND holder = $2 AND expires_at >= clock_timestamp()`,
      [name, holder, ttlSeconds],
    );
    return rowCount === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.query('DELETE FROM bridge.leases WHERE name = $1 AND holder = $2', [name, holder]);
  }

  /** The current, unexpired holder. */
  async current(name: string): Promise<Lease | undefined> {
    const { rows } = await this.db.query<Row>(
      'SELECT * FROM bridge.leases WHERE name = $1 AND expires_at >= clock_timestamp()',
      [name],
    );
    return rows[0] && toLease(rows[0]);
  }

  async list(): Promise<Lease[]> {
    const { rows } = await this.db.query<Row>(
      'SELECT * FROM bridge.leases WHERE expires_at >= clock_timestamp() ORDER BY name',
    );
    return rows.map(toLease);
  }
}

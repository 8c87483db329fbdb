import type { Queryable } from './database.js';

// Named positions of scheduled work, e.g. the SystemModstamp a reconciliation has covered, so the
// next run starts where the last one stopped.

export class Watermarks {
  constructor(private readonly db: Queryable) {}

  async get(name: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ value: string }>(
      'SELECT value FROM bridge.watermarks WHERE name = $1',
      [name],
    );
    return rows[0]?.value;
  }

  async set(name: string, value: string): Promise<void> {
    await this.db.query(
      `INSERT INTO bridge.watermarks (name, value, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [name, value],
    );
  }

  async list(): Promise<Array<{ name: string; value: string; updatedAt: Date }>> {
    const { rows } = await this.db.query<{ name: string; value: string; updated_at: Date }>(
      'SELECT name, value, updated_at FROM bridge.watermarks ORDER BY name',
    );
    return rows.map((row) => ({ name: row.name, value: row.value, updatedAt: row.updated_at }));
  }
}

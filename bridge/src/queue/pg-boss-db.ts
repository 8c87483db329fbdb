import type { Queryable } from '../store/database.js';

// pg-boss talks to PostgreSQL through this adapter (its `db` option) on both backends, so the queue
// uses the bridge's own connections: the embedded PGlite (one serialised connection) or the server
// pool. Passing the adapter of a transaction lets job completions commit atomically with the sync log
// and dead letters.

export interface PgBossDb {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number }>;
}

export function pgBossDb(queryable: Queryable): PgBossDb {
  return {
    executeSql: (text, values) => queryable.query(text, values),
  };
}

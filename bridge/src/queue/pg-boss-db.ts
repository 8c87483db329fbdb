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

/** The connection pg-boss keeps for its own statements, which knows which of them are still running. */
export interface PgBossConnection extends PgBossDb {
  readonly busy: boolean;
  /** resolves once every statement pg-boss started has ended */
  idle(): Promise<void>;
}

// pg-boss completes or fails a worker's jobs without awaiting the statement, so its own stop() can
// return while one is still running: the queue waits for them before the store is closed.
export function pgBossConnection(queryable: Queryable): PgBossConnection {
  const running = new Set<Promise<unknown>>();
  return {
    executeSql(text, values) {
      const statement = queryable.query(text, values);
      running.add(statement);
      const ended = () => running.delete(statement);
      statement.then(ended, ended);
      return statement;
    },
    get busy() {
      return running.size > 0;
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}

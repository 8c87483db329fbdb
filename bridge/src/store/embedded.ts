import { PGlite, type Transaction } from '@electric-sql/pglite';
import { BridgeError } from '../shared/errors.js';
import type { Database, Queryable, QueryResult, Row } from './database.js';
import { DataDirLock } from './data-dir-lock.js';

// The embedded backend: PostgreSQL compiled to WebAssembly (PGlite), stored in BRIDGE_DATA_DIR. It is
// a single connection; PGlite itself serialises queries, exec calls and transactions, so callers may
// issue them concurrently. It keeps the process alive until close().

const INT8 = 20;
const parsers = { [INT8]: (value: string) => Number(value) };

interface PgliteResult<T> {
  rows: T[];
  affectedRows?: number;
}

interface PgliteQueryable {
  query<T>(sql: string, params?: unknown[]): Promise<PgliteResult<T>>;
  exec(sql: string): Promise<Array<PgliteResult<unknown>>>;
}

// A statement text that opens its own transaction (pg-boss sends BEGIN; ...; COMMIT in one string)
// leaves the single connection in an aborted transaction when a statement fails: roll it back.
const opensTransaction = /\bBEGIN\b/i;

function adapt(target: PgliteQueryable, topLevel: boolean): Queryable {
  return {
    async query<T = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      if (params && params.length > 0) {
        const result = await target.query<T>(sql, [...params]);
        return { rows: result.rows, rowCount: result.rows.length || (result.affectedRows ?? 0) };
      }
      // Without parameters, the simple protocol: several statements allowed, the last one answers.
      try {
        const results = await target.exec(sql);
        const last = results[results.length - 1] as PgliteResult<T> | undefined;
        return { rows: last?.rows ?? [], rowCount: last ? last.rows.length || (last.affectedRows ?? 0) : 0 };
      } catch (error) {
        if (topLevel && opensTransaction.test(sql)) await target.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await target.exec(sql);
      } catch (error) {
        if (topLevel && opensTransaction.test(sql)) await target.exec('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
  };
}

export interface EmbeddedDatabaseOptions {
  /** directory of the data files; `memory://` for a throw-away in-memory database */
  dataDir: string;
  instanceId: string;
}

export class EmbeddedDatabase implements Database {
  readonly backend = 'embedded' as const;
  readonly location: string;
  private readonly queryable: Queryable;
  private closed = false;

  private constructor(
    private readonly pglite: PGlite,
    readonly lock: DataDirLock | undefined,
    location: string,
  ) {
    this.location = location;
    this.queryable = adapt(pglite as unknown as PgliteQueryable, true);
  }

  static async open(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
    const inMemory = options.dataDir.startsWith('memory://');
    const lock = inMemory ? undefined : DataDirLock.acquire(options.dataDir, options.instanceId);
    try {
      const pglite = await PGlite.create({ dataDir: inMemory ? undefined : options.dataDir, parsers });
      return new EmbeddedDatabase(
        pglite,
        lock,
        inMemory ? 'embedded (in memory)' : `embedded (${options.dataDir})`,
      );
    } catch (error) {
      lock?.release();
      throw new BridgeError('STORE_UNAVAILABLE', `Could not open the embedded store in ${options.dataDir}`, {
        cause: error,
      });
    }
  }

  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    return this.queryable.query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.queryable.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pglite.transaction((tx: Transaction) => fn(adapt(tx as unknown as PgliteQueryable, false)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pglite.close();
    } finally {
      this.lock?.release();
    }
  }
}

import pg from 'pg';
import { BridgeError } from '../shared/errors.js';
import { redactUrl } from '../shared/redaction.js';
import type { Database, Queryable, QueryResult, Row } from './database.js';

// The server backend: a pool of connections to PostgreSQL (DATABASE_URL). Several bridge processes
// may share the database; the queue and the leadership lock coordinate them.

const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

type PgResult = pg.QueryResult | pg.QueryResult[];

function lastResult<T>(result: PgResult): QueryResult<T> {
  // Several statements in one text (simple protocol) answer with one result each: the last one counts.
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  if (!last) return { rows: [], rowCount: 0 };
  return { rows: (last.rows ?? []) as T[], rowCount: last.rows?.length || (last.rowCount ?? 0) };
}

// A statement text that opens its own transaction (pg-boss sends BEGIN; ...; COMMIT in one string)
// must run on one connection that is rolled back if a statement fails, before it returns to the pool.
const opensTransaction = /\bBEGIN\b/i;

function adapt(target: pg.Pool | pg.PoolClient, pool?: pg.Pool): Queryable {
  async function run<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    if ((!params || params.length === 0) && pool && opensTransaction.test(sql)) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return lastResult<T>((await client.query(sql)) as unknown as PgResult);
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        client.release(broken);
      }
    }
    const result = (await target.query(
      sql,
      params && params.length > 0 ? [...params] : undefined,
    )) as unknown;
    return lastResult<T>(result as PgResult);
  }
  return {
    query: run,
    async exec(sql: string): Promise<void> {
      await run(sql);
    },
  };
}

export interface ServerDatabaseOptions {
  url: string;
  poolSize: number;
  applicationName?: string;
}

export class ServerDatabase implements Database {
  readonly backend = 'server' as const;
  readonly location: string;
  private readonly queryable: Queryable;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    location: string,
  ) {
    this.location = location;
    this.queryable = adapt(pool, pool);
  }

  static async open(options: ServerDatabaseOptions): Promise<ServerDatabase> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      application_name: options.applicationName ?? 'responsys-bridge',
      types,
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const location = `server (${redactUrl(options.url)})`;
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new BridgeError(
        'STORE_UNAVAILABLE',
        `Could not connect to PostgreSQL at ${redactUrl(options.url)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new ServerDatabase(pool, location);
  }

  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    return this.queryable.query<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.queryable.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(adapt(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is discarded rather than returned to the pool.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

// One small interface over both PostgreSQL backends (embedded PGlite and a server through `pg`), so
// repositories, migrations and the job queue are written once. SQL is plain PostgreSQL; parameters
// are $1..$n. Values come back the same way on both backends: int8 as a JS number, numeric as a
// string, json/jsonb parsed, timestamptz as Date. Pass JSON parameters as JSON.stringify()'d strings.

export type Row = Record<string, unknown>;

export interface QueryResult<T = Row> {
  rows: T[];
  /** rows returned, or rows touched by INSERT/UPDATE/DELETE */
  rowCount: number;
}

export interface Queryable {
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** Several statements separated by semicolons, without parameters (DDL, migrations). */
  exec(sql: string): Promise<void>;
}

export type StoreBackend = 'embedded' | 'server';

export interface Database extends Queryable {
  readonly backend: StoreBackend;
  /** Where the data lives, safe to log (no password). */
  readonly location: string;
  /**
   * Runs `fn` in a transaction on one connection: committed when it resolves, rolled back when it
   * throws. Inside, use only `tx` (on the embedded backend the outer handle waits for the transaction).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './postgres.js';

describe('test PostgreSQL server', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => db?.drop());

  it('gives each suite its own empty database on a real server', async () => {
    db = await createTestDatabase('selftest');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ tables: string }>(
      "select count(*)::text as tables from information_schema.tables where table_schema = 'public'",
    );
    const version = await client.query<{ server_version_num: string }>('show server_version_num');
    await client.end();
    expect(rows[0]?.tables).toBe('0');
    expect(Number(version.rows[0]?.server_version_num)).toBeGreaterThanOrEqual(140000);
  });
});

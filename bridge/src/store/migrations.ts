import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { BridgeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Database } from './database.js';

// Versioned, forward-only SQL migrations applied at start. All pending migrations run in one
// transaction under a transaction-level advisory lock, so two processes starting at once apply them
// exactly once (the second waits, then finds nothing to do). An applied migration whose text changed,
// or an applied migration this version does not know, stops the start with a clear message.

export interface Migration {
  /** unique and ordered: core ones are `0001_core`, module ones `<module>/<id>` */
  id: string;
  sql: string;
}

const MIGRATION_LOCK_KEY = 'responsys-bridge.migrations';

export function coreMigrations(): Migration[] {
  const folder = new URL('./migrations/', import.meta.url);
  return readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => ({ id: name.replace(/\.sql$/, ''), sql: readFileSync(new URL(name, folder), 'utf8') }));
}

function checksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n').trim()).digest('hex');
}

export interface MigrationResult {
  applied: string[];
}

export async function runMigrations(
  db: Database,
  migrations: Migration[],
  logger?: Logger,
): Promise<MigrationResult> {
  const ids = new Set<string>();
  for (const migration of migrations) {
    if (ids.has(migration.id))
      throw new BridgeError('MIGRATION_FAILED', `Duplicate migration id ${migration.id}`);
    ids.add(migration.id);
  }
  try {
    return await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [MIGRATION_LOCK_KEY]);
      await tx.exec(`
        CREATE SCHEMA IF NOT EXISTS bridge;
        CREATE TABLE IF NOT EXISTS bridge.schema_migrations (
          id text PRIMARY KEY,
          checksum text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        );
      `);
      const { rows } = await tx.query<{ id: string; checksum: string }>(
        'SELECT id, checksum FROM bridge.schema_migrations',
      );
      const applied = new Map(rows.map((row) => [row.id, row.checksum]));
      // Module migrations are namespaced (`module/id`); a removed module leaves its tables behind harmlessly.
      const unknown = [...applied.keys()].filter((id) => !ids.has(id) && !id.includes('/'));
      if (unknown.length > 0) {
        throw new BridgeError(
          'MIGRATION_FAILED',
          `The database was migrated by a newer bridge version (unknown migrations: ${unknown.join(', ')}). ` +
            'Run the newer version, or restore a backup taken before the upgrade.',
        );
      }
      const done: string[] = [];
      for (const migration of migrations) {
        const sum = checksum(migration.sql);
        const existing = applied.get(migration.id);
        if (existing !== undefined) {
          if (existing !== sum) {
            throw new BridgeError(
              'MIGRATION_FAILED',
              `Migration ${migration.id} was changed after it was applied. Migrations are forward-only: ` +
                'restore its original text and add a new migration instead.',
            );
          }
          continue;
        }
        try {
          await tx.exec(migration.sql);
        } catch (error) {
          throw new BridgeError(
            'MIGRATION_FAILED',
            `Migration ${migration.id} failed: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        await tx.query('INSERT INTO bridge.schema_migrations (id, checksum) VALUES ($1, $2)', [
          migration.id,
          sum,
        ]);
        done.push(migration.id);
        logger?.info({ migration: migration.id }, 'applied store migration');
      }
      return { applied: done };
    });
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError('MIGRATION_FAILED', `Store migrations failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

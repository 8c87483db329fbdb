import type { Logger } from '../shared/logger.js';
import type { Database, Queryable } from './database.js';
import { DeadLetters } from './dead-letters.js';
import { EmbeddedDatabase } from './embedded.js';
import { IdentityLinks } from './identity-links.js';
import { InboundFiles } from './inbound-files.js';
import { Instances } from './instances.js';
import { Leases } from './leases.js';
import { coreMigrations, runMigrations, type Migration } from './migrations.js';
import { ProgramEnrollments } from './program-enrollments.js';
import { ReplayCursors } from './replay-cursors.js';
import { ServerDatabase } from './server.js';
import { SyncLedger } from './sync-ledger.js';
import { SyncLog } from './sync-log.js';
import { Watermarks } from './watermarks.js';

// The bridge's store: one PostgreSQL database (embedded or a server) with its repositories. Open it
// with openStore(); it applies pending migrations before returning.

export interface Repositories {
  replayCursors: ReplayCursors;
  identityLinks: IdentityLinks;
  syncLedger: SyncLedger;
  enrollments: ProgramEnrollments;
  syncLog: SyncLog;
  inboundFiles: InboundFiles;
  deadLetters: DeadLetters;
  leases: Leases;
  watermarks: Watermarks;
  instances: Instances;
}

export interface Store extends Repositories {
  readonly db: Database;
  /** Runs `fn` in one transaction with repositories bound to it. */
  transaction<T>(fn: (repositories: Repositories, tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function repositories(
  db: Queryable,
  transactions: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  instanceId: string,
): Repositories {
  return {
    replayCursors: new ReplayCursors(db, instanceId),
    identityLinks: new IdentityLinks(db),
    syncLedger: new SyncLedger(db),
    enrollments: new ProgramEnrollments(db, transactions),
    syncLog: new SyncLog(db),
    inboundFiles: new InboundFiles(db),
    deadLetters: new DeadLetters(db),
    leases: new Leases(db),
    watermarks: new Watermarks(db),
    instances: new Instances(db),
  };
}

export function createStore(db: Database, instanceId: string): Store {
  return {
    db,
    ...repositories(db, db, instanceId),
    transaction: (fn) =>
      db.transaction((tx) => fn(repositories(tx, { transaction: (inner) => inner(tx) }, instanceId), tx)),
    close: () => db.close(),
  };
}

export interface StoreOptions {
  /** a PostgreSQL server; when unset, the embedded store in dataDir */
  databaseUrl?: string;
  /** embedded store directory, or `memory://` for a throw-away one */
  dataDir: string;
  poolSize?: number;
  instanceId: string;
  /** migrations contributed by bridge modules, applied after the core ones */
  extraMigrations?: Migration[];
  logger?: Logger;
}

export async function openDatabase(options: StoreOptions): Promise<Database> {
  return options.databaseUrl
    ? ServerDatabase.open({ url: options.databaseUrl, poolSize: options.poolSize ?? 10 })
    : EmbeddedDatabase.open({ dataDir: options.dataDir, instanceId: options.instanceId });
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const db = await openDatabase(options);
  try {
    await runMigrations(db, [...coreMigrations(), ...(options.extraMigrations ?? [])], options.logger);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return createStore(db, options.instanceId);
}

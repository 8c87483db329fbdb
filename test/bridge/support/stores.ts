import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openStore, type Store } from '../../../bridge/src/store/store.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

// The two store backends the bridge supports, opened the way the bridge opens them, for suites that
// must pass on both.

// Creating an empty PGlite cluster (initdb in WebAssembly) takes several seconds; copying a freshly
// initialised one takes a fraction of that. The template is an untouched initdb result, so every
// test still runs the bridge's own migrations.
const template = join(tmpdir(), 'responsys-bridge-pglite-template-0.5.16');

async function ensureTemplate(): Promise<void> {
  if (existsSync(join(template, 'PG_VERSION'))) return;
  const staging = mkdtempSync(`${template}-staging-`);
  const pglite = await PGlite.create(staging);
  await pglite.close();
  try {
    renameSync(staging, template);
  } catch {
    // another test file finished first; its template is as good
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A new, empty embedded-store directory. */
export async function freshEmbeddedDataDir(): Promise<string> {
  await ensureTemplate();
  const dataDir = mkdtempSync(join(tmpdir(), 'bridge-store-'));
  cpSync(template, dataDir, { recursive: true });
  return dataDir;
}

export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
  databaseUrl?: string;
  dataDir?: string;
}

export interface StoreBackendFixture {
  name: string;
  open(): Promise<OpenedStore>;
}

export const embeddedBackend: StoreBackendFixture = {
  name: 'embedded PGlite',
  async open() {
    const dataDir = await freshEmbeddedDataDir();
    const store = await openStore({ dataDir, instanceId: 'test-embedded' });
    return {
      store,
      dataDir,
      async cleanup() {
        await store.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const serverBackend: StoreBackendFixture = {
  name: 'PostgreSQL server',
  async open() {
    const database: TestDatabase = await createTestDatabase('bridge');
    const store = await openStore({
      databaseUrl: database.url,
      dataDir: 'unused',
      instanceId: 'test-server',
    });
    return {
      store,
      databaseUrl: database.url,
      async cleanup() {
        await store.close();
        await database.drop();
      },
    };
  },
};

export const storeBackends: StoreBackendFixture[] = [embeddedBackend, serverBackend];

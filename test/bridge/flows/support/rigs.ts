import { PersonSync } from '../../../../bridge/src/flows/person-sync/person-sync.js';
import { IdentityService } from '../../../../bridge/src/identity/identity-service.js';
import { MappingEngine } from '../../../../bridge/src/mapping/engine.js';
import { moduleMigrations, type BridgeModule } from '../../../../bridge/src/module.js';
import { ResponsysClient } from '../../../../bridge/src/responsys/client.js';
import { SalesforceClient } from '../../../../bridge/src/salesforce/client.js';
import { SalesforceFieldMapSource } from '../../../../bridge/src/salesforce/field-maps.js';
import { systemClock } from '../../../../bridge/src/shared/clock.js';
import { silentLogger } from '../../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../../bridge/src/shared/metrics.js';
import { openStore, type Store } from '../../../../bridge/src/store/store.js';
import {
  startResponsysEmulator,
  type ResponsysEmulator,
  type ResponsysEmulatorOptions,
} from '../../../emulators/responsys/index.js';
import {
  JWT_PRIVATE_KEY_FILE,
  startSalesforceEmulator,
  type SalesforceEmulator,
  type SalesforceEmulatorOptions,
} from '../../../emulators/salesforce/index.js';
import { createTestDatabase } from '../../../support/postgres.js';

// Real parts for the flow suites: a store on a fresh PostgreSQL database, the Responsys emulator with
// the bridge's own client pointed at it.

export interface StoreRig {
  store: Store;
  close(): Promise<void>;
}

/** A store on a fresh database, with the migrations of the given modules applied as the bridge applies them. */
export async function openTestStore(modules: BridgeModule[] = []): Promise<StoreRig> {
  const database = await createTestDatabase('flows');
  const store = await openStore({
    databaseUrl: database.url,
    dataDir: 'unused',
    instanceId: 'flows-test',
    extraMigrations: moduleMigrations(modules),
  });
  return {
    store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}

export interface ResponsysRig {
  emulator: ResponsysEmulator;
  client: ResponsysClient;
  metrics: BridgeMetrics;
  close(): Promise<void>;
}

export async function startResponsysRig(options: ResponsysEmulatorOptions = {}): Promise<ResponsysRig> {
  const emulator = await startResponsysEmulator({ sftp: false, ...options });
  const metrics = new BridgeMetrics();
  const client = new ResponsysClient({
    loginUrl: emulator.url,
    username: emulator.username,
    password: emulator.password,
    profileList: emulator.profileList.name,
    profileListFolder: emulator.profileList.folderName,
    logger: silentLogger(),
    metrics,
    backoff: { baseMs: 10, maxMs: 50 },
  });
  return {
    emulator,
    client,
    metrics,
    async close() {
      client.close();
      await emulator.close();
    },
  };
}

export interface SalesforceRig {
  emulator: SalesforceEmulator;
  client: SalesforceClient;
  metrics: BridgeMetrics;
  close(): Promise<void>;
}

/** The Salesforce emulator with the bridge's client logged in as the integration user (JWT bearer). */
export async function startSalesforceRig(options: SalesforceEmulatorOptions = {}): Promise<SalesforceRig> {
  const emulator = await startSalesforceEmulator({ seed: 7, ...options });
  const metrics = new BridgeMetrics();
  const client = new SalesforceClient({
    settings: {
      loginUrl: emulator.url,
      auth: 'jwt',
      clientId: emulator.credentials.clientId,
      clientSecret: emulator.credentials.clientSecret,
      username: 'bridge@example.com',
      password: 'password',
      privateKeyFile: JWT_PRIVATE_KEY_FILE,
      apiVersion: '62.0',
      bulkThreshold: 2000,
      apiReservePercent: 10,
      streamStallSeconds: 180,
      reconcileSchedule: undefined,
    },
    logger: silentLogger(),
    metrics,
    bulk: { pollIntervalMs: 20, maxPollIntervalMs: 100, timeoutMs: 20_000 },
    lockRetry: { attempts: 3, baseDelayMs: 10 },
  });
  return {
    emulator,
    client,
    metrics,
    async close() {
      await emulator.close();
    },
  };
}

export interface PersonSyncRig {
  salesforce: SalesforceRig;
  responsys: ResponsysRig;
  stores: StoreRig;
  mapping: MappingEngine;
  identity: IdentityService;
  metrics: BridgeMetrics;
  personSync: PersonSync;
  close(): Promise<void>;
}

/** Both emulators, a store, and the real mapping engine and identity service the person sync uses. */
export async function startPersonSyncRig(
  options: { salesforce?: SalesforceEmulatorOptions; responsys?: ResponsysEmulatorOptions } = {},
): Promise<PersonSyncRig> {
  const [salesforce, responsys, stores] = await Promise.all([
    startSalesforceRig(options.salesforce),
    startResponsysRig(options.responsys),
    openTestStore(),
  ]);
  const mapping = new MappingEngine({
    salesforce: new SalesforceFieldMapSource(salesforce.client),
    responsys: responsys.client,
    logger: silentLogger(),
    listName: responsys.emulator.profileList.name,
  });
  const identity = new IdentityService({
    salesforce: salesforce.client,
    responsys: responsys.client,
    links: stores.store.identityLinks,
    logger: silentLogger(),
  });
  const metrics = new BridgeMetrics();
  return {
    salesforce,
    responsys,
    stores,
    mapping,
    identity,
    metrics,
    personSync: new PersonSync({
      salesforce: salesforce.client,
      responsys: responsys.client,
      mapping,
      identity,
      ledger: stores.store.syncLedger,
      metrics,
      clock: systemClock,
      logger: silentLogger(),
    }),
    async close() {
      await Promise.all([salesforce.close(), responsys.close(), stores.close()]);
    },
  };
}

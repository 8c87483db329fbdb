import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startBridge, type RunningBridge } from '../../bridge/src/app.js';
import { loadConfig } from '../../bridge/src/config/load.js';
import { profileSyncModule } from '../../bridge/src/flows/profile-sync/module.js';
import { identityModule } from '../../bridge/src/identity/module.js';
import { mappingModule } from '../../bridge/src/mapping/module.js';
import type { BridgeModule } from '../../bridge/src/module.js';
import { responsysModule } from '../../bridge/src/responsys/module.js';
import { createSalesforceModule } from '../../bridge/src/salesforce/module.js';
import { createLogger } from '../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../bridge/src/shared/metrics.js';
import { startResponsysEmulator, type ResponsysEmulator } from '../emulators/responsys/index.js';
import { followProcess, killIfRunning, type FollowedProcess } from '../support/followed-process.js';
import {
  JWT_PRIVATE_KEY_FILE,
  startSalesforceEmulator,
  type SalesforceEmulator,
} from '../emulators/salesforce/index.js';

// End-to-end proof rig: both emulators in this process, and the bridge either in this process or as
// real child processes (`responsys-bridge start`, exactly what operators run), configured in live
// mode against the emulators with the production login flow (JWT bearer).

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
export const CHANNEL = '/event/Responsys_Sync__e';

export interface Emulators {
  salesforce: SalesforceEmulator;
  responsys: ResponsysEmulator;
  close(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const salesforce = await startSalesforceEmulator({ seed: 21, streaming: { longPollTimeoutMs: 1000 } });
  const responsys = await startResponsysEmulator({ sftp: false });
  return {
    salesforce,
    responsys,
    async close() {
      await Promise.allSettled([responsys.close(), salesforce.close()]);
    },
  };
}

/** The environment of a live-mode bridge on the emulators (quick polling, short leases). */
export function bridgeEnv(emulators: Emulators, databaseUrl: string, extra: Record<string, string> = {}) {
  return {
    SALESFORCE_LOGIN_URL: emulators.salesforce.url,
    SALESFORCE_AUTH: 'jwt',
    SALESFORCE_CLIENT_ID: emulators.salesforce.credentials.clientId,
    SALESFORCE_USERNAME: 'bridge@example.com',
    SALESFORCE_PRIVATE_KEY_FILE: JWT_PRIVATE_KEY_FILE,
    RESPONSYS_LOGIN_URL: emulators.responsys.url,
    RESPONSYS_USERNAME: emulators.responsys.username,
    RESPONSYS_PASSWORD: emulators.responsys.password,
    RESPONSYS_PROFILE_LIST: emulators.responsys.profileList.name,
    RESPONSYS_PROFILE_LIST_FOLDER: emulators.responsys.profileList.folderName,
    DATABASE_URL: databaseUrl,
    BRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
    BRIDGE_HOST: '127.0.0.1',
    BRIDGE_PORT: '0',
    BRIDGE_QUEUE_POLL_INTERVAL_MS: '500',
    BRIDGE_QUEUE_RETRY_BASE_SECONDS: '1',
    BRIDGE_QUEUE_RETRY_MAX_SECONDS: '2',
    BRIDGE_LEADER_LEASE_SECONDS: '3',
    BRIDGE_SHUTDOWN_TIMEOUT_SECONDS: '5',
    BRIDGE_PROCESS_METRICS: 'false',
    SALESFORCE_RECONCILE_SCHEDULE: 'off',
    ...extra,
  };
}

/** The Salesforce connector with the emulator's quick Bulk API polling and short back-offs. */
export function quickSalesforceModule(): BridgeModule {
  return createSalesforceModule({
    client: { bulk: { pollIntervalMs: 50, maxPollIntervalMs: 200 }, lockRetry: { baseDelayMs: 20 } },
    rebuildBackoff: { baseMs: 200, maxMs: 1000 },
  });
}

/** The modules the profile-sync proof needs (an explicit list: other flows are proven elsewhere). */
export function proofModules(): BridgeModule[] {
  return [quickSalesforceModule(), responsysModule, identityModule, mappingModule, profileSyncModule];
}

export interface InProcessBridge {
  bridge: RunningBridge;
  lines: Array<Record<string, unknown>>;
  metrics: BridgeMetrics;
  stop(): Promise<void>;
}

/** A bridge in this process (its log lines kept), with the proof modules unless others are named. */
export async function startInProcessBridge(
  env: Record<string, string>,
  modules: BridgeModule[] = proofModules(),
): Promise<InProcessBridge> {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  const config = loadConfig({
    env: { BRIDGE_LOG_LEVEL: 'info', ...env },
    envFile: false,
    cwd: process.cwd(),
  });
  const metrics = new BridgeMetrics();
  const bridge = await startBridge(config, {
    modules,
    logger: createLogger({ level: 'info', destination }),
    metrics,
    queue: { maintenanceIntervalSeconds: 1 },
  });
  return { bridge, lines, metrics, stop: () => bridge.stop() };
}

const cli = fileURLToPath(new URL('../../bridge/src/cli/main.ts', import.meta.url));
// Resolved here, so a child started in another directory (a fresh working directory) still finds it.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export type BridgeProcess = FollowedProcess;
export { killIfRunning };

export function spawnCli(args: string[], env: Record<string, string>, cwd = process.cwd()): BridgeProcess {
  const child = spawn(process.execPath, ['--import', tsxLoader, cli, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return followProcess(child);
}

type Falsy = false | 0 | '' | null | undefined;

export async function eventually<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, Falsy>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A rep enters Leads in one save (the trigger model publishes one CREATE per Lead after commit). */
export function repCreatesLeads(emulators: Emulators, count: number, prefix: string): string[] {
  return emulators.salesforce.insert(
    'Lead',
    Array.from({ length: count }, (_, i) => ({
      FirstName: `First${i}`,
      LastName: `${prefix}${i}`,
      Company: 'Proof Co',
      Email: `${prefix}${i}@proof.example`,
      LeadSource: 'Web',
      Title: 'Buyer',
    })),
    { asUser: 'rep@example.com' },
  );
}

/** Responsys recipients whose CUSTOMER_ID_ is one of these ids, by id. */
export function recipientsByCustomerId(
  emulators: Emulators,
  ids: readonly string[],
): Map<string, Array<Record<string, string | null>>> {
  const wanted = new Set(ids);
  const members =
    emulators.responsys.control.state(['lists']).lists?.[emulators.responsys.profileList.name]?.members ?? [];
  const byId = new Map<string, Array<Record<string, string | null>>>();
  for (const member of members) {
    const id = member.CUSTOMER_ID_;
    if (id && wanted.has(id)) byId.set(id, [...(byId.get(id) ?? []), member]);
  }
  return byId;
}

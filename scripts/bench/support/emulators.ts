import { fileURLToPath } from 'node:url';
import type { HostOptions, HostUrls } from './emulator-host.js';
import { startRpcChild, type RpcChild } from './rpc.js';

// The benchmark's handle on the emulator process (see emulator-host.ts), and the environment of a
// bridge process pointed at it in live mode (JWT bearer login, as in production).

export interface EmulatorHost {
  urls: HostUrls;
  child: RpcChild;
  call<T>(method: string, params?: unknown): Promise<T>;
  close(): Promise<void>;
}

export async function startEmulatorHost(options: HostOptions): Promise<EmulatorHost> {
  const child = await startRpcChild(fileURLToPath(new URL('./emulator-host.ts', import.meta.url)), {
    // The emulators hold large data sets (1,000,000 Contacts and recipients in the full run).
    execArgv: ['--max-old-space-size=8192'],
  });
  const urls = await child.call<HostUrls>('start', options);
  return { urls, child, call: (method, params) => child.call(method, params), close: () => child.close() };
}

/** Responsys calls the bridge keeps in flight (its default), and the floor with it. */
export const RESPONSYS_CONCURRENCY = 4;

/** The old-generation heap limit of the bridge processes the benchmark starts. */
export const BRIDGE_HEAP_MB = 192;

/** A live-mode bridge on the emulators: Responsys through the recording proxy, quiet schedules. */
export function bridgeEnvironment(
  urls: HostUrls,
  databaseUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SALESFORCE_LOGIN_URL: urls.salesforceUrl,
    SALESFORCE_AUTH: 'jwt',
    SALESFORCE_CLIENT_ID: urls.clientId,
    SALESFORCE_USERNAME: 'bridge@example.com',
    SALESFORCE_PRIVATE_KEY_FILE: urls.privateKeyFile,
    RESPONSYS_LOGIN_URL: urls.responsysProxyUrl,
    RESPONSYS_USERNAME: urls.responsysUsername,
    RESPONSYS_PASSWORD: urls.responsysPassword,
    RESPONSYS_PROFILE_LIST: urls.profileList,
    RESPONSYS_PROFILE_LIST_FOLDER: urls.profileListFolder,
    DATABASE_URL: databaseUrl,
    BRIDGE_ADMIN_TOKEN: 'bench-admin-token-0123456789',
    BRIDGE_HOST: '127.0.0.1',
    BRIDGE_PORT: '0',
    BRIDGE_LOG_LEVEL: 'warn',
    BRIDGE_PROCESS_METRICS: 'false',
    BRIDGE_INSTANCE_ID: 'bench-bridge',
    SALESFORCE_RECONCILE_SCHEDULE: 'off',
    BRIDGE_CAMPAIGN_SEGMENT_SCHEDULE: 'off',
    BRIDGE_OPT_OUT_RECONCILE_SCHEDULE: 'off',
    BRIDGE_ENGAGEMENT_PURGE_SCHEDULE: 'off',
    RESPONSYS_CONCURRENCY: String(RESPONSYS_CONCURRENCY),
    // The heap a 256 MB container gives Node (it sizes its heap from the container's memory limit).
    // Without a limit, Node lets the heap grow toward a quarter of the machine's memory before it
    // collects, and the peak RSS then says more about the machine than about the bridge.
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${BRIDGE_HEAP_MB}`.trim(),
    ...extra,
  };
}

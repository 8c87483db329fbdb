import type { SalesforceSettings } from '../../../bridge/src/salesforce/auth.js';
import { SalesforceClient, type SalesforceClientOptions } from '../../../bridge/src/salesforce/client.js';
import { silentLogger } from '../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../bridge/src/shared/metrics.js';
import {
  JWT_PRIVATE_KEY_FILE,
  startSalesforceEmulator,
  type SalesforceEmulator,
  type SalesforceEmulatorOptions,
} from '../../emulators/salesforce/index.js';

// The Salesforce connector suites run the real jsforce client against the Salesforce emulator.

export async function startEmulator(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  return startSalesforceEmulator({ seed: 11, ...options });
}

/** Connector settings for the emulator: the JWT bearer flow as the integration user by default. */
export function emulatorSettings(
  emulator: SalesforceEmulator,
  overrides: Partial<SalesforceSettings> = {},
): SalesforceSettings {
  return {
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
    ...overrides,
  };
}

export function emulatorClient(
  emulator: SalesforceEmulator,
  overrides: Partial<SalesforceSettings> = {},
  options: Partial<SalesforceClientOptions> = {},
): SalesforceClient {
  return new SalesforceClient({
    settings: emulatorSettings(emulator, overrides),
    logger: silentLogger(),
    metrics: new BridgeMetrics(),
    bulk: { pollIntervalMs: 20, maxPollIntervalMs: 100, timeoutMs: 20_000 },
    lockRetry: { attempts: 3, baseDelayMs: 10 },
    ...options,
  });
}

/** The value of one api_calls_total series. */
export async function apiCalls(client: SalesforceClient, fn: string, outcome = 'success'): Promise<number> {
  const metric = await client.metrics.registry.getSingleMetric('responsys_bridge_api_calls_total')?.get();
  return (
    metric?.values.find(
      (value) =>
        value.labels.function === fn &&
        value.labels.outcome === outcome &&
        value.labels.service === 'salesforce',
    )?.value ?? 0
  );
}

/** Inserts Leads as the sales rep (no API calls counted). */
export function insertLeads(emulator: SalesforceEmulator, count: number, prefix = 'lead'): string[] {
  return emulator.insert(
    'Lead',
    Array.from({ length: count }, (_, i) => ({
      FirstName: `First${i}`,
      LastName: `${prefix}${i}`,
      Company: `Company ${i}`,
      Email: `${prefix}${i}@example.com`,
      LeadSource: i % 2 === 0 ? 'Web' : 'Partner Referral',
    })),
  );
}

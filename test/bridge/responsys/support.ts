import { channel } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { Writable } from 'node:stream';
import { ResponsysClient, type ResponsysClientOptions } from '../../../bridge/src/responsys/client.js';
import { createLogger, type Logger } from '../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../bridge/src/shared/metrics.js';
import {
  startResponsysEmulator,
  type ResponsysEmulator,
  type ResponsysEmulatorOptions,
} from '../../emulators/responsys/index.js';

// A Responsys emulator in-process (port 0) and the bridge's real client pointed at it, with the log
// lines and metrics the client produced, for the connector's tests.

export interface LogCapture {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  text(): string;
}

export function captureLogs(level: 'debug' | 'info' = 'debug'): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines, text: () => raw.join('\n') };
}

export interface ClientRig {
  emulator: ResponsysEmulator;
  client: ResponsysClient;
  metrics: BridgeMetrics;
  logs: LogCapture;
  /** requests per API function, as the emulator counted them */
  calls(): Record<string, number>;
  /** API_LIMIT_EXCEEDED answers per API function */
  throttled(): Record<string, number>;
  /** responsys_bridge_api_calls_total for a function and outcome */
  apiCalls(fn: string, outcome?: string): Promise<number>;
  rateLimitWaits(fn: string): Promise<number>;
  /** another client on the same emulator (same metrics and logs unless overridden) */
  newClient(overrides?: Partial<ResponsysClientOptions>): ResponsysClient;
  close(): Promise<void>;
}

export async function startClientRig(
  options: { emulator?: ResponsysEmulatorOptions; client?: Partial<ResponsysClientOptions> } = {},
): Promise<ClientRig> {
  const emulator = await startResponsysEmulator({ sftp: false, ...options.emulator });
  const metrics = new BridgeMetrics();
  const logs = captureLogs();
  const clients: ResponsysClient[] = [];
  const newClient = (overrides: Partial<ResponsysClientOptions> = {}) => {
    const client = new ResponsysClient({
      loginUrl: emulator.url,
      username: emulator.username,
      password: emulator.password,
      profileList: emulator.profileList.name,
      profileListFolder: emulator.profileList.folderName,
      logger: logs.logger,
      metrics,
      backoff: { baseMs: 20, maxMs: 200 },
      ...options.client,
      ...overrides,
    });
    clients.push(client);
    return client;
  };
  const client = newClient();
  const metricValue = async (name: string, labels: Record<string, string>) => {
    const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
    const values = (metric?.values ?? []) as Array<{ labels: Record<string, unknown>; value: number }>;
    return values
      .filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))
      .reduce((sum, value) => sum + value.value, 0);
  };
  return {
    emulator,
    client,
    metrics,
    logs,
    calls: () => emulator.control.state(['calls']).calls!.total,
    throttled: () => emulator.control.state(['calls']).calls!.throttled,
    apiCalls: (fn, outcome) =>
      metricValue('responsys_bridge_api_calls_total', {
        service: 'responsys',
        function: fn,
        ...(outcome ? { outcome } : {}),
      }),
    rateLimitWaits: (fn) =>
      metricValue('responsys_bridge_rate_limit_waits_total', { service: 'responsys', function: fn }),
    newClient,
    async close() {
      for (const each of clients) each.close();
      await emulator.close();
    },
  };
}

/** The Authorization headers the process sends (Node's http diagnostics channel sees every request). */
export function watchAuthorizationHeaders(): { values: string[]; stop(): void } {
  const values: string[] = [];
  const requests = channel('http.client.request.start');
  const listener = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const header = request.getHeader('authorization');
    if (typeof header === 'string') values.push(header);
  };
  requests.subscribe(listener);
  return { values, stop: () => requests.unsubscribe(listener) };
}

/** `count` contacts ready for a list merge (CUSTOMER_ID_ as the match key). */
export function contacts(count: number, prefix = 'c'): Array<Record<string, string>> {
  return Array.from({ length: count }, (_, i) => ({
    CUSTOMER_ID_: `${prefix}${String(i).padStart(6, '0')}`,
    EMAIL_ADDRESS_: `${prefix}${i}@example.com`,
    EMAIL_PERMISSION_STATUS_: 'I',
    FIRST_NAME: `First${i}`,
  }));
}

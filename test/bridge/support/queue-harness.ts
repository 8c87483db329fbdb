import { createLogger, type Logger } from '../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../bridge/src/shared/metrics.js';
import {
  WorkQueue,
  type QueueSettings,
  type WorkQueueOptions,
} from '../../../bridge/src/queue/work-queue.js';
import type { Store } from '../../../bridge/src/store/store.js';
import { Writable } from 'node:stream';

// Queue settings for tests: the shortest polling pg-boss allows and quick retries, so suites stay fast.
export const fastQueueSettings: QueueSettings = {
  batchSize: 200,
  maxAttempts: 3,
  retryBaseSeconds: 0.2,
  retryMaxSeconds: 1,
  pollIntervalMs: 500,
  jobTimeoutSeconds: 60,
};

export interface CapturedLogs {
  lines: Array<Record<string, unknown>>;
  logger: Logger;
}

/** A real pino logger whose JSON lines are kept in memory for assertions. */
export function capturedLogger(level: 'debug' | 'info' = 'debug'): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, logger: createLogger({ level, destination }) };
}

export function createWorkQueue(
  store: Store,
  overrides: Partial<Omit<WorkQueueOptions, 'settings'>> & { settings?: Partial<QueueSettings> } = {},
): WorkQueue {
  return new WorkQueue({
    store,
    logger: overrides.logger ?? createLogger({ level: 'silent' }),
    metrics: overrides.metrics ?? new BridgeMetrics(),
    instanceId: overrides.instanceId ?? 'test',
    random: overrides.random ?? (() => 0),
    maintenanceIntervalSeconds: overrides.maintenanceIntervalSeconds ?? 1,
    ...(overrides.lostRetryLimit !== undefined ? { lostRetryLimit: overrides.lostRetryLimit } : {}),
    settings: { ...fastQueueSettings, ...overrides.settings },
  });
}

type Falsy = false | 0 | '' | null | undefined;

/** Polls `check` until it returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, Falsy>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import { join } from 'node:path';
import { bridgeEnvironment, startEmulatorHost } from '../support/emulators.js';
import { startMeasured } from '../support/measured-child.js';
import { mb, type BenchRow } from '../support/report.js';
import type { BenchScenario } from './types.js';

// Streaming: a rep's saves publish Responsys_Sync__e (the emulator models the package triggers) at
// 200 events a second; a bridge process (`responsys-bridge start`) receives them over the Streaming
// API and merges the Leads. The latency of each record runs from the commit of its save to the
// moment Responsys accepted its merge (seen by the recording proxy).

const RATE = 200;
const SECONDS = 15;
const PER_TRANSACTION = 10;
const P95_TARGET_MS = 1000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const streamingScenario: BenchScenario = {
  name: 'streaming',
  title: `Streaming: ${RATE} events a second from publish to accepted Responsys merge`,
  async run(options) {
    const host = await startEmulatorHost({ latencyMs: 0, packageTriggers: true });
    const database = await options.createDatabase();
    const bridge = startMeasured(join(options.repoRoot, 'bridge/src/cli/main.ts'), ['start'], {
      env: bridgeEnvironment(host.urls, database.url, { BRIDGE_LOG_LEVEL: 'info' }),
      cwd: options.repoRoot,
    });
    try {
      await bridge.waitForLine((line) => line.msg === 'subscribed to /event/Responsys_Sync__e', 60_000);
      // Warm up (logins, field maps, the first batch) before measuring.
      await host.call('trackAcceptances', { on: true });
      const warm = await host.call<{ published: Record<string, number> }>('publishLeads', {
        perSecond: 50,
        seconds: 1,
        batch: 10,
        prefix: 'warmup',
      });
      await waitFor(host, Object.keys(warm.published), 30_000);

      await host.call('trackAcceptances', { on: true });
      options.log(`publishing ${RATE * SECONDS} Lead saves at ${RATE}/s`);
      const run = await host.call<{ published: Record<string, number>; achievedPerSecond: number }>(
        'publishLeads',
        {
          perSecond: RATE,
          seconds: SECONDS,
          batch: PER_TRANSACTION,
        },
      );
      const ids = Object.keys(run.published);
      const accepted = await waitFor(host, ids, 60_000);
      const latencies = ids
        .filter((id) => accepted[id] !== undefined)
        .map((id) => accepted[id]! - run.published[id]!)
        .sort((a, b) => a - b);
      const missing = ids.length - latencies.length;
      const p95 = percentile(latencies, 95);
      const stopped = await bridge.stop();
      const rows: BenchRow[] = [
        {
          scenario: 'streaming',
          metric: 'events published',
          value: `${ids.length} at ${run.achievedPerSecond.toFixed(0)}/s (${PER_TRANSACTION} Leads per save)`,
        },
        {
          scenario: 'streaming',
          metric: 'publish → accepted merge, p50 / p99 / max',
          value: `${percentile(latencies, 50)} / ${percentile(latencies, 99)} / ${latencies.at(-1)} ms`,
        },
        {
          scenario: 'streaming',
          metric: 'publish → accepted merge, p95',
          value: `${p95} ms${missing > 0 ? ` (${missing} never merged)` : ''}`,
          target: `< ${P95_TARGET_MS} ms`,
          ok: missing === 0 && p95 < P95_TARGET_MS,
        },
        { scenario: 'streaming', metric: 'bridge peak memory (RSS)', value: mb(stopped.peakRssBytes) },
      ];
      return rows;
    } finally {
      await bridge.stop();
      await database.drop();
      await host.close();
    }
  },
};

async function waitFor(
  host: Awaited<ReturnType<typeof startEmulatorHost>>,
  ids: readonly string[],
  timeoutMs: number,
): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const accepted = await host.call<Record<string, number>>('acceptances');
    if (ids.every((id) => accepted[id] !== undefined) || Date.now() > deadline) return accepted;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

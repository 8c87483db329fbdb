import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayMerges, type FloorResult } from '../drivers/floor.js';
import { bridgeEnvironment, RESPONSYS_CONCURRENCY, startEmulatorHost } from '../support/emulators.js';
import { runMeasured, sampleDatabaseCpu } from '../support/measured-child.js';
import { mb, perSecond, seconds, type BenchRow } from '../support/report.js';
import type { BenchOptions, BenchScenario } from './types.js';

// The backfill of N Contacts from the Salesforce emulator into the Responsys emulator, through the
// `backfill` command in a bridge process of its own (peak RSS measured from outside), with the
// emulators in another process. Run at a small N and at the main N to show that memory does not grow
// with N (and at 1,000,000 with --full), and compared with the floor: the same merge requests (as the
// recording proxy captured them) sent by a bare client to the same endpoint with as many calls in
// flight. The machine is shared, so the comparison is made in several rounds, each a bridge run and
// then the floor, and the median round counts: a burst of other work slows one round, not the figure.

const SMALL = 25_000;
const FULL = 1_000_000;
const FLOOR_LATENCY_MS = 20;
const FLOOR_ROUNDS = 3;
const MEMORY_LIMIT_MB = 300;
const MAX_OVERHEAD = 0.25;
const MAX_MEMORY_GROWTH = 0.2;

interface BackfillJson {
  read: number;
  merged: number;
  failed: number;
  readWith: string;
  durationMs: number;
  recordsPerSecond: number;
  responsysCalls: Record<string, number>;
  responsysFailedCalls: Record<string, number>;
  salesforceCalls: Record<string, number>;
  peakRssMb: number;
}

export interface BackfillRun {
  records: number;
  result: BackfillJson;
  peakRssBytes: number;
  wallMs: number;
  cpuMs: number;
  /** CPU of the PostgreSQL backends serving the bridge, and of the emulator process, during the run */
  databaseCpuMs: number;
  emulatorCpuMs: number;
  emulatorCalls: Record<string, number>;
}

/** Runs `responsys-bridge backfill --limit n --json` against the host and returns what it measured. */
export async function measureBackfill(
  options: BenchOptions,
  host: Awaited<ReturnType<typeof startEmulatorHost>>,
  records: number,
  capture?: string,
): Promise<BackfillRun> {
  const database = await options.createDatabase();
  try {
    await host.call('resetResponsys');
    if (capture) await host.call('startCapture', { file: capture });
    const emulatorCpuBefore = await host.call<number>('cpuMs');
    const databaseCpu = sampleDatabaseCpu(new URL(database.url).pathname.slice(1));
    const run = await runMeasured(
      join(options.repoRoot, 'bridge/src/cli/main.ts'),
      ['backfill', '--object', 'Contact', '--limit', String(records), '--json'],
      { env: bridgeEnvironment(host.urls, database.url), cwd: options.repoRoot },
    );
    const databaseCpuMs = databaseCpu.stop();
    const emulatorCpuMs = (await host.call<number>('cpuMs')) - emulatorCpuBefore;
    if (capture) await host.call('stopCapture');
    if (run.exitCode !== 0) {
      throw new Error(`backfill exited with ${run.exitCode}: ${run.stderr.slice(-2000)}`);
    }
    const result = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as BackfillJson;
    return {
      records,
      result,
      peakRssBytes: Math.max(run.peakRssBytes, result.peakRssMb * 2 ** 20),
      wallMs: run.durationMs,
      cpuMs: run.cpuMs,
      databaseCpuMs,
      emulatorCpuMs,
      emulatorCalls: await host.call<Record<string, number>>('responsysCalls'),
    };
  } finally {
    await database.drop();
  }
}

function runRows(name: string, run: BackfillRun): BenchRow[] {
  const n = run.records.toLocaleString('en-US');
  const merges = run.emulatorCalls.mergeListRecipients ?? 0;
  const expected =
    Math.ceil(run.result.merged / 200) + (run.result.responsysFailedCalls.mergeListRecipients ?? 0);
  const bulkReads = Object.entries(run.result.salesforceCalls)
    .filter(([kind]) => kind.startsWith('bulk2.query'))
    .reduce((sum, [, count]) => sum + count, 0);
  return [
    {
      scenario: name,
      metric: `${n} Contacts: throughput`,
      value: `${perSecond(run.result.read, run.result.durationMs)} (${seconds(run.result.durationMs)}; ${seconds(run.wallMs)} with process start; ${cpuSpent(run)})`,
    },
    {
      scenario: name,
      metric: `${n} Contacts: Responsys merge calls`,
      value: `${merges} (PET merges ${run.emulatorCalls.mergeProfileExtensionRecipients ?? 0})`,
      target: `= ceil(N/200) + retries = ${expected}`,
      ok: merges === expected,
    },
    {
      scenario: name,
      metric: `${n} Contacts: Salesforce reads`,
      value: `${run.result.readWith === 'bulk' ? 'Bulk API 2.0' : 'REST'}: ${Object.entries(
        run.result.salesforceCalls,
      )
        .map(([kind, count]) => `${kind} ${count}`)
        .join(', ')}`,
      target: 'Bulk API 2.0',
      ok: run.result.readWith === 'bulk' && bulkReads > 0,
    },
    {
      scenario: name,
      metric: `${n} Contacts: peak memory (RSS)`,
      value: mb(run.peakRssBytes),
      target: `< ${MEMORY_LIMIT_MB} MB`,
      ok: run.peakRssBytes < MEMORY_LIMIT_MB * 2 ** 20,
    },
  ];
}

export const backfillScenario: BenchScenario = {
  name: 'backfill',
  title: 'Backfill of Contacts: merge calls, Bulk API reads, memory, throughput against the floor',
  async run(options) {
    const largest = options.full ? FULL : options.records;
    const host = await startEmulatorHost({ latencyMs: 0, packageTriggers: false });
    const captureDir = mkdtempSync(join(tmpdir(), 'bench-floor-'));
    const n = (count: number) => count.toLocaleString('en-US');
    try {
      options.log(`seeding ${n(largest)} Contacts into the Salesforce emulator`);
      await host.call('seedContacts', { from: 0, count: largest });
      const rows: BenchRow[] = [];

      options.log(`backfill of ${n(SMALL)} Contacts`);
      const small = await measureBackfill(options, host, SMALL);
      rows.push(...runRows('backfill', small));

      options.log(`backfill of ${n(options.records)} Contacts`);
      const main = await measureBackfill(options, host, options.records);
      rows.push(...runRows('backfill', main));
      rows.push(growthRow(small, main));

      // The floor, with 20 ms added to every answer of both emulators (a network between the bridge
      // and the services): a first backfill captures its merge requests (not counted: writing them
      // down costs the emulator process CPU the measured runs should not pay), then each round is a
      // backfill and those requests sent by a bare client through the same recording proxy, so that
      // both pay the same hop.
      await host.call('setLatency', { ms: FLOOR_LATENCY_MS });
      const capture = join(captureDir, 'merges.ndjson');
      options.log(
        `backfill of ${n(options.records)} Contacts at ${FLOOR_LATENCY_MS} ms latency, merge requests captured for the floor`,
      );
      await measureBackfill(options, host, options.records, capture);
      const rounds: Array<{ bridge: BackfillRun; floor: FloorResult; emulatorCpuMs: number }> = [];
      for (let round = 1; round <= FLOOR_ROUNDS; round += 1) {
        options.log(
          `round ${round} of ${FLOOR_ROUNDS}: backfill of ${n(options.records)} Contacts at ${FLOOR_LATENCY_MS} ms latency, then the floor`,
        );
        const bridge = await measureBackfill(options, host, options.records);
        await host.call('resetResponsys');
        const emulatorCpuBefore = await host.call<number>('cpuMs');
        const floor = await replayMerges({
          file: capture,
          responsysUrl: host.urls.responsysProxyUrl,
          username: host.urls.responsysUsername,
          password: host.urls.responsysPassword,
          concurrency: RESPONSYS_CONCURRENCY,
        });
        const emulatorCpuMs = (await host.call<number>('cpuMs')) - emulatorCpuBefore;
        rounds.push({ bridge, floor, emulatorCpuMs });
      }
      await host.call('setLatency', { ms: 0 });
      const overheadOf = ({ bridge, floor }: (typeof rounds)[number]) =>
        bridge.result.durationMs / floor.durationMs - 1;
      const median = <T>(items: readonly T[], by: (item: T) => number): T =>
        [...items].sort((a, b) => by(a) - by(b))[Math.floor(items.length / 2)]!;
      const bridgeRun = median(rounds, ({ bridge }) => bridge.result.durationMs).bridge;
      const { floor: floorRun, emulatorCpuMs: floorEmulatorCpuMs } = median(
        rounds,
        ({ floor }) => floor.durationMs,
      );
      const overhead = overheadOf(median(rounds, overheadOf));
      rows.push({
        scenario: 'backfill',
        metric: `${n(options.records)} Contacts at ${FLOOR_LATENCY_MS} ms latency: bridge (median of ${FLOOR_ROUNDS})`,
        value: `${perSecond(bridgeRun.result.read, bridgeRun.result.durationMs)} (${seconds(bridgeRun.result.durationMs)}; ${cpuSpent(bridgeRun)})`,
      });
      rows.push({
        scenario: 'backfill',
        metric: `floor: ${floorRun.calls} captured merge calls, ${RESPONSYS_CONCURRENCY} in flight (median of ${FLOOR_ROUNDS})`,
        value: `${perSecond(floorRun.records / 2, floorRun.durationMs)} (${seconds(floorRun.durationMs)}; quickest call ${floorRun.fastestCallMs.toFixed(0)} ms; CPU: emulators ${seconds(floorEmulatorCpuMs)})`,
      });
      rows.push({
        scenario: 'backfill',
        metric: "bridge's overhead over the floor (median round)",
        value: `${(overhead * 100).toFixed(0)}% (rounds: ${rounds.map((round) => `${(overheadOf(round) * 100).toFixed(0)}%`).join(', ')})`,
        target: `≤ ${MAX_OVERHEAD * 100}%`,
        // A floor that did not wait for the latency on every call would flatter it.
        ok:
          overhead <= MAX_OVERHEAD &&
          rounds.every(({ floor }) => floor.failedCalls === 0 && floor.fastestCallMs >= FLOOR_LATENCY_MS),
      });

      if (options.full) {
        options.log(`backfill of ${n(FULL)} Contacts`);
        const full = await measureBackfill(options, host, FULL);
        rows.push(...runRows('backfill', full));
        rows.push(growthRow(main, full));
      }
      return rows;
    } finally {
      rmSync(captureDir, { recursive: true, force: true });
      await host.close();
    }
  },
};

/** Where the CPU of a run went: the bridge has a store and a Salesforce to read, the floor has neither. */
function cpuSpent(run: BackfillRun): string {
  return `CPU: bridge ${seconds(run.cpuMs)} with its start, its PostgreSQL ${seconds(run.databaseCpuMs)}, emulators ${seconds(run.emulatorCpuMs)}`;
}

function growthRow(smaller: BackfillRun, larger: BackfillRun): BenchRow {
  const growth = larger.peakRssBytes / smaller.peakRssBytes - 1;
  return {
    scenario: 'backfill',
    metric: `memory growth ${smaller.records.toLocaleString('en-US')} → ${larger.records.toLocaleString('en-US')}`,
    value: `${(growth * 100).toFixed(0)}% (${mb(smaller.peakRssBytes)} → ${mb(larger.peakRssBytes)})`,
    target: `≤ ${MAX_MEMORY_GROWTH * 100}% (flat)`,
    ok: growth <= MAX_MEMORY_GROWTH,
  };
}

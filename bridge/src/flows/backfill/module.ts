import { getPriority, setPriority } from 'node:os';
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, Option } from 'commander';
import { createProgress } from '../../cli/progress.js';
import type { BridgeModule } from '../../module.js';
import { BridgeError } from '../../shared/errors.js';
import { runBackfill, type BackfillResult } from './backfill.js';

// `responsys-bridge backfill`: the first load (or a deliberate resync) of every Contact or Lead into
// the profile list, with a progress bar. It starts the bridge in this process (without HTTP, workers or
// intake) for the connectors, the mapping and the store, and stops it when done. Ctrl+C stops after
// the current page.

/** The backfill's CPU priority (nice value), unless it already runs lower. */
const BACKGROUND_PRIORITY = 10;

/**
 * A backfill is a bulk load: it yields the CPU to a bridge serving on the same machine (and to that
 * machine's PostgreSQL), so streaming stays prompt while it runs. On an idle machine this changes
 * nothing. Where lowering the priority is not allowed, it runs at the priority it has. Returns how
 * to put the priority back (the command may run inside another program). Linux keeps a priority per
 * thread and this lowers the main thread's; lowering V8's collector and compiler threads as well made
 * no measurable difference in the benchmark.
 */
function runAsBackgroundWork(): () => void {
  const before = getPriority();
  if (before >= BACKGROUND_PRIORITY) return () => undefined;
  try {
    setPriority(BACKGROUND_PRIORITY);
  } catch {
    return () => undefined;
  }
  return () => {
    try {
      setPriority(before);
    } catch {
      // a process may not raise its priority again without the right to; it ends soon anyway
    }
  };
}

function isoDate(value: string): Date {
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw new InvalidArgumentError('must be a date or time such as 2024-05-01T00:00:00Z');
  return new Date(time);
}

function positive(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0)
    throw new InvalidArgumentError('must be a whole number above 0');
  return number;
}

function summary(result: BackfillResult): string {
  const count = (entries: Record<string, number>) =>
    Object.entries(entries)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
  const lines = [
    `${result.completed ? 'Backfill done' : 'Backfill stopped early'}: ${result.read.toLocaleString('en-US')} ${result.objectType} record(s) read in ${(result.durationMs / 1000).toFixed(1)} s (${result.recordsPerSecond.toLocaleString('en-US')}/s), read with ${result.readWith === 'bulk' ? 'Bulk API 2.0' : 'the REST API'}`,
    `  merged into Responsys   ${result.merged.toLocaleString('en-US')}`,
    `  skipped                 ${result.skipped.toLocaleString('en-US')}${result.skipped > 0 ? ` (${count(result.skips)})` : ''}`,
    `  failed                  ${result.failed.toLocaleString('en-US')}${result.failed > 0 ? ` (${count(result.failures)}; ${result.requeued} queued again)` : ''}`,
    `  Responsys calls         ${count(result.responsysCalls) || 'none'}`,
    `  Salesforce calls        ${count(result.salesforceCalls) || 'none'}`,
    `  peak memory             ${result.peakRssMb} MB`,
  ];
  if (result.failed + result.skipped > 0) {
    lines.push('  Each skipped or failed record has its reason: responsys-bridge explain <record id>');
  }
  return `${lines.join('\n')}\n`;
}

export const backfillModule: BridgeModule = {
  name: 'backfill',
  cli(program, cli) {
    program
      .command('backfill')
      .description('load every Contact (or Lead) into the Responsys profile list, with a progress bar')
      .addOption(
        new Option('--object <object>', 'Contact or Lead').choices(['Contact', 'Lead']).default('Contact'),
      )
      .option('--since <time>', 'only records modified since this time (SystemModstamp)', isoDate)
      .option('--limit <n>', 'at most this many records', positive)
      .option('--write-back', 'write the RIID and sync status back to every record (Bulk API 2.0)')
      .option('--json', 'print the result as JSON')
      .action(
        async (options: {
          object: 'Contact' | 'Lead';
          since?: Date;
          limit?: number;
          writeBack?: boolean;
          json?: boolean;
        }) => {
          // Without workers or intake: a backfill next to a running bridge must not take its queued
          // work or its Streaming API lease, nor spend CPU on pollers and subscriptions.
          const bridge = await cli.startBridge({ workers: false });
          const restorePriority = runAsBackgroundWork();
          const abort = new AbortController();
          const stop = () => abort.abort();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          const progress = createProgress(`Backfilling ${options.object}s`, cli.err);
          try {
            const { services, store, queue, metrics, clock, logger, config } = bridge.context;
            for (const service of ['salesforce', 'responsys', 'mapping'] as const) {
              if (!services.has(service)) {
                throw new BridgeError(
                  'NOT_READY',
                  `The ${service} service is not running: check the configuration (check-config)`,
                );
              }
            }
            const result = await runBackfill(
              {
                salesforce: services.get('salesforce'),
                responsys: services.get('responsys'),
                mapping: services.get('mapping'),
                store,
                dispatch: (changes) => queue.dispatch(changes),
                metrics,
                bulkThreshold: config.salesforce.bulkThreshold,
                concurrency: config.responsys.concurrency,
                clock,
                logger: logger.child({ component: 'backfill' }),
              },
              {
                objectType: options.object,
                since: options.since,
                limit: options.limit,
                writeBack: options.writeBack === true,
                correlationId: randomUUID(),
                signal: abort.signal,
                onTotal: (total) => progress.setTotal(total),
                onProgress: (done) => progress.increment(done),
              },
            );
            progress.stop();
            cli.out.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : summary(result));
            if (!result.completed) {
              throw new BridgeError(
                'CONFLICT',
                'The backfill stopped before the end; run it again (records merged already are merged again, which is harmless)',
              );
            }
          } finally {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            await bridge.stop();
            restorePriority();
          }
        },
      );
  },
};

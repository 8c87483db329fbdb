import type { Command } from 'commander';
import { Router } from 'express';
import { z } from 'zod';
import { validate } from '../../http/validation.js';
import type { CliContext } from '../../module.js';
import type { WorkQueue } from '../../queue/work-queue.js';
import { BridgeError } from '../../shared/errors.js';
import type { Store } from '../../store/store.js';
import { asJson, withInboundAccess, type InboundAccess } from '../engagement/cli-access.js';
import { RECONCILE_OPT_OUTS_TASK } from '../engagement/names.js';
import {
  ReconciliationReports,
  type ReconciliationChange,
  type ReconciliationRun,
} from './reconciliation-store.js';

// The opt-out reconciliation's reports and how to start one: /api/v1/opt-outs/reconciliations and
// `responsys-bridge opt-outs reconcile|reports|report`.

export function reconciliationRouter(store: Store, queue: WorkQueue): Router {
  const router = Router();
  const reports = () => new ReconciliationReports(store.db);
  router.get('/reconciliations', async (request, response) => {
    const { limit } = validate(
      z.object({ limit: z.coerce.number().int().min(1).max(500).default(20) }),
      request.query,
      'query',
    );
    response.json({ reconciliations: await reports().list(limit) });
  });
  router.get('/reconciliations/:id', async (request, response) => {
    const { id } = validate(z.object({ id: z.coerce.number().int().positive() }), request.params, 'path');
    const run = await reports().get(id);
    if (!run) throw new BridgeError('NOT_FOUND', `No opt-out reconciliation ${id}`);
    response.json({ reconciliation: run, changes: await reports().changes(id) });
  });
  router.post('/reconciliations', async (request, response) => {
    const { dryRun } = validate(z.object({ dryRun: z.boolean().default(false) }), request.body ?? {}, 'body');
    const jobId = await queue.runTask(RECONCILE_OPT_OUTS_TASK, { dryRun, trigger: 'operator' });
    if (!jobId) throw new BridgeError('CONFLICT', 'An opt-out reconciliation is already waiting to start');
    response.status(202).json({ task: RECONCILE_OPT_OUTS_TASK, jobId, dryRun });
  });
  return router;
}

function describeRun(run: ReconciliationRun | Record<string, unknown>): string {
  const r = run as ReconciliationRun;
  return (
    `#${r.id} ${r.state}${r.dryRun ? ' (dry run)' : ''} started ${new Date(r.startedAt).toISOString()}: ` +
    `${r.recordsCompared} record(s) of ${r.recipientsCompared} recipient(s) compared, ${r.drift} in disagreement, ` +
    `${r.healedSalesforce} healed in Salesforce, ${r.healedResponsys} in Responsys, ${r.skipped} skipped, ${r.failed} failed` +
    (r.error ? `; error: ${r.error}` : '')
  );
}

function describeChange(change: ReconciliationChange): string {
  const who = [
    change.objectType,
    change.salesforceId,
    change.riid ? `RIID ${change.riid}` : null,
    change.email,
  ]
    .filter(Boolean)
    .join(' ');
  return `  ${change.outcome.padEnd(10)} ${change.side.padEnd(10)} ${who}: ${change.reason}${change.error ? ` (${change.error})` : ''}`;
}

async function latestRuns(access: InboundAccess, limit: number): Promise<ReconciliationRun[]> {
  if (access.kind === 'http') {
    return (
      await access.call<{ reconciliations: ReconciliationRun[] }>(
        'GET',
        `/opt-outs/reconciliations?limit=${limit}`,
      )
    ).reconciliations;
  }
  return new ReconciliationReports(access.runtime.store.db).list(limit);
}

async function runReport(
  access: InboundAccess,
  id: number,
): Promise<{ reconciliation: ReconciliationRun; changes: ReconciliationChange[] }> {
  if (access.kind === 'http') return access.call('GET', `/opt-outs/reconciliations/${id}`);
  const reports = new ReconciliationReports(access.runtime.store.db);
  const run = await reports.get(id);
  if (!run) throw new BridgeError('NOT_FOUND', `No opt-out reconciliation ${id}`);
  return { reconciliation: run, changes: await reports.changes(id) };
}

export function registerOptOutCommands(program: Command, cli: CliContext): void {
  const optOuts = program
    .command('opt-outs')
    .description('opt-outs between Salesforce and Responsys (F7): reconciliation and its reports');

  optOuts
    .command('reconcile')
    .description('compare opt-outs on both sides and heal every disagreement (opted out wins)')
    .option('--dry-run', 'only report what would change')
    .option('--wait', 'wait for the run and print its report')
    .option('--json', 'print JSON')
    .action(async (options: { dryRun?: boolean; wait?: boolean; json?: boolean }) => {
      await withInboundAccess(program, cli, async (access) => {
        const before = (await latestRuns(access, 1))[0]?.id ?? 0;
        const dryRun = options.dryRun === true;
        const jobId =
          access.kind === 'http'
            ? (await access.call<{ jobId: string }>('POST', '/opt-outs/reconciliations', { dryRun })).jobId
            : await access.runtime.queue.runTask(RECONCILE_OPT_OUTS_TASK, { dryRun, trigger: 'operator' });
        if (!jobId)
          throw new BridgeError('CONFLICT', 'An opt-out reconciliation is already waiting to start');
        if (!options.wait) {
          cli.out.write(
            `Opt-out reconciliation${dryRun ? ' (dry run)' : ''} queued (job ${jobId}); a running bridge picks it up.\n`,
          );
          return;
        }
        const deadline = Date.now() + 60 * 60_000;
        for (;;) {
          const latest = (await latestRuns(access, 1))[0];
          if (latest && latest.id > before && latest.state !== 'running') {
            const report = await runReport(access, latest.id);
            cli.out.write(
              options.json
                ? `${JSON.stringify(asJson(report), null, 2)}\n`
                : `${[describeRun(report.reconciliation), ...report.changes.map(describeChange)].join('\n')}\n`,
            );
            return;
          }
          if (Date.now() > deadline)
            throw new BridgeError('UPSTREAM_FAILED', 'The reconciliation did not finish within an hour');
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      });
    });

  optOuts
    .command('reports')
    .description('the latest opt-out reconciliations')
    .option('--limit <n>', 'how many', '10')
    .option('--json', 'print JSON')
    .action(async (options: { limit: string; json?: boolean }) => {
      await withInboundAccess(program, cli, async (access) => {
        const runs = await latestRuns(access, Number(options.limit) || 10);
        cli.out.write(
          options.json
            ? `${JSON.stringify(asJson(runs), null, 2)}\n`
            : `${runs.map(describeRun).join('\n') || 'No opt-out reconciliation has run yet.'}\n`,
        );
      });
    });

  optOuts
    .command('report [id]')
    .description('what one reconciliation found and did (default: the latest)')
    .option('--json', 'print JSON')
    .action(async (id: string | undefined, options: { json?: boolean }) => {
      await withInboundAccess(program, cli, async (access) => {
        const runId = id ? Number(id) : (await latestRuns(access, 1))[0]?.id;
        if (!runId) throw new BridgeError('NOT_FOUND', 'No opt-out reconciliation has run yet');
        const report = await runReport(access, runId);
        cli.out.write(
          options.json
            ? `${JSON.stringify(asJson(report), null, 2)}\n`
            : `${[describeRun(report.reconciliation), ...report.changes.map(describeChange)].join('\n')}\n`,
        );
      });
    });
}

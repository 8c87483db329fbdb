import type { Command } from 'commander';
import { Router } from 'express';
import { z } from 'zod';
import { validate } from '../../http/validation.js';
import type { CliContext } from '../../module.js';
import type { WorkQueue } from '../../queue/work-queue.js';
import { ResponsysClient } from '../../responsys/client.js';
import { createLogger } from '../../shared/logger.js';
import { BridgeMetrics } from '../../shared/metrics.js';
import type { Store } from '../../store/store.js';
import { asJson, withInboundAccess, type InboundAccess } from './cli-access.js';
import { EngagementEventStore } from './event-store.js';
import { typeOfNotification } from './events.js';
import { EVENT_FILES_SOURCE } from './file-poller.js';
import { APPLY_ENGAGEMENT_TASK, READ_EVENT_FILES_TASK } from './names.js';
import { CALLBACK_PATH } from './webhook.js';

// What operators can see and do about engagement coming in: where events stand, who Responsys sent
// engagement about that no Lead or Contact matches (kept, retried, reported here), what Salesforce
// refused, what could not be read at all, which files were read; and the actions to go again.
// Served under /api/v1/engagement and as `responsys-bridge engagement ...`.

export class EngagementAdmin {
  constructor(
    private readonly store: Store,
    private readonly queue: WorkQueue,
  ) {}

  private get events(): EngagementEventStore {
    return new EngagementEventStore(this.store.db);
  }

  async status() {
    const [events, unmatched, rejects, files] = await Promise.all([
      this.events.statusCounts(),
      this.events.unmatchedPeople(10_000),
      this.events.rejects(10_000),
      this.store.inboundFiles.list(EVENT_FILES_SOURCE),
    ]);
    const byStatus = (status: string) => files.filter((file) => file.status === status);
    return {
      events,
      unmatchedPeople: unmatched.length,
      rejects: rejects.length,
      files: {
        done: byStatus('done').length,
        reading: byStatus('reading').map((file) => ({ name: file.fileName, linesDone: file.linesDone })),
        failed: byStatus('failed').map((file) => ({ name: file.fileName, error: file.error })),
      },
      callbackPath: CALLBACK_PATH,
    };
  }

  unmatched(limit: number) {
    return this.events.unmatchedPeople(limit);
  }

  async retryUnmatched(filter: { riid?: string; email?: string }) {
    const queued = await this.events.retryUnmatched(filter);
    const jobId = queued > 0 ? await this.queue.runTask(APPLY_ENGAGEMENT_TASK) : null;
    return { queued, jobId };
  }

  failed(limit: number) {
    return this.events.failedEvents(limit);
  }

  async retryFailed() {
    const queued = await this.events.retryFailed();
    const jobId = queued > 0 ? await this.queue.runTask(APPLY_ENGAGEMENT_TASK) : null;
    return { queued, jobId };
  }

  rejects(limit: number) {
    return this.events.rejects(limit);
  }

  async files(limit: number) {
    const files = await this.store.inboundFiles.list(EVENT_FILES_SOURCE);
    return files.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime()).slice(0, limit);
  }
}

const limitSchema = z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(100) });
const retrySchema = z.object({
  riid: z.string().regex(/^\d+$/).optional(),
  email: z.string().min(3).max(320).optional(),
});

export function engagementAdminRouter(admin: EngagementAdmin, queue: WorkQueue): Router {
  const router = Router();
  router.get('/', async (_request, response) => {
    response.json(await admin.status());
  });
  router.get('/unmatched', async (request, response) => {
    const { limit } = validate(limitSchema, request.query, 'query');
    response.json({ unmatched: await admin.unmatched(limit) });
  });
  router.post('/unmatched/retry', async (request, response) => {
    response.json(await admin.retryUnmatched(validate(retrySchema, request.body ?? {}, 'body')));
  });
  router.get('/failed', async (request, response) => {
    const { limit } = validate(limitSchema, request.query, 'query');
    response.json({ failed: await admin.failed(limit) });
  });
  router.post('/failed/retry', async (_request, response) => {
    response.json(await admin.retryFailed());
  });
  router.get('/rejects', async (request, response) => {
    const { limit } = validate(limitSchema, request.query, 'query');
    response.json({ rejects: await admin.rejects(limit) });
  });
  router.get('/files', async (request, response) => {
    const { limit } = validate(limitSchema, request.query, 'query');
    response.json({ files: await admin.files(limit) });
  });
  for (const [path, task] of [
    ['/apply', APPLY_ENGAGEMENT_TASK],
    ['/read-files', READ_EVENT_FILES_TASK],
  ] as const) {
    router.post(path, async (_request, response) => {
      const jobId = await queue.runTask(task);
      response.status(202).json({ task, jobId, alreadyQueued: jobId === null });
    });
  }
  return router;
}

// ---------------------------------------------------------------- CLI

const print = (cli: CliContext, json: boolean | undefined, value: unknown, text: () => string) => {
  cli.out.write(json ? `${JSON.stringify(asJson(value), null, 2)}\n` : `${text()}\n`);
};

async function run<T>(
  access: InboundAccess,
  direct: (admin: EngagementAdmin) => Promise<T>,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  if (access.kind === 'http') return access.call<T>(method, path, body);
  return direct(new EngagementAdmin(access.runtime.store, access.runtime.queue));
}

export function registerEngagementCommands(program: Command, cli: CliContext): void {
  const engagement = program
    .command('engagement')
    .description('engagement from Responsys (F2): status, unmatched people, retries');

  engagement
    .command('status')
    .description('where engagement events stand, files read, what is waiting for a match')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withInboundAccess(program, cli, async (access) => {
        const status = await run(access, (admin) => admin.status(), 'GET', '/engagement');
        print(cli, options.json, status, () =>
          [
            `Engagement events (${access.via}):`,
            ...Object.entries(status.events).map(([state, count]) => `  ${state.padEnd(11)} ${count}`),
            `People with unmatched events: ${status.unmatchedPeople}`,
            `Rows and payloads that could not be read: ${status.rejects}`,
            `Event files read: ${status.files.done}; being read: ${status.files.reading.length}; unreadable: ${status.files.failed.length}`,
            ...status.files.failed.map((file) => `  ${file.name}: ${file.error}`),
          ].join('\n'),
        );
      });
    });

  engagement
    .command('unmatched')
    .description('people Responsys sent engagement about that no Lead or Contact matches (yet)')
    .option('--limit <n>', 'at most this many people', '100')
    .option('--json', 'print JSON')
    .action(async (options: { limit: string; json?: boolean }) => {
      await withInboundAccess(program, cli, async (access) => {
        const limit = Number(options.limit) || 100;
        const people =
          access.kind === 'http'
            ? (await access.call<{ unmatched: unknown[] }>('GET', `/engagement/unmatched?limit=${limit}`))
                .unmatched
            : await new EngagementAdmin(access.runtime.store, access.runtime.queue).unmatched(limit);
        print(cli, options.json, people, () => {
          const rows = people as Array<{
            riid: string | null;
            email: string | null;
            events: number;
            types: string[];
            reason: string | null;
            nextAttemptAt: string | Date;
          }>;
          if (rows.length === 0) return 'No unmatched engagement.';
          return rows
            .map(
              (row) =>
                `RIID ${row.riid ?? '-'} ${row.email ?? ''}: ${row.events} event(s) (${row.types.join(', ')}); ${row.reason ?? ''}; next try ${new Date(row.nextAttemptAt).toISOString()}`,
            )
            .join('\n');
        });
      });
    });

  engagement
    .command('retry-unmatched')
    .description('look for the Lead or Contact of unmatched engagement again now')
    .option('--riid <riid>', 'only this recipient')
    .option('--email <email>', 'only this address')
    .action(async (options: { riid?: string; email?: string }) => {
      await withInboundAccess(program, cli, async (access) => {
        const result = await run(
          access,
          (admin) => admin.retryUnmatched(options),
          'POST',
          '/engagement/unmatched/retry',
          options,
        );
        cli.out.write(`${result.queued} unmatched event(s) will be matched again now.\n`);
      });
    });

  engagement
    .command('failed')
    .description('events Salesforce refused for good, with the reason')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (options: { limit: string; json?: boolean }) => {
      await withInboundAccess(program, cli, async (access) => {
        const limit = Number(options.limit) || 100;
        const failed =
          access.kind === 'http'
            ? (await access.call<{ failed: unknown[] }>('GET', `/engagement/failed?limit=${limit}`)).failed
            : await new EngagementAdmin(access.runtime.store, access.runtime.queue).failed(limit);
        print(
          cli,
          options.json,
          failed,
          () =>
            (failed as Array<{ eventKey: string; type: string; riid: string | null; error: string | null }>)
              .map(
                (event) => `${event.eventKey} ${event.type} RIID ${event.riid ?? '-'}: ${event.error ?? ''}`,
              )
              .join('\n') || 'No failed events.',
        );
      });
    });

  engagement
    .command('retry-failed')
    .description('write the events Salesforce refused again (after fixing the cause)')
    .action(async () => {
      await withInboundAccess(program, cli, async (access) => {
        const result = await run(
          access,
          (admin) => admin.retryFailed(),
          'POST',
          '/engagement/failed/retry',
          {},
        );
        cli.out.write(`${result.queued} failed event(s) queued again.\n`);
      });
    });

  engagement
    .command('rejects')
    .description('file rows and callback payloads that could not be read, kept for review')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (options: { limit: string; json?: boolean }) => {
      await withInboundAccess(program, cli, async (access) => {
        const limit = Number(options.limit) || 100;
        const rejects =
          access.kind === 'http'
            ? (await access.call<{ rejects: unknown[] }>('GET', `/engagement/rejects?limit=${limit}`)).rejects
            : await new EngagementAdmin(access.runtime.store, access.runtime.queue).rejects(limit);
        print(
          cli,
          options.json,
          rejects,
          () =>
            (rejects as Array<{ origin: string; originRef: string; reason: string }>)
              .map((reject) => `${reject.origin} ${reject.originRef}: ${reject.reason}`)
              .join('\n') || 'Nothing was unreadable.',
        );
      });
    });

  engagement
    .command('register-callback')
    .description('register this bridge with Responsys as the receiver of Event Notifications')
    .requiredOption('--url <url>', `the public URL of the receiver, ending in ${CALLBACK_PATH}`)
    .option('--name <name>', 'callback name in Responsys', 'responsys_bridge')
    .option('--batch-size <n>', 'payloads per delivery (at most 200)', '100')
    .action(async (options: { url: string; name: string; batchSize: string }) => {
      const config = cli.loadConfig();
      const { username, password } = config.inbound.callbacks;
      if (!username || !password) {
        throw new Error(
          'Set RESPONSYS_CALLBACK_USERNAME and RESPONSYS_CALLBACK_PASSWORD first: Responsys sends them with every callback',
        );
      }
      const client = ResponsysClient.fromConfig(config, {
        logger: createLogger({ level: 'warn', destination: process.stderr }),
        metrics: new BridgeMetrics(),
      });
      try {
        const result = await client.registerEventNotificationCallback({
          url: options.url,
          basicAuth: { userName: username, password },
          eventTypes: Object.keys(typeOfNotification),
          callbackName: options.name,
          batchSize: Math.min(200, Math.max(1, Number(options.batchSize) || 100)),
        });
        cli.out.write(
          `Callback ${result.callbackName} ${result.createdCallback ? 'created' : 'already existed'} and verified; ` +
            `subscription ${result.subscriptionName} ${result.createdSubscription ? 'created' : 'already existed'} ` +
            `for ${Object.keys(typeOfNotification).join(', ')}.\n`,
        );
      } finally {
        client.close();
      }
    });
}

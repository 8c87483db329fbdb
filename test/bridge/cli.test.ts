import { rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type RunningBridge } from '../../bridge/src/app.js';
import { runCli } from '../../bridge/src/cli/program.js';
import { createProgress } from '../../bridge/src/cli/progress.js';
import type { BridgeModule } from '../../bridge/src/module.js';
import { OutcomeCollector } from '../../bridge/src/queue/outcomes.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { testConfig, TEST_ADMIN_TOKEN } from './support/config.js';
import { eventually } from './support/queue-harness.js';
import { freshEmbeddedDataDir } from './support/stores.js';

const LEAD = '00Q000000000077AAA';

// What a flow engineer's module looks like from the CLI side: a flow, a task and a backfill command.
const operationsModule: BridgeModule = {
  name: 'cli-test',
  register(context) {
    context.queue.defineFlow({
      name: 'f-cli-test',
      direction: 'salesforce_to_responsys',
      async handle(batch) {
        const outcomes = new OutcomeCollector();
        for (const item of batch.items) {
          if (item.data.bad)
            outcomes.failed(item, 'EMAIL_ADDRESS_ is missing', { retryable: false, code: 'NO_EMAIL' });
          else outcomes.succeeded(item);
        }
        return outcomes.outcomes;
      },
    });
    context.queue.defineTask({ name: 'f-cli-task', run: async () => undefined });
  },
  cli(program, cli) {
    program
      .command('backfill')
      .description('queue every Lead for a full sync')
      .option('--count <n>', 'how many', '450')
      .action(async (options: { count: string }) => {
        const runtime = await cli.openRuntime();
        const total = Number(options.count);
        const progress = createProgress('Queueing leads', cli.out);
        progress.setTotal(total);
        try {
          for (let start = 0; start < total; start += 200) {
            const size = Math.min(200, total - start);
            const { queued } = await runtime.queue.enqueue(
              'f-cli-test',
              Array.from({ length: size }, (_, n) => ({
                objectType: 'Lead',
                recordId: `00Q9${String(start + n).padStart(11, '0')}AAA`,
                changeType: 'UPDATE' as const,
                source: 'backfill',
              })),
            );
            progress.increment(queued);
          }
        } finally {
          progress.stop();
          await runtime.close();
        }
      });
  },
};

interface CliRun {
  exitCode: number;
  out: string;
  err: string;
}

async function cli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  err.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  const result = await runCli(
    args,
    {
      out,
      err,
      env: { BRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, BRIDGE_LOG_LEVEL: 'silent', ...env },
      cwd: process.cwd(),
    },
    [operationsModule],
  );
  return {
    exitCode: result.exitCode,
    out: Buffer.concat(chunks.out).toString(),
    err: Buffer.concat(chunks.err).toString(),
  };
}

describe('operator CLI', () => {
  let database: TestDatabase;
  let bridge: RunningBridge;
  let env: Record<string, string>;
  let deadLetterId: number;

  beforeAll(async () => {
    database = await createTestDatabase('cli');
    env = { DATABASE_URL: database.url };
    bridge = await startBridge(testConfig({ DATABASE_URL: database.url }), { modules: [operationsModule] });
    await bridge.context.queue.enqueue('f-cli-test', [
      {
        objectType: 'Lead',
        recordId: LEAD,
        changeType: 'CREATE',
        data: { bad: true },
        correlationId: 'corr-cli',
      },
      { objectType: 'Lead', recordId: '00Q000000000078AAA', changeType: 'CREATE', data: { bad: true } },
    ]);
    const letters = await eventually('two dead letters', async () => {
      const list = await bridge.context.store.deadLetters.list({ flow: 'f-cli-test' });
      return list.length === 2 && list;
    });
    deadLetterId = letters.find((letter) => letter.recordKey === LEAD)!.id;
  });
  afterAll(async () => {
    await bridge?.stop();
    await database?.drop();
  });

  it('lists dead letters straight from the store', async () => {
    const run = await cli(['dead-letters', 'list'], env);
    expect(run.exitCode).toBe(0);
    expect(run.out).toMatch(/^ID\s+FLOW\s+RECORD\s+ATTEMPTS/);
    expect(run.out).toContain(`#${deadLetterId}`);
    expect(run.out).toContain('[NO_EMAIL] EMAIL_ADDRESS_ is missing');
    const json = JSON.parse((await cli(['dead-letters', 'list', '--json', '--flow', 'f-cli-test'], env)).out);
    expect(json).toHaveLength(2);
  });

  it('explains a record in plain words', async () => {
    const run = await cli(['explain', LEAD], env);
    expect(run.exitCode).toBe(0);
    expect(run.out).toContain(`Record ${LEAD}`);
    expect(run.out).toContain('Not linked to a Responsys recipient yet');
    expect(run.out).toContain(`Dead letter #${deadLetterId} (f-cli-test) is waiting for an operator`);
    expect(run.out).toMatch(/f-cli-test\s+CREATE\s+dead_lettered\s+1\s+corr-cli/);
    const nothing = await cli(['explain', 'nobody@example.com'], env);
    expect(nothing.out).toContain('Nothing is recorded for "nobody@example.com"');
  });

  it('retries a dead letter once, and says so when it was already retried', async () => {
    const first = await cli(['dead-letters', 'retry', String(deadLetterId)], env);
    expect(first).toMatchObject({ exitCode: 0 });
    expect(first.out).toBe(`Dead letter #${deadLetterId} (f-cli-test, ${LEAD}) is queued again.\n`);
    const second = await cli(['dead-letters', 'retry', String(deadLetterId)], env);
    expect(second.exitCode).toBe(1);
    expect(second.err).toBe(`error: Dead letter #${deadLetterId} is already retried\n`);
  });

  it('refuses a retry without ids or --all, and a malformed id', async () => {
    const bare = await cli(['dead-letters', 'retry'], env);
    expect(bare.exitCode).toBe(1);
    expect(bare.err).toContain('Name the dead letters to retry');
    const malformed = await cli(['dead-letters', 'retry', 'twelve'], env);
    expect(malformed.err).toContain('"twelve" is not a dead letter number');
    const discarded = await cli(['dead-letters', 'discard', 'x'], env);
    expect(discarded.exitCode).toBe(1);
    expect(discarded.err).toContain('must be a dead letter number');
  });

  it('talks to a running bridge over its admin API with --url', async () => {
    const run = await cli(['--url', bridge.url!, 'status', '--json'], env);
    expect(run.exitCode).toBe(0);
    const status = JSON.parse(run.out);
    expect(status.flows).toEqual(['f-cli-test']);
    expect(status.instances.map((instance: { instanceId: string }) => instance.instanceId)).toContain(
      bridge.config.instanceId,
    );
    const human = await cli(['status'], { ...env, BRIDGE_URL: bridge.url! });
    expect(human.out).toMatch(/QUEUE\s+KIND\s+WAITING/);
    const wrongToken = await cli(['--url', bridge.url!, 'status'], {
      ...env,
      BRIDGE_ADMIN_TOKEN: 'another-token-0123456789',
    });
    expect(wrongToken.exitCode).toBe(1);
    expect(wrongToken.err).toContain('The bearer token is not valid for this bridge');
  });

  it('runs a task defined by a running bridge, from a process that defines none', async () => {
    const run = await cli(['run-task', 'f-cli-task', '--data', '{"campaignId":"701"}'], env);
    expect(run.exitCode).toBe(0);
    expect(run.out).toMatch(/^Task f-cli-task is queued \(job [0-9a-f-]{36}\)\.\n$/);
    const bad = await cli(['run-task', 'f-cli-task', '--data', '[1]'], env);
    expect(bad.err).toContain('--data must be a JSON object');
    const missing = await cli(['run-task', 'no-such-task'], env);
    expect(missing.err).toContain('No task named "no-such-task" is installed');
  });

  it('adds commands from modules, such as a backfill with a progress report', async () => {
    const help = await cli(['--help'], env);
    expect(help.exitCode).toBe(0);
    for (const command of [
      'start',
      'check-config',
      'status',
      'explain',
      'dead-letters',
      'emulators',
      'backfill',
    ]) {
      expect(help.out).toContain(command);
    }
    const run = await cli(['backfill', '--count', '450'], env);
    expect(run.exitCode).toBe(0);
    expect(run.out).toContain('Queueing leads: 450/450 (100%)');
    const backfilled = await eventually('the backfill to be synced', async () => {
      const { rows } = await bridge.context.store.db.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM bridge.sync_log WHERE flow = 'f-cli-test' AND outcome = 'succeeded'`,
      );
      return rows[0]!.count >= 450 && rows[0]!.count;
    });
    expect(backfilled).toBeGreaterThanOrEqual(450);
  });

  it('reports unknown commands and bad configuration with exit code 1', async () => {
    const unknown = await cli(['frobnicate'], env);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    const badConfig = await cli(['status'], { ...env, BRIDGE_QUEUE_BATCH_SIZE: '0' });
    expect(badConfig.exitCode).toBe(1);
    expect(badConfig.err).toContain('BRIDGE_QUEUE_BATCH_SIZE must be a whole number from 1 to 200');
  });

  it('asks the running bridge when it holds the embedded store', { timeout: 120_000 }, async () => {
    const dataDir = await freshEmbeddedDataDir();
    const embedded = await startBridge(testConfig({ BRIDGE_DATA_DIR: dataDir }), {
      modules: [operationsModule],
    });
    try {
      const run = await cli(['status'], { BRIDGE_DATA_DIR: dataDir });
      expect(run.exitCode).toBe(0);
      expect(run.err).toContain(
        `The embedded store is in use by a running bridge; asking it at ${embedded.url}.`,
      );
      expect(run.out).toContain(`Store: embedded (${dataDir})`);
    } finally {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

import { InvalidArgumentError, type Command } from 'commander';
import { BridgeError } from '../../shared/errors.js';
import type { CliSession } from '../context.js';
import { formatDeadLetters, formatHistory, formatStatus } from '../format.js';

// Operator commands: status, explain, dead letters, tasks. Each answers from the store or from a
// running bridge (see CliSession.adminAccess), in words by default and as JSON with --json.

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('must be a dead letter number such as 12');
  return parsed;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function registerOperationCommands(program: Command, session: CliSession): void {
  program
    .command('status')
    .description('queues, dead letters, leadership and running instances')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const access = await session.adminAccess();
      try {
        const status = await access.status();
        session.out.write(options.json ? json(status) : formatStatus(status));
      } finally {
        await access.close();
      }
    });

  program
    .command('explain')
    .description('what happened to a record, and why it did or did not sync')
    .argument('<idOrEmail>', 'Salesforce id, RIID, email address or correlation id')
    .option('--json', 'print JSON')
    .action(async (idOrEmail: string, options: { json?: boolean }) => {
      const access = await session.adminAccess();
      try {
        const history = await access.history(idOrEmail);
        session.out.write(options.json ? json(history) : formatHistory(history));
      } finally {
        await access.close();
      }
    });

  const deadLetters = program
    .command('dead-letters')
    .description('records that failed for good, waiting for an operator');

  deadLetters
    .command('list')
    .description('list dead letters, newest first')
    .option('--flow <flow>', 'only this flow')
    .option('--status <status>', 'open (default), retried or discarded', 'open')
    .option('--limit <n>', 'at most this many', (value) => positiveInteger(value), 100)
    .option('--json', 'print JSON')
    .action(async (options: { flow?: string; status: string; limit: number; json?: boolean }) => {
      if (!['open', 'retried', 'discarded'].includes(options.status)) {
        throw new BridgeError('VALIDATION_FAILED', '--status must be open, retried or discarded');
      }
      const access = await session.adminAccess();
      try {
        const list = await access.listDeadLetters({
          flow: options.flow,
          status: options.status as 'open',
          limit: options.limit,
        });
        session.out.write(options.json ? json(list) : formatDeadLetters(list));
      } finally {
        await access.close();
      }
    });

  deadLetters
    .command('retry')
    .description('queue dead letters again (attempts start over)')
    .argument('[ids...]', 'dead letter numbers')
    .option('--all', 'every open dead letter')
    .option('--flow <flow>', 'with --all: only this flow')
    .action(async (ids: string[], options: { all?: boolean; flow?: string }) => {
      if (ids.length === 0 && !options.all) {
        throw new BridgeError(
          'VALIDATION_FAILED',
          'Name the dead letters to retry (e.g. 12 13), or use --all [--flow <flow>]',
        );
      }
      if (ids.length > 0 && options.all)
        throw new BridgeError('VALIDATION_FAILED', 'Give ids or --all, not both');
      const numbers = ids.map((id) => {
        try {
          return positiveInteger(id);
        } catch {
          throw new BridgeError('VALIDATION_FAILED', `"${id}" is not a dead letter number`);
        }
      });
      const access = await session.adminAccess();
      try {
        if (numbers.length === 1) {
          const retried = await access.retryDeadLetter(numbers[0]!);
          session.out.write(
            `Dead letter #${retried.id} (${retried.flow}, ${retried.recordKey}) is queued again.\n`,
          );
        } else {
          const count = await access.retryDeadLetters(
            numbers.length > 0 ? { ids: numbers } : { flow: options.flow },
          );
          session.out.write(`${count} dead letter(s) queued again.\n`);
        }
      } finally {
        await access.close();
      }
    });

  deadLetters
    .command('discard')
    .description('close a dead letter without retrying it')
    .argument('<id>', 'dead letter number', positiveInteger)
    .action(async (id: number) => {
      const access = await session.adminAccess();
      try {
        const discarded = await access.discardDeadLetter(id);
        session.out.write(`Dead letter #${discarded.id} is discarded.\n`);
      } finally {
        await access.close();
      }
    });

  program
    .command('run-task')
    .description('start a task now (e.g. a reconciliation); it runs once, on one bridge process')
    .argument('<name>', 'task name')
    .option('--data <json>', 'task input as a JSON object', '{}')
    .action(async (name: string, options: { data: string }) => {
      let data: unknown;
      try {
        data = JSON.parse(options.data);
      } catch {
        throw new BridgeError(
          'VALIDATION_FAILED',
          '--data must be a JSON object, e.g. \'{"campaignId":"701..."}\'',
        );
      }
      if (!data || typeof data !== 'object' || Array.isArray(data)) {
        throw new BridgeError('VALIDATION_FAILED', '--data must be a JSON object');
      }
      const access = await session.adminAccess();
      try {
        const result = await access.runTask(name, data);
        session.out.write(
          result.alreadyQueued
            ? `Task ${name} is already waiting to run.\n`
            : `Task ${name} is queued (job ${result.jobId}).\n`,
        );
      } finally {
        await access.close();
      }
    });
}

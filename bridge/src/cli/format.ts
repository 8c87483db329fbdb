import type { ConfigEntry } from '../config/describe.js';
import type { AdminAccess } from './admin-access.js';

// Human-readable renderings for the terminal. Every command also has --json for scripts.

type Status = Awaited<ReturnType<AdminAccess['status']>>;
type History = Awaited<ReturnType<AdminAccess['history']>>;
type DeadLetterView = Awaited<ReturnType<AdminAccess['listDeadLetters']>>[number];

const iso = (value: string | Date | null | undefined) =>
  value === null || value === undefined ? '-' : value instanceof Date ? value.toISOString() : value;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatConfig(entries: ConfigEntry[], mode: string): string {
  const rows = [
    ['VARIABLE', 'VALUE', 'SOURCE'],
    ...entries.map((entry) => [entry.variable, entry.value, entry.source]),
  ];
  return `Configuration is valid (${mode} mode).\n\n${table(rows)}\n`;
}

export function formatStatus(status: Status): string {
  const lines = [
    `Responsys Bridge ${status.version} (${status.mode} mode), instance ${status.instanceId}, Node ${status.node}`,
    `Store: ${status.store.location}`,
    '',
    table([
      ['QUEUE', 'KIND', 'WAITING', 'RETRY', 'ACTIVE', 'DONE', 'FAILED'],
      ...status.queues.map((queue) => [
        queue.name,
        queue.kind,
        String(queue.created),
        String(queue.retry),
        String(queue.active),
        String(queue.completed),
        String(queue.failed),
      ]),
    ]),
    '',
    `Open dead letters: ${status.deadLetters.open}${
      status.deadLetters.byFlow.length > 0
        ? ` (${status.deadLetters.byFlow.map((entry) => `${entry.flow}: ${entry.count}`).join(', ')})`
        : ''
    }`,
  ];
  lines.push(
    status.leadership.length > 0
      ? `Leadership: ${status.leadership.map((lease) => `${lease.lock} held by ${lease.holder} since ${iso(lease.since)}`).join('; ')}`
      : 'Leadership: no lease is held',
  );
  lines.push(
    `Instances: ${
      status.instances.length > 0
        ? status.instances
            .map((instance) => `${instance.instanceId} (pid ${instance.pid}, ${instance.version})`)
            .join(', ')
        : 'none running'
    }`,
  );
  for (const cursor of status.replayCursors) {
    lines.push(`Replay cursor ${cursor.channel}: ${cursor.replayId} (saved ${iso(cursor.updatedAt)})`);
  }
  return `${lines.join('\n')}\n`;
}

export function formatDeadLetters(deadLetters: DeadLetterView[]): string {
  if (deadLetters.length === 0) return 'No dead letters.\n';
  return `${table([
    ['ID', 'FLOW', 'RECORD', 'ATTEMPTS', 'FAILED AT', 'STATUS', 'REASON'],
    ...deadLetters.map((letter) => [
      `#${letter.id}`,
      letter.flow,
      letter.recordKey,
      String(letter.attempts),
      iso(letter.failedAt),
      letter.status,
      `${letter.errorCode ? `[${letter.errorCode}] ` : ''}${letter.reason}`.slice(0, 160),
    ]),
  ])}\n`;
}

export function formatHistory(history: History): string {
  const lines = [`Record ${history.query}`, '', ...history.summary.map((line) => `  ${line}`)];
  if (history.entries.length > 0) {
    lines.push('', 'Sync log (newest first):');
    lines.push(
      table([
        ['WHEN', 'FLOW', 'CHANGE', 'OUTCOME', 'ATTEMPT', 'CORRELATION ID', 'REASON'],
        ...history.entries
          .slice(0, 30)
          .map((entry) => [
            iso(entry.finishedAt),
            entry.flow,
            entry.changeType ?? '-',
            entry.outcome,
            entry.attempt === null ? '-' : String(entry.attempt),
            entry.correlationId,
            `${entry.errorCode ? `[${entry.errorCode}] ` : ''}${entry.reason ?? ''}`.slice(0, 120),
          ]),
      ])
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    );
  }
  return `${lines.join('\n')}\n`;
}

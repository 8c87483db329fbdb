import { cpus, totalmem, loadavg, platform, release } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';

// What a benchmark scenario reports: rows of measured figures, each with its target when it has one,
// printed as a table and written into docs/benchmarks.md.

export interface BenchRow {
  scenario: string;
  metric: string;
  value: string;
  /** the target in words, e.g. "≤ 300 MB" */
  target?: string;
  /** false when the target was missed; undefined for figures without a target */
  ok?: boolean;
}

export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['scenario', 'metric', 'value', 'target', 'result'];
  const cells = rows.map((row) => [
    row.scenario,
    row.metric,
    row.value,
    row.target ?? '',
    row.ok === undefined ? '' : row.ok ? 'met' : 'MISSED',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((cell) => cell[i]!.length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function markdownTable(rows: readonly BenchRow[]): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| scenario | metric | value | target | result |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${escape(row.scenario)} | ${escape(row.metric)} | ${escape(row.value)} | ${escape(row.target ?? '')} | ${
          row.ok === undefined ? '' : row.ok ? 'met' : '**missed**'
        } |`,
    ),
  ].join('\n');
}

export function machineDescription(): string {
  const cpu = cpus();
  const load = loadavg().map((value) => value.toFixed(1));
  return (
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, ` +
    `${platform()} ${release()}, Node ${process.version}; load average at the start ${load.join(' / ')}`
  );
}

const BEGIN = (key: string) => `<!-- bench:${key}:begin -->`;
const END = (key: string) => `<!-- bench:${key}:end -->`;

/**
 * Replaces the generated section `key` of the benchmarks page (between its markers), or appends it,
 * leaving the hand-written text around it alone.
 */
export function writeResultsSection(file: string, key: string, content: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmarks\n';
  }
  const block = `${BEGIN(key)}\n${content.trim()}\n${END(key)}`;
  const start = text.indexOf(BEGIN(key));
  const end = text.indexOf(END(key));
  const next =
    start >= 0 && end > start
      ? `${text.slice(0, start)}${block}${text.slice(end + END(key).length)}`
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}

export const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
export const perSecond = (count: number, ms: number) =>
  `${Math.round(count / (ms / 1000)).toLocaleString('en-US')}/s`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

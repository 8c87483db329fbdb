// `npm run bench`: the bridge's figures (throughput, API calls, memory, latency), measured against the
// emulators, printed as a table and written into docs/benchmarks.md with the machine and the command.
// Exits with code 1 when a target is missed.
//
//   npm run bench                      the default run (100,000-record backfill and the others)
//   npm run bench -- --full            also the 1,000,000-record backfill (takes a while)
//   npm run bench -- --only backfill   some scenarios only (the page is not updated)
//   npm run bench -- --records 50000   another size for the main backfill
//   npm run bench -- --no-write        print only
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { setup as startPostgres, teardown as stopPostgres } from '../../test/support/global-postgres.js';
import { createTestDatabase } from '../../test/support/postgres.js';
import { scenarios } from './scenarios.js';
import type { BenchRow } from './support/report.js';
import { formatTable, machineDescription, markdownTable, writeResultsSection } from './support/report.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    full: { type: 'boolean', default: false },
    only: { type: 'string' },
    records: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
  },
});

const records = values.records === undefined ? 100_000 : Number(values.records);
if (!Number.isInteger(records) || records < 1000) {
  console.error('--records must be a whole number of at least 1000');
  process.exit(2);
}
const only = values.only?.split(',').map((name) => name.trim());
const unknown = only?.filter((name) => !scenarios.some((scenario) => scenario.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(
    `Unknown scenario(s) ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}
const selected = scenarios.filter((scenario) => !only || only.includes(scenario.name));
const machine = machineDescription();
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
console.log(`Benchmark on ${machine}\n`);

startPostgres();
const rows: BenchRow[] = [];
const started = Date.now();
let failed = false;
try {
  for (const scenario of selected) {
    console.log(`▶ ${scenario.title}`);
    const scenarioStarted = Date.now();
    try {
      const result = await scenario.run({
        full: values.full,
        records,
        createDatabase: () => createTestDatabase('bench'),
        log: (message) => console.log(`  ${message}`),
        repoRoot,
      });
      rows.push(...result);
    } catch (error) {
      failed = true;
      rows.push({
        scenario: scenario.name,
        metric: 'run',
        value: `failed: ${error instanceof Error ? error.message : String(error)}`,
        ok: false,
      });
    }
    console.log(`  (${((Date.now() - scenarioStarted) / 1000).toFixed(0)} s)\n`);
  }
} finally {
  stopPostgres();
}

const table = formatTable(rows);
console.log(table);
const missed = rows.filter((row) => row.ok === false);
console.log(
  `\n${missed.length === 0 ? 'Every target met' : `${missed.length} target(s) missed`} ` +
    `(${((Date.now() - started) / 1000).toFixed(0)} s in all).`,
);

if (!values['no-write'] && !only) {
  const section = values.full ? 'full' : 'default';
  const page = join(repoRoot, 'docs/benchmarks.md');
  writeResultsSection(
    page,
    section,
    [
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${command}\``,
      `on ${machine}.`,
      '',
      markdownTable(rows),
    ].join('\n'),
  );
  // The page is checked by `prettier --check` with the other docs: leave it as prettier writes it.
  const config = await prettier.resolveConfig(page);
  writeFileSync(page, await prettier.format(readFileSync(page, 'utf8'), { ...config, filepath: page }));
  console.log('Results written to docs/benchmarks.md');
}
process.exit(failed || missed.length > 0 ? 1 : 0);

// The offline Salesforce quality gate (npm run check:salesforce): Apex syntax, formatting and
// semantics, PMD, metadata XML and the package contract. Fails the run on any finding.
//   tsx scripts/quality/salesforce-gate.ts [--root DIR] [--only apex-syntax,contract,...]
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatReport, gatePassed, runGate } from './run-gate.js';

const { values } = parseArgs({
  options: { root: { type: 'string' }, only: { type: 'string' } },
});
const root = resolve(values.root ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'));
const started = performance.now();
try {
  const outcomes = await runGate({ root, only: values.only?.split(',').map((id) => id.trim()) });
  console.log(formatReport(outcomes, performance.now() - started));
  process.exitCode = gatePassed(outcomes) ? 0 : 1;
} catch (error) {
  console.error(`Salesforce quality gate: ${(error as Error).message}`);
  process.exitCode = 2;
}

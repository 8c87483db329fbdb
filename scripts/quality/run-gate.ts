import { join } from 'node:path';
import { apexFormatCheck } from './checks/apex-format.js';
import { apexSemanticsCheck } from './checks/apex-semantics.js';
import { apexSyntaxCheck } from './checks/apex-syntax.js';
import { metadataContractCheck } from './checks/metadata-contract.js';
import { metadataLimitsCheck } from './checks/metadata-limits.js';
import { pmdCheck } from './checks/pmd.js';
import { sfConvertCheck } from './checks/sf-convert.js';
import { suppressionsCheck } from './checks/suppressions.js';
import { type Check, type CheckResult, type Finding, type GateContext } from './checks/types.js';
import { xmlWellFormedCheck } from './checks/xml-wellformed.js';

/** In report order. */
export const CHECKS: Check[] = [
  apexSyntaxCheck,
  apexFormatCheck,
  xmlWellFormedCheck,
  metadataLimitsCheck,
  metadataContractCheck,
  suppressionsCheck,
  apexSemanticsCheck,
  pmdCheck,
  sfConvertCheck,
];

export interface CheckOutcome extends CheckResult {
  check: Check;
  durationMs: number;
  /** The check could not run (for example Java is missing): a failure, never a pass. */
  error?: string;
}

export interface GateOptions {
  root: string;
  forceAppDir?: string;
  contractNamesFile?: string;
  /** Run only these check ids (default: all). */
  only?: string[];
}

export function gateContext(options: GateOptions): GateContext {
  return {
    root: options.root,
    forceAppDir: options.forceAppDir ?? join(options.root, 'force-app'),
    contractNamesFile:
      options.contractNamesFile ?? join(options.root, 'scripts', 'quality', 'contract-names.json'),
  };
}

export async function runGate(options: GateOptions): Promise<CheckOutcome[]> {
  const context = gateContext(options);
  const unknown = (options.only ?? []).filter((id) => !CHECKS.some((check) => check.id === id));
  if (unknown.length) {
    throw new Error(
      `Unknown check ${unknown.join(', ')}; known: ${CHECKS.map((check) => check.id).join(', ')}`,
    );
  }
  const selected = CHECKS.filter((check) => !options.only?.length || options.only.includes(check.id));
  // The Java checks and the sf CLI work in child processes: start them first so their JVMs overlap
  // each other and the in-process checks, which then run one after the other.
  const background = new Map(
    selected.filter((check) => check.runsOutOfProcess).map((check) => [check.id, runCheck(check, context)]),
  );
  const outcomes: CheckOutcome[] = [];
  for (const check of selected) {
    outcomes.push(await (background.get(check.id) ?? runCheck(check, context)));
  }
  return outcomes;
}

async function runCheck(check: Check, context: GateContext): Promise<CheckOutcome> {
  const started = performance.now();
  try {
    const result = await check.run(context);
    return { ...result, check, durationMs: performance.now() - started };
  } catch (error) {
    return {
      check,
      findings: [],
      summary: '',
      error: (error as Error).message,
      durationMs: performance.now() - started,
    };
  }
}

export function gatePassed(outcomes: CheckOutcome[]): boolean {
  return outcomes.every((outcome) => !outcome.error && outcome.findings.length === 0);
}

function formatFinding(finding: Finding): string {
  const where = finding.file ? `${finding.file}${finding.line ? `:${finding.line}` : ''}  ` : '';
  return `      ${where}${finding.message}`;
}

export function formatReport(outcomes: CheckOutcome[], totalMs: number): string {
  const lines = ['Salesforce quality gate'];
  const width = Math.max(...outcomes.map((outcome) => outcome.check.title.length));
  for (const outcome of outcomes) {
    const seconds = `${(outcome.durationMs / 1000).toFixed(1)}s`.padStart(6);
    const title = outcome.check.title.padEnd(width);
    if (outcome.error) {
      lines.push(`  FAIL  ${title} ${seconds}  could not run: ${outcome.error}`);
    } else if (outcome.skipped) {
      lines.push(`  skip  ${title} ${seconds}  ${outcome.skipped}`);
    } else if (outcome.findings.length) {
      const count = outcome.findings.length;
      lines.push(
        `  FAIL  ${title} ${seconds}  ${count} finding${count === 1 ? '' : 's'}; ${outcome.summary}`,
      );
      lines.push(...outcome.findings.slice(0, 50).map(formatFinding));
      if (count > 50) lines.push(`      ... and ${count - 50} more`);
    } else {
      lines.push(`  ok    ${title} ${seconds}  ${outcome.summary}`);
    }
  }
  const failed = outcomes.filter((outcome) => outcome.error || outcome.findings.length);
  lines.push(
    failed.length
      ? `FAILED: ${failed.map((outcome) => outcome.check.title).join(', ')} (${(totalMs / 1000).toFixed(1)}s)`
      : `PASSED: ${outcomes.length} checks (${(totalMs / 1000).toFixed(1)}s)`,
  );
  return lines.join('\n');
}

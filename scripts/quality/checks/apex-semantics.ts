import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { relativePath } from './files.js';
import { pmdEngineJavaLib, requireJava, runJava } from './java.js';
import { type Check, type Finding } from './types.js';

/** apex-ls's command-line checker, inside apex-ls_2.13-*.jar of the PMD engine's java-lib. */
const CHECKER_MAIN_CLASS = 'io.github.apexdevtools.apexls.CheckForIssues';
/** CheckForIssues exits 4 when it found issues, 0 when it found none. */
const EXIT_ISSUES_FOUND = 4;

interface CheckerReport {
  files?: {
    path: string;
    messages: { start?: { line?: number }; category?: string; message: string }[];
  }[];
}

/**
 * Resolves every type, method and field the Apex code uses against the Salesforce standard library,
 * the standard objects and the package's own metadata (objects, fields, custom metadata, events), as
 * the platform compiler would. One JVM, no cache, so every run sees the tree as it is.
 */
export const apexSemanticsCheck: Check = {
  id: 'apex-semantics',
  title: 'Apex semantics',
  runsOutOfProcess: true,
  async run(context) {
    await access(join(context.root, 'sfdx-project.json')).catch(() => {
      throw new Error(
        `apex-ls needs ${join(context.root, 'sfdx-project.json')} to find the package directories.`,
      );
    });
    const java = await requireJava();
    const { stdout, stderr, exitCode } = await runJava(
      [
        '-cp',
        join(pmdEngineJavaLib(), '*'),
        CHECKER_MAIN_CLASS,
        '--workspace',
        context.root,
        '--nocache',
        '--format',
        'json',
      ],
      { cwd: context.root, timeoutMs: 120_000 },
    );
    if (exitCode !== 0 && exitCode !== EXIT_ISSUES_FOUND) {
      throw new Error(`apex-ls exited with ${exitCode}: ${(stderr || stdout).trim().slice(0, 2000)}`);
    }
    const findings: Finding[] = [];
    if (stdout.trim()) {
      const report = JSON.parse(stdout) as CheckerReport;
      for (const file of report.files ?? []) {
        for (const message of file.messages) {
          findings.push({
            file: relativePath(context.root, file.path),
            line: message.start?.line,
            message: `${message.category ?? 'Error'}: ${message.message}`,
          });
        }
      }
    }
    if (exitCode === EXIT_ISSUES_FOUND && findings.length === 0) {
      throw new Error(`apex-ls reported issues it did not list: ${(stderr || stdout).trim().slice(0, 2000)}`);
    }
    return {
      findings,
      summary: `apex-ls checked every class and trigger against the Salesforce standard library and the package metadata (Java ${java.major})`,
    };
  },
};

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CodeAnalyzer,
  CodeAnalyzerConfig,
  EventType,
  LogLevel,
  SeverityLevel,
  type LogEvent,
} from '@salesforce/code-analyzer-core';
import { createEnginePlugin } from '@salesforce/code-analyzer-pmd-engine';
import { relativePath } from './files.js';
import { javaCommand, requireJava } from './java.js';
import { type Check, type Finding } from './types.js';

export const PMD_RULE_SELECTORS = ['pmd:Recommended', 'pmd:Security'];
/** Critical (1) and High (2) fail the gate; Moderate, Low and Info are counted and shown. */
const FAILING_SEVERITY = SeverityLevel.High;

/**
 * Runs PMD's Recommended and Security rules through Salesforce Code Analyzer (the engine behind
 * `sf code-analyzer run`), so the gate sees what an AppExchange security review would see.
 */
export const pmdCheck: Check = {
  id: 'pmd',
  title: 'PMD (Recommended, Security)',
  runsOutOfProcess: true,
  async run(context) {
    await requireJava();
    const workFolder = await mkdtemp(join(tmpdir(), 'salesforce-gate-pmd-'));
    try {
      const config = CodeAnalyzerConfig.fromObject(
        {
          log_folder: workFolder,
          root_working_folder: workFolder,
          engines: { pmd: { java_command: javaCommand() }, cpd: { disable_engine: true } },
          ignores: { files: ['**/node_modules/**', '**/lwc/**/__tests__/**'] },
        },
        context.root,
      );
      const analyzer = new CodeAnalyzer(config);
      const engineErrors: Finding[] = [];
      analyzer.onEvent(EventType.LogEvent, (event: LogEvent) => {
        if (event.logLevel === LogLevel.Error)
          engineErrors.push({ message: `Code Analyzer: ${event.message}` });
      });
      await analyzer.addEnginePlugin(createEnginePlugin());
      const selection = await analyzer.selectRules(PMD_RULE_SELECTORS);
      const workspace = await analyzer.createWorkspace([context.forceAppDir]);
      const results = await analyzer.run(selection, { workspace });

      const findings: Finding[] = [...engineErrors];
      const belowThreshold = new Map<string, number>();
      for (const violation of results.getViolations()) {
        const rule = violation.getRule();
        if (rule.getSeverityLevel() <= FAILING_SEVERITY) {
          const location = violation.getPrimaryLocation();
          const file = location.getFile();
          findings.push({
            file: file ? relativePath(context.root, file) : undefined,
            line: location.getStartLine(),
            message: `${rule.getName()} (severity ${rule.getSeverityLevel()}): ${violation.getMessage()}`,
          });
        } else {
          belowThreshold.set(rule.getName(), (belowThreshold.get(rule.getName()) ?? 0) + 1);
        }
      }
      const lowerCount = [...belowThreshold.values()].reduce((sum, count) => sum + count, 0);
      const topLower = [...belowThreshold.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, count]) => `${name} ${count}`)
        .join(', ');
      return {
        findings,
        summary:
          `${selection.getCount()} rules; ${findings.length} critical/high` +
          (lowerCount
            ? `; ${lowerCount} moderate/low/info, not failing (${topLower}${belowThreshold.size > 4 ? ', ...' : ''})`
            : ''),
      };
    } finally {
      await rm(workFolder, { recursive: true, force: true });
    }
  },
};

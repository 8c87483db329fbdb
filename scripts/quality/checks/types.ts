// Shared shapes of the Salesforce quality gate: every check reports findings the same way, so the
// gate can print one summary and fail the run on any finding.

export interface Finding {
  /** Path relative to the project root, when the finding is about a file. */
  file?: string;
  line?: number;
  message: string;
}

export interface CheckResult {
  findings: Finding[];
  /** One line saying what was checked, e.g. "38 files parsed". */
  summary: string;
  /** Set when the check did not run (for example an optional tool is not installed). */
  skipped?: string;
}

export interface GateContext {
  /** Project root: holds sfdx-project.json and force-app/. */
  root: string;
  /** The package directory, normally <root>/force-app. */
  forceAppDir: string;
  /** Path of the contract-names file (mirrors DESIGN.md section 3). */
  contractNamesFile: string;
}

export interface Check {
  id: string;
  title: string;
  /** True when the work happens in a child process (a JVM, the sf CLI), so it can overlap others. */
  runsOutOfProcess?: boolean;
  run(context: GateContext): Promise<CheckResult>;
}

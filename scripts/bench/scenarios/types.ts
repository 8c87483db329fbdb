import type { BenchRow } from '../support/report.js';

// A benchmark scenario: it prepares what it needs, measures, cleans up, and returns its figures.

export interface BenchOptions {
  /** also run the long variants (1,000,000 records) */
  full: boolean;
  /** records of the main backfill (default 100,000) */
  records: number;
  /** a PostgreSQL server the bridge processes use (a fresh database per run) */
  createDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
  /** for progress lines while a scenario runs */
  log(message: string): void;
  repoRoot: string;
}

export interface BenchScenario {
  /** short name for --only */
  name: string;
  title: string;
  run(options: BenchOptions): Promise<BenchRow[]>;
}

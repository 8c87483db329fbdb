import { backfillScenario } from './scenarios/backfill.js';
import { engagementScenario } from './scenarios/engagement.js';
import { perRecordBaselineScenario } from './scenarios/per-record-baseline.js';
import { streamingScenario } from './scenarios/streaming.js';
import type { BenchScenario } from './scenarios/types.js';

// Every scenario `npm run bench` runs, in order. Add a scenario with one line.
export const scenarios: BenchScenario[] = [
  backfillScenario,
  streamingScenario,
  perRecordBaselineScenario,
  engagementScenario,
];

// Queue throughput of the bridge runtime on both store backends: how fast producers queue record
// changes, and how fast a worker moves them through a flow that does no I/O (the runtime's own
// overhead: fetching, collapsing, completing, sync-log lines). Not a test; run it with
//   npx tsx test/bridge/bench/queue-throughput.ts [records]
// The server backend needs TEST_DATABASE_URL or the PostgreSQL server binaries (as the test suite).
import { rmSync } from 'node:fs';
import { createLogger } from '../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../bridge/src/shared/metrics.js';
import { OutcomeCollector } from '../../../bridge/src/queue/outcomes.js';
import { WorkQueue } from '../../../bridge/src/queue/work-queue.js';
import type { Store } from '../../../bridge/src/store/store.js';
import { setup, teardown } from '../../support/global-postgres.js';
import { embeddedBackend, serverBackend } from '../support/stores.js';

const records = Number(process.argv[2] ?? 20_000);

async function measure(name: string, store: Store): Promise<void> {
  const settings = {
    batchSize: 200,
    maxAttempts: 3,
    retryBaseSeconds: 1,
    retryMaxSeconds: 5,
    pollIntervalMs: 500,
    jobTimeoutSeconds: 600,
  };
  const logger = createLogger({ level: 'silent' });
  let done = 0;
  let resolveDone: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (resolveDone = resolve));
  const makeQueue = (workers: boolean) => {
    const queue = new WorkQueue({ store, logger, metrics: new BridgeMetrics(), instanceId: name, settings });
    queue.defineFlow({
      name: 'f-bench',
      direction: 'salesforce_to_responsys',
      async handle(batch) {
        if (!workers) return new Map();
        done += batch.items.length;
        if (done >= records) resolveDone();
        return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
      },
    });
    return queue;
  };

  const producer = makeQueue(false);
  await producer.start({ workers: false });
  const enqueueStart = process.hrtime.bigint();
  for (let start = 0; start < records; start += 200) {
    await producer.enqueue(
      'f-bench',
      Array.from({ length: Math.min(200, records - start) }, (_, n) => ({
        objectType: 'Contact',
        recordId: `003${String(start + n).padStart(12, '0')}AAA`,
        changeType: 'UPDATE' as const,
        changedFields: ['Email', 'Title'],
      })),
    );
  }
  const enqueueSeconds = Number(process.hrtime.bigint() - enqueueStart) / 1e9;
  await producer.stop(1000);

  const worker = makeQueue(true);
  const processStart = process.hrtime.bigint();
  await worker.start({ workers: true });
  await allDone;
  const processSeconds = Number(process.hrtime.bigint() - processStart) / 1e9;
  await worker.stop(5000);
  const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
  console.log(
    `${name.padEnd(18)} ${records} records: queued ${Math.round(records / enqueueSeconds)}/s ` +
      `(${enqueueSeconds.toFixed(1)} s), processed ${Math.round(records / processSeconds)}/s ` +
      `(${processSeconds.toFixed(1)} s, batches of 200, one sync-log line each), rss ${rss} MB`,
  );
}

setup();
try {
  for (const backend of [serverBackend, embeddedBackend]) {
    const opened = await backend.open();
    try {
      await measure(backend.name, opened.store);
    } finally {
      await opened.cleanup();
      if (opened.dataDir) rmSync(opened.dataDir, { recursive: true, force: true });
    }
  }
} finally {
  teardown();
}

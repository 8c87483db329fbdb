import PgBoss from 'pg-boss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OutcomeCollector, type FlowBatch, type WorkItem } from '../../bridge/src/queue/outcomes.js';
import { pgBossDb } from '../../bridge/src/queue/pg-boss-db.js';
import type { RecordChangeInput } from '../../bridge/src/queue/record-change.js';
import { expressQueueOf, type FlowDefinition, type WorkQueue } from '../../bridge/src/queue/work-queue.js';
import { BridgeMetrics } from '../../bridge/src/shared/metrics.js';
import type { Store } from '../../bridge/src/store/store.js';
import { createWorkQueue, eventually } from './support/queue-harness.js';
import { storeBackends } from './support/stores.js';

const lead = (n: number) => `00Q${String(n).padStart(12, '0')}AAA`;

function update(
  n: number,
  fields: string[] = ['Title'],
  extra: Partial<RecordChangeInput> = {},
): RecordChangeInput {
  return {
    objectType: 'Lead',
    recordId: lead(n),
    changeType: 'UPDATE',
    changedFields: fields,
    source: 'test',
    ...extra,
  };
}

describe.each(storeBackends)('work queue on $name', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const running: WorkQueue[] = [];
  let flowCounter = 0;

  beforeAll(async () => {
    ({ store, cleanup } = await backend.open());
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((queue) => queue.stop(1000)));
  });
  afterAll(async () => {
    await cleanup?.();
  });

  const nextFlowName = () => `f-test-${(flowCounter += 1)}`;

  /** A producer-only queue (like the CLI) and, once started, a worker queue for the same flow. */
  function flowPair(
    definition: Omit<FlowDefinition, 'name' | 'direction'> & { direction?: FlowDefinition['direction'] },
    options: Parameters<typeof createWorkQueue>[1] = {},
  ) {
    const name = nextFlowName();
    const full: FlowDefinition = { direction: 'salesforce_to_responsys', ...definition, name };
    const producer = createWorkQueue(store, options);
    producer.defineFlow(full);
    const worker = createWorkQueue(store, options);
    worker.defineFlow(full);
    running.push(producer, worker);
    return { name, producer, worker };
  }

  function recordingHandler(
    decide: (item: WorkItem, batch: FlowBatch) => ReturnType<OutcomeCollector['succeeded']> | void = () =>
      undefined,
  ) {
    const batches: WorkItem[][] = [];
    const handle = async (batch: FlowBatch) => {
      batches.push(batch.items);
      const outcomes = new OutcomeCollector();
      for (const item of batch.items) {
        decide(item, batch);
      }
      return outcomes.outcomes;
    };
    return { batches, handle };
  }

  it('collapses several changes to one record in a batch into one item with the strongest change type', async () => {
    const batches: WorkItem[][] = [];
    const { name, producer, worker } = flowPair({
      expressLane: false,
      async handle(batch) {
        batches.push(batch.items);
        return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
      },
    });
    await producer.start({ workers: false });
    const at = (second: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString();
    const result = await producer.enqueue(name, [
      update(1, ['Title'], { occurredAt: at(1), correlationId: 'c-first' }),
      update(1, ['Phone'], { occurredAt: at(2) }),
      {
        objectType: 'Lead',
        recordId: lead(1),
        changeType: 'OPT_OUT',
        changedFields: ['HasOptedOutOfEmail'],
        occurredAt: at(3),
      },
      update(1, ['City'], { occurredAt: at(4), correlationId: 'c-last' }),
      update(2, ['Title'], { occurredAt: at(1) }),
      update(3, ['Title'], { occurredAt: at(1) }),
    ]);
    expect(result).toMatchObject({ queued: 6, rejected: [] });
    await worker.start({ workers: true });
    await eventually('the batch', () => batches.length > 0);
    expect(batches).toHaveLength(1);
    const items = batches[0]!;
    expect(items).toHaveLength(3);
    const merged = items.find((item) => item.recordId === lead(1))!;
    expect(merged).toMatchObject({
      changeType: 'OPT_OUT',
      collapsed: 4,
      attempt: 1,
      correlationId: 'c-first',
      occurredAt: at(1),
    });
    expect(merged.changeTypes.sort()).toEqual(['OPT_OUT', 'UPDATE']);
    expect(merged.changedFields.sort()).toEqual(['City', 'HasOptedOutOfEmail', 'Phone', 'Title']);
    expect(merged.correlationIds).toContain('c-last');

    const history = await eventually('the sync log', async () => {
      const entries = await store.syncLog.historyFor('c-first');
      return entries.length > 0 && entries;
    });
    expect(history[0]).toMatchObject({ outcome: 'succeeded', changeType: 'OPT_OUT', salesforceId: lead(1) });
    expect(history[0]!.details).toMatchObject({ collapsed: 4 });
  });

  it('completes, retries and dead-letters records of one batch of 200 individually', async () => {
    let attemptsOf58 = 0;
    const seen = new Map<string, number>();
    const { name, producer, worker } = flowPair({
      async handle(batch) {
        const outcomes = new OutcomeCollector();
        for (const item of batch.items) {
          seen.set(item.recordId, (seen.get(item.recordId) ?? 0) + 1);
          if (item.recordId === lead(57)) {
            outcomes.failed(item, 'EMAIL_ADDRESS_ is not a valid email address', {
              retryable: false,
              code: 'INVALID_EMAIL',
            });
          } else if (item.recordId === lead(58) && (attemptsOf58 += 1) === 1) {
            outcomes.failed(item, 'Responsys answered 503 Service Unavailable');
          } else {
            outcomes.succeeded(item, { riid: `r-${item.recordId}`, email: `${item.recordId}@example.com` });
          }
        }
        return outcomes.outcomes;
      },
    });
    await producer.start({ workers: false });
    await producer.enqueue(
      name,
      Array.from({ length: 200 }, (_, n) => update(n)),
    );
    await worker.start({ workers: true });
    await eventually('record 58 to succeed on its second attempt', () => attemptsOf58 >= 2);

    const deadLetters = await eventually('the dead letter', async () => {
      const list = await store.deadLetters.list({ flow: name });
      return list.length > 0 && list;
    });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      recordKey: lead(57),
      reason: 'EMAIL_ADDRESS_ is not a valid email address',
      errorCode: 'INVALID_EMAIL',
      attempts: 1,
    });
    expect(deadLetters[0]!.payload).toMatchObject({
      flow: name,
      change: { recordId: lead(57), changeType: 'UPDATE' },
    });

    const succeeded = await eventually('199 successes in the sync log', async () => {
      const rows = await store.db.query<{ outcome: string; count: number }>(
        'SELECT outcome, count(*)::int AS count FROM bridge.sync_log WHERE flow = $1 GROUP BY outcome ORDER BY outcome',
        [name],
      );
      const counts = Object.fromEntries(rows.rows.map((row) => [row.outcome, row.count]));
      return counts.succeeded === 199 && counts;
    });
    expect(succeeded).toEqual({ dead_lettered: 1, retrying: 1, succeeded: 199 });
    const retried = await store.syncLog.historyFor(lead(58));
    expect(retried.map((entry) => [entry.outcome, entry.attempt])).toEqual([
      ['succeeded', 2],
      ['retrying', 1],
    ]);
    expect(retried[1]!.details).toHaveProperty('nextAttemptAt');
    expect(seen.get(lead(0))).toBe(1);
    expect(seen.get(lead(57))).toBe(1);
    expect((await store.syncLog.historyFor(lead(3)))[0]).toMatchObject({
      riid: `r-${lead(3)}`,
      email: `${lead(3)}@example.com`,
    });
  });

  it('retries a failing record with growing delays, then dead-letters it; an operator retry runs it again', async () => {
    let fail = true;
    const attempts: Array<{ attempt: number; at: number }> = [];
    const { name, producer, worker } = flowPair(
      {
        async handle(batch) {
          const outcomes = new OutcomeCollector();
          for (const item of batch.items) {
            attempts.push({ attempt: item.attempt, at: Date.now() });
            if (fail)
              outcomes.failed(item, 'Salesforce answered UNABLE_TO_LOCK_ROW', { code: 'UNABLE_TO_LOCK_ROW' });
            else outcomes.succeeded(item);
          }
          return outcomes.outcomes;
        },
      },
      { settings: { maxAttempts: 3, retryBaseSeconds: 0.6, retryMaxSeconds: 5 } },
    );
    await producer.start({ workers: false });
    await producer.enqueue(name, update(7, ['Email'], { correlationId: 'c-retry' }));
    await worker.start({ workers: true });
    const [deadLetter] = await eventually('the dead letter', async () => {
      const list = await store.deadLetters.list({ flow: name });
      return list.length > 0 && list;
    });
    expect(attempts.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
    // With random = 0 the delay is half the exponential ceiling: 0.3 s, then 0.6 s.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(300);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(600);
    expect(deadLetter).toMatchObject({
      attempts: 3,
      errorCode: 'UNABLE_TO_LOCK_ROW',
      correlationId: 'c-retry',
    });
    expect(deadLetter!.payload).toMatchObject({
      attempt: 3,
      lastError: 'Salesforce answered UNABLE_TO_LOCK_ROW',
    });
    const log = await store.syncLog.historyFor('c-retry');
    expect(log.map((entry) => entry.outcome)).toEqual(['dead_lettered', 'retrying', 'retrying']);

    fail = false;
    const retried = await worker.retryDeadLetters([deadLetter!.id], 'test-operator');
    expect(retried).toHaveLength(1);
    expect(await worker.retryDeadLetters([deadLetter!.id], 'test-operator')).toEqual([]);
    await eventually('the operator retry to succeed', async () => {
      const entries = await store.syncLog.historyFor('c-retry');
      return entries[0]?.outcome === 'succeeded';
    });
    expect(attempts.at(-1)?.attempt).toBe(1);
    expect((await store.deadLetters.get(deadLetter!.id))?.status).toBe('retried');
  });

  it('retries every record of a batch whose handler throws, each on its own', async () => {
    let calls = 0;
    const batchSizes: number[] = [];
    const { name, producer, worker } = flowPair({
      async handle(batch) {
        batchSizes.push(batch.items.length);
        if ((calls += 1) === 1) throw new Error('socket hang up');
        return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
      },
    });
    await producer.start({ workers: false });
    await producer.enqueue(name, [update(1), update(2), update(3)]);
    await worker.start({ workers: true });
    await eventually('three successes', async () => {
      const { rows } = await store.db.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM bridge.sync_log WHERE flow = $1 AND outcome = 'succeeded'`,
        [name],
      );
      return rows[0]!.count === 3;
    });
    const retrying = await store.syncLog.recent({ flow: name, outcome: 'retrying' });
    expect(retrying.map((entry) => entry.reason)).toEqual([
      'socket hang up',
      'socket hang up',
      'socket hang up',
    ]);
    expect(batchSizes[0]).toBe(3);
  });

  it('treats a record the flow forgot to answer for as failed, so it is retried rather than lost', async () => {
    const { name, producer, worker } = flowPair({
      async handle(batch) {
        const outcomes = new OutcomeCollector();
        for (const item of batch.items)
          if (item.attempt > 1 || item.recordId !== lead(2)) outcomes.succeeded(item);
        return outcomes.outcomes;
      },
    });
    await producer.start({ workers: false });
    await producer.enqueue(name, [update(1), update(2)]);
    await worker.start({ workers: true });
    const entries = await eventually('record 2 to succeed', async () => {
      const history = await store.syncLog.historyFor(lead(2));
      return history.some((entry) => entry.flow === name && entry.outcome === 'succeeded') && history;
    });
    expect(entries.find((entry) => entry.outcome === 'retrying')).toMatchObject({ errorCode: 'NO_OUTCOME' });
  });

  it('turns a record whose batch keeps outliving the job timeout into a dead letter marked LOST', async () => {
    let runs = 0;
    const { name, producer, worker } = flowPair(
      {
        async handle(batch) {
          runs += 1;
          await new Promise((resolve) => setTimeout(resolve, 2500));
          return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
        },
      },
      { lostRetryLimit: 0, settings: { jobTimeoutSeconds: 1 } },
    );
    await producer.start({ workers: false });
    await producer.enqueue(name, update(31, ['Email'], { correlationId: 'c-lost' }));
    await worker.start({ workers: true });
    const deadLetter = await eventually('the lost job to become a dead letter', async () => {
      const [letter] = await store.deadLetters.forRecords(['c-lost']);
      return letter;
    });
    expect(deadLetter).toMatchObject({
      flow: name,
      queue: name,
      errorCode: 'LOST',
      recordKey: lead(31),
      attempts: 1,
    });
    // pg-boss takes the job back either when the handler outlives it or when maintenance finds it expired.
    expect(deadLetter.reason).toMatch(
      /^processing stopped unexpectedly 1 time\(s\) \(crash, timeout or shutdown\); last: (handler execution exceeded 1000ms|job failed by timeout in active state)$/,
    );
    // The handler that outlived its job finds it taken back and neither completes nor retries it.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(runs).toBe(1);
    expect(await store.syncLog.historyFor('c-lost')).toEqual([]);
  });

  it('reports invalid changes at enqueue time and queues the valid ones', async () => {
    const { name, producer } = flowPair({ handle: async () => new Map() });
    await producer.start({ workers: false });
    const result = await producer.enqueue(name, [
      update(1),
      { objectType: 'Lead', recordId: '', changeType: 'UPDATE' },
      { objectType: 'Lead', recordId: lead(3), changeType: 'RENAMED' as never },
    ]);
    expect(result.queued).toBe(1);
    expect(result.rejected.map((entry) => entry.index)).toEqual([1, 2]);
    expect(result.rejected[0]!.reason).toMatch(/recordId/);
    expect(result.rejected[1]!.reason).toMatch(/changeType/);
  });

  it('dead-letters a malformed job instead of crashing the worker', async () => {
    const { batches, handle } = recordingHandler();
    const { name, worker } = flowPair({ handle });
    await worker.start({ workers: true });
    const boss = new PgBoss({ db: pgBossDb(store.db) as PgBoss.Db, supervise: false, schedule: false });
    await boss.start();
    await boss.send(name, { something: 'else' });
    await boss.stop({ graceful: false, close: false });
    const [deadLetter] = await eventually('the dead letter', async () => {
      const list = await store.deadLetters.list({ flow: 'unknown' });
      return list.some((entry) => entry.queue === name) && list.filter((entry) => entry.queue === name);
    });
    expect(deadLetter).toMatchObject({ errorCode: 'MALFORMED_JOB', payload: { something: 'else' } });
    expect(deadLetter!.reason).toMatch(/malformed job payload/);
    expect(batches).toEqual([]);
  });

  it('keeps the store open until a batch that outlived the shutdown timeout is answered and its jobs settled', async () => {
    // Its own store: the test closes it right after stop(), as the bridge does.
    const own = await backend.open();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const name = nextFlowName();
      let batchStarted!: () => void;
      const started = new Promise<void>((resolve) => (batchStarted = resolve));
      let batchEnded!: () => void;
      const ended = new Promise<void>((resolve) => (batchEnded = resolve));
      const queue = createWorkQueue(own.store);
      queue.defineFlow({
        name,
        direction: 'salesforce_to_responsys',
        async handle(batch) {
          batchStarted();
          // A call that cannot be cut short: the flow answers a while after the abort.
          await new Promise((resolve) => batch.signal.addEventListener('abort', resolve));
          await new Promise((resolve) => setTimeout(resolve, 1500));
          batchEnded();
          return new OutcomeCollector().rest(batch.items, {
            status: 'failed',
            error: 'the bridge shut down before this record was sent',
          }).outcomes;
        },
      });
      await queue.start({ workers: true });
      await queue.enqueue(name, update(41));
      await started;
      await queue.stop(2000);
      await own.cleanup();
      await ended;
      // pg-boss completes a batch without awaiting it: a statement on the closed store would reject now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('takes an opt-out ahead of queued work, through the express queue', async () => {
    const order: string[] = [];
    const { name, producer, worker } = flowPair(
      {
        batchSize: 10,
        async handle(batch) {
          for (const item of batch.items) order.push(item.changeType === 'OPT_OUT' ? 'opt-out' : 'update');
          await new Promise((resolve) => setTimeout(resolve, 150));
          return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
        },
      },
      { settings: { batchSize: 10 } },
    );
    await producer.start({ workers: false });
    await producer.enqueue(
      name,
      Array.from({ length: 60 }, (_, n) => update(n)),
    );
    const optOut = await producer.enqueue(name, {
      objectType: 'Contact',
      recordId: '003000000000001AAA',
      changeType: 'OPT_OUT',
      changedFields: ['HasOptedOutOfEmail'],
    });
    const job = await (async () => {
      const { rows } = await store.db.query<{ name: string; priority: number }>(
        'SELECT name, priority FROM pgboss.job WHERE id = $1',
        [optOut.jobIds[0]],
      );
      return rows[0];
    })();
    expect(job).toEqual({ name: expressQueueOf(name), priority: 100 });
    await worker.start({ workers: true });
    await eventually('all 61 records', () => order.length === 61);
    expect(order.indexOf('opt-out')).toBeLessThan(20);
  });

  it('keeps a flow’s opt-outs on its own express queue, untouched by processes that do not run the flow', async () => {
    const handled: string[] = [];
    const { name, producer } = flowPair({ handle: async () => new Map() });
    await producer.start({ workers: false });
    const other = createWorkQueue(store);
    running.push(other);
    other.defineFlow({
      name: nextFlowName(),
      direction: 'salesforce_to_responsys',
      handle: async () => new Map(),
    });
    await other.start({ workers: true });
    const { jobIds } = await producer.enqueue(name, {
      objectType: 'Lead',
      recordId: lead(70),
      changeType: 'OPT_OUT',
    });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const { rows } = await store.db.query<{ name: string; state: string }>(
      'SELECT name, state::text FROM pgboss.job WHERE id = $1',
      [jobIds[0]],
    );
    expect(rows[0]).toEqual({ name: expressQueueOf(name), state: 'created' });

    const owner = createWorkQueue(store);
    running.push(owner);
    owner.defineFlow({
      name,
      direction: 'salesforce_to_responsys',
      async handle(batch) {
        handled.push(...batch.items.map((item) => item.recordId));
        return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
      },
    });
    await owner.start({ workers: true });
    await eventually('the owner to handle it', () => handled.includes(lead(70)));
  });

  it('fetches higher-priority changes first within a flow queue', async () => {
    const firstBatch: WorkItem[] = [];
    const { name, producer, worker } = flowPair(
      {
        batchSize: 5,
        expressLane: false,
        async handle(batch) {
          if (firstBatch.length === 0) firstBatch.push(...batch.items);
          return new OutcomeCollector().rest(batch.items, { status: 'succeeded' }).outcomes;
        },
      },
      { settings: { batchSize: 5 } },
    );
    await producer.start({ workers: false });
    await producer.enqueue(
      name,
      Array.from({ length: 20 }, (_, n) => update(n)),
    );
    await producer.enqueue(name, [
      { objectType: 'Lead', recordId: lead(90), changeType: 'OPT_OUT' },
      { objectType: 'Lead', recordId: lead(91), changeType: 'DELETE' },
    ]);
    await worker.start({ workers: true });
    await eventually('the first batch', () => firstBatch.length > 0);
    expect(firstBatch.map((item) => item.changeType)).toEqual(expect.arrayContaining(['OPT_OUT', 'DELETE']));
  });

  it('routes dispatched changes to every flow that accepts them', async () => {
    const queue = createWorkQueue(store);
    running.push(queue);
    const leadFlow = nextFlowName();
    const anyFlow = nextFlowName();
    queue.defineFlow({
      name: leadFlow,
      direction: 'salesforce_to_responsys',
      accepts: (c) => c.objectType === 'Lead',
      handle: async () => new Map(),
    });
    queue.defineFlow({
      name: anyFlow,
      direction: 'salesforce_to_responsys',
      accepts: () => true,
      handle: async () => new Map(),
    });
    await queue.start({ workers: false });
    const result = await queue.dispatch([
      update(1),
      { objectType: 'Contact', recordId: '003000000000009AAA', changeType: 'UPDATE' },
    ]);
    expect(result.queued).toBe(3);
    const stats = await queue.stats();
    expect(stats.queues.find((entry) => entry.name === leadFlow)?.created).toBe(1);
    expect(stats.queues.find((entry) => entry.name === anyFlow)?.created).toBe(2);
  });

  it('enqueues inside a caller’s transaction, so a rollback queues nothing', async () => {
    const { name, producer } = flowPair({ handle: async () => new Map() });
    await producer.start({ workers: false });
    await expect(
      store.transaction(async (repos, tx) => {
        await producer.enqueue(name, update(1), { tx });
        await repos.replayCursors.save('/event/Test__e', 5);
        throw new Error('crash before commit');
      }),
    ).rejects.toThrow('crash before commit');
    expect((await producer.stats()).queues.find((entry) => entry.name === name)?.created).toBe(0);
    await store.transaction(async (repos, tx) => {
      await producer.enqueue(name, update(1), { tx });
      await repos.replayCursors.save('/event/Test__e', 5);
    });
    expect((await producer.stats()).queues.find((entry) => entry.name === name)?.created).toBe(1);
  });

  it('runs a task once when asked twice before it starts, and counts records in metrics', async () => {
    const metrics = new BridgeMetrics();
    const runs: object[] = [];
    const queue = createWorkQueue(store, { metrics });
    running.push(queue);
    const task = `task-${(flowCounter += 1)}`;
    queue.defineTask<{ campaignId: string }>({
      name: task,
      async run(data) {
        runs.push(data);
      },
    });
    await queue.start({ workers: false });
    expect(await queue.runTask(task, { campaignId: '701000000000001' })).toEqual(expect.any(String));
    expect(await queue.runTask(task, { campaignId: '701000000000001' })).toBeNull();
    const worker = createWorkQueue(store);
    running.push(worker);
    worker.defineTask<{ campaignId: string }>({ name: task, run: async (data) => void runs.push(data) });
    await worker.start({ workers: true });
    await eventually('the task to run', () => runs.length === 1);
    expect(runs).toEqual([{ campaignId: '701000000000001' }]);
    const text = (await metrics.render()).body;
    expect(text).toMatch(new RegExp(`responsys_bridge_jobs\\{queue="${task}",state="completed"\\} 1`));
  });
});

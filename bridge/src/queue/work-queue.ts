import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import { z } from 'zod';
import { backoffDelayMs } from '../shared/backoff.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { withCorrelation } from '../shared/correlation.js';
import { BridgeError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { BridgeMetrics, QueueStateCounts } from '../shared/metrics.js';
import type { Queryable } from '../store/database.js';
import type { DeadLetter, DeadLetterInput } from '../store/dead-letters.js';
import type { Store } from '../store/store.js';
import type { SyncDirection } from '../store/sync-ledger.js';
import type { SyncLogInput } from '../store/sync-log.js';
import type { BatchOutcomes, FlowBatch, FlowHandler, RecordOutcome, WorkItem } from './outcomes.js';
import { pgBossConnection, pgBossDb, type PgBossConnection } from './pg-boss-db.js';
import {
  changeTypes,
  defaultCollapseKey,
  mergeChanges,
  normaliseChange,
  priorityOf,
  type RecordChange,
  type RecordChangeInput,
} from './record-change.js';

// The durable work queue (pg-boss on the bridge's PostgreSQL, embedded or server).
//
// - One queue per flow. Producers enqueue record changes; workers take batches of up to 200 jobs,
//   collapse several changes to one record into one work item, and hand the batch to the flow.
// - The flow answers with one outcome per item. Each item is then completed, scheduled for another
//   attempt (a fresh job carrying the merged change, after an exponential delay with jitter), or
//   turned into a dead letter (attempts exhausted, or an error retrying cannot fix) — in one
//   transaction with its sync-log lines. A bad record never fails its batch.
// - Opt-outs jump the line twice over: they carry the highest priority in their flow's queue, and
//   they go to the flow's express queue with its own worker, so they never wait behind a long batch.
// - Jobs lost to a crash or a timeout come back through pg-boss's own retry; after too many of those
//   they land in a lost-jobs queue and become dead letters too. Delivery is at least once: handlers
//   must be idempotent (merges and upserts on external ids are).
// - Tasks: named, non-record jobs (reconciliations, "sync this campaign") run once cluster-wide, on
//   demand or on a cron schedule.

export const LOST_JOBS_QUEUE = 'bridge-lost-jobs';
const EXPRESS_SUFFIX = '-express';
const PGBOSS_SCHEMA = 'pgboss';
const QUEUE_SETUP_LOCK_KEY = 'responsys-bridge.queue-setup';
const DEFAULT_LOST_RETRY_LIMIT = 10;
const QUEUE_NAME = /^[a-z][a-z0-9-]{1,40}$/;

/** The express queue of a flow: its opt-outs, worked by their own worker. */
export function expressQueueOf(flow: string): string {
  return `${flow}${EXPRESS_SUFFIX}`;
}

export interface FlowDefinition {
  /** the flow's queue name, e.g. `f1-lead-to-program` */
  name: string;
  direction: SyncDirection;
  handle: FlowHandler;
  /** which changes `dispatch()` routes to this flow; without it, only explicit `enqueue()` */
  accepts?: (change: RecordChange) => boolean;
  /** at most the configured batch size (200) */
  batchSize?: number;
  maxAttempts?: number;
  /** parallel workers in this process (default 1) */
  concurrency?: number;
  /** records that are "the same" for collapsing; default objectType:recordId */
  collapseKey?: (change: RecordChange) => string;
  /** send opt-outs through the flow's own express queue and worker (default true) */
  expressLane?: boolean;
}

export interface TaskContext {
  jobId: string;
  correlationId: string;
  signal: AbortSignal;
  log: Logger;
}

export interface TaskDefinition<Data extends object = Record<string, unknown>> {
  /** the task's queue name, e.g. `f6-sync-campaign` */
  name: string;
  run(data: Data, context: TaskContext): Promise<unknown>;
  /** cron expression (UTC unless tz); runs once cluster-wide per tick */
  schedule?: string;
  tz?: string;
  retryLimit?: number;
  timeoutSeconds?: number;
}

export interface EnqueueOptions {
  /** enqueue inside this transaction (e.g. with the replay cursor save) */
  tx?: Queryable;
  /** overrides the priority derived from the change type */
  priority?: number;
  startAfter?: Date;
}

export interface EnqueueResult {
  queued: number;
  jobIds: string[];
  /** inputs that were not valid changes, with the reason; the others are queued */
  rejected: Array<{ index: number; reason: string }>;
}

export interface QueueSettings {
  batchSize: number;
  maxAttempts: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  pollIntervalMs: number;
  jobTimeoutSeconds: number;
}

export interface WorkQueueOptions {
  store: Store;
  logger: Logger;
  metrics: BridgeMetrics;
  settings: QueueSettings;
  instanceId: string;
  clock?: Clock;
  random?: () => number;
  /** pg-boss maintenance (expiry of lost jobs, archiving); tests shorten it */
  maintenanceIntervalSeconds?: number;
  /** crash/timeout/shutdown re-runs a job gets before it counts as lost (default 10) */
  lostRetryLimit?: number;
}

export interface QueueStat {
  name: string;
  kind: 'flow' | 'express' | 'task' | 'lost-jobs';
  created: number;
  retry: number;
  active: number;
  completed: number;
  failed: number;
}

export interface QueueStats {
  queues: QueueStat[];
  deadLetters: Array<{ flow: string; count: number }>;
}

const queuedChangeSchema = z.object({
  flow: z.string().min(1),
  queue: z.string().min(1),
  change: z.object({
    objectType: z.string(),
    recordId: z.string(),
    changeType: z.enum(changeTypes),
    changedFields: z.array(z.string()),
    previousValue: z.string().nullable(),
    newValue: z.string().nullable(),
    relatedId: z.string().nullable(),
    correlationId: z.string(),
    occurredAt: z.string(),
    source: z.string(),
    data: z.record(z.string(), z.unknown()),
    changeTypes: z.array(z.enum(changeTypes)),
    correlationIds: z.array(z.string()),
  }),
  attempt: z.number().int().min(0),
  firstQueuedAt: z.string(),
  lastError: z.string().nullable().optional(),
});

/** The payload of a flow job. */
export type QueuedChange = z.infer<typeof queuedChangeSchema>;

type Job = PgBoss.JobWithMetadata<unknown>;

interface ParsedJob {
  job: Job;
  payload: QueuedChange;
}

interface RegisteredFlow extends Required<Omit<FlowDefinition, 'accepts' | 'collapseKey'>> {
  accepts?: (change: RecordChange) => boolean;
  collapseKey: (change: RecordChange) => string;
}

interface ItemAction {
  item: WorkItem;
  jobIds: string[];
  outcome: RecordOutcome;
  kind: 'done' | 'retry' | 'dead';
  delayMs: number;
}

export class WorkQueue {
  private readonly flowsByName = new Map<string, RegisteredFlow>();
  private readonly tasksByName = new Map<string, TaskDefinition<object>>();
  private readonly workerIds = new Map<string, string[]>();
  private readonly abort = new AbortController();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private boss: PgBoss | undefined;
  private bossConnection: PgBossConnection | undefined;
  /** batches handed to a flow or task and not yet answered */
  private readonly batchesInFlight = new Set<Promise<void>>();
  private runningWorkers = false;
  private stopping = false;
  private pendingNotify = new Set<string>();

  constructor(private readonly options: WorkQueueOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.log = options.logger.child({ component: 'queue' });
  }

  private get lostRetryLimit(): number {
    return this.options.lostRetryLimit ?? DEFAULT_LOST_RETRY_LIMIT;
  }

  get settings(): QueueSettings {
    return this.options.settings;
  }

  /** Registers a flow. Call before start(). */
  defineFlow(definition: FlowDefinition): void {
    this.assertNewName(definition.name);
    const batchSize = Math.min(definition.batchSize ?? this.settings.batchSize, this.settings.batchSize);
    this.flowsByName.set(definition.name, {
      name: definition.name,
      direction: definition.direction,
      handle: definition.handle,
      accepts: definition.accepts,
      batchSize,
      maxAttempts: definition.maxAttempts ?? this.settings.maxAttempts,
      concurrency: Math.max(1, definition.concurrency ?? 1),
      collapseKey: definition.collapseKey ?? defaultCollapseKey,
      expressLane: definition.expressLane ?? true,
    });
  }

  /** Registers a task (on-demand and/or scheduled job). Call before start(). */
  defineTask<Data extends object>(definition: TaskDefinition<Data>): void {
    this.assertNewName(definition.name);
    this.tasksByName.set(definition.name, definition as unknown as TaskDefinition<object>);
  }

  private assertNewName(name: string): void {
    if (this.boss) throw new Error(`Flows and tasks are defined before the queue starts (${name})`);
    if (!QUEUE_NAME.test(name) || name.endsWith(EXPRESS_SUFFIX) || name.startsWith('bridge-')) {
      throw new Error(
        `Invalid queue name "${name}": lower-case letters, digits and dashes, 2-41 characters, ` +
          `not starting with "bridge-" nor ending with "${EXPRESS_SUFFIX}"`,
      );
    }
    if (this.flowsByName.has(name) || this.tasksByName.has(name))
      throw new Error(`Queue "${name}" is defined twice`);
  }

  flowNames(): string[] {
    return [...this.flowsByName.keys()];
  }

  taskNames(): string[] {
    return [...this.tasksByName.keys()];
  }

  /**
   * Connects pg-boss (creating its schema on first use) and the queues. With `workers`, this process
   * also processes jobs, runs maintenance and fires schedules; without, it only produces (the CLI).
   */
  async start({ workers }: { workers: boolean }): Promise<void> {
    if (this.boss) return;
    const scheduled = [...this.tasksByName.values()].some((task) => task.schedule);
    const connection = pgBossConnection(this.options.store.db);
    const boss = new PgBoss({
      db: connection as PgBoss.Db,
      schema: PGBOSS_SCHEMA,
      migrate: true,
      supervise: workers,
      schedule: workers && scheduled,
      maintenanceIntervalSeconds: this.options.maintenanceIntervalSeconds ?? 60,
      archiveCompletedAfterSeconds: 3600,
      deleteAfterDays: 7,
    });
    boss.on('error', (error: Error) => this.log.error({ err: error }, `queue error: ${errorMessage(error)}`));
    await this.underSetupLock(async () => {
      await boss.start();
      await this.createQueues(boss);
    });
    this.boss = boss;
    this.bossConnection = connection;
    this.options.metrics.setQueueStateSource(() => this.stateCounts());
    if (workers) await this.startWorkers(boss);
  }

  /**
   * pg-boss creates its schema and each queue's partition with DDL that races when two processes do it
   * at once (a duplicate schema, or a deadlock between two partitions being attached), so on a shared
   * server the whole setup runs under one advisory lock. The embedded store has one process per data
   * directory, and its single connection could not hold the lock while pg-boss works.
   */
  private async underSetupLock(setup: () => Promise<void>): Promise<void> {
    const { db } = this.options.store;
    if (db.backend === 'embedded') return setup();
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [QUEUE_SETUP_LOCK_KEY]);
      await setup();
    });
  }

  private async createQueues(boss: PgBoss): Promise<void> {
    const common = {
      retryLimit: this.lostRetryLimit,
      retryDelay: 2,
      retryBackoff: true,
      expireInSeconds: this.settings.jobTimeoutSeconds,
      retentionMinutes: 30 * 24 * 60,
    };
    await boss.createQueue(LOST_JOBS_QUEUE, { name: LOST_JOBS_QUEUE, ...common, retryLimit: 3 });
    for (const flow of this.flowsByName.values()) {
      await boss.createQueue(flow.name, { name: flow.name, ...common, deadLetter: LOST_JOBS_QUEUE });
      if (flow.expressLane) {
        const express = expressQueueOf(flow.name);
        await boss.createQueue(express, { name: express, ...common, deadLetter: LOST_JOBS_QUEUE });
      }
    }
    for (const task of this.tasksByName.values()) {
      await boss.createQueue(task.name, {
        name: task.name,
        policy: 'stately',
        retryLimit: task.retryLimit ?? 3,
        retryDelay: 30,
        retryBackoff: true,
        expireInSeconds: task.timeoutSeconds ?? this.settings.jobTimeoutSeconds,
      });
    }
  }

  private async startWorkers(boss: PgBoss): Promise<void> {
    this.runningWorkers = true;
    const pollingIntervalSeconds = this.settings.pollIntervalMs / 1000;
    const work = async (queue: string, batchSize: number, handler: (jobs: Job[]) => Promise<void>) => {
      const id = await boss.work<unknown>(
        queue,
        { batchSize, includeMetadata: true, pollingIntervalSeconds },
        (jobs: Job[]) => this.inFlight(handler(jobs)),
      );
      this.workerIds.set(queue, [...(this.workerIds.get(queue) ?? []), id]);
    };
    for (const flow of this.flowsByName.values()) {
      for (let n = 0; n < flow.concurrency; n += 1) {
        await work(flow.name, flow.batchSize, (jobs) => this.processJobs(flow, flow.name, jobs));
      }
      if (flow.expressLane) {
        const express = expressQueueOf(flow.name);
        await work(express, flow.batchSize, (jobs) => this.processJobs(flow, express, jobs));
      }
    }
    await work(LOST_JOBS_QUEUE, 50, (jobs) => this.ingestLostJobs(jobs));
    for (const task of this.tasksByName.values()) {
      await work(task.name, 1, (jobs) => this.runTaskJob(task, jobs));
      if (task.schedule) await boss.schedule(task.name, task.schedule, {}, { tz: task.tz ?? 'UTC' });
    }
  }

  private inFlight(batch: Promise<void>): Promise<void> {
    this.batchesInFlight.add(batch);
    const answered = () => this.batchesInFlight.delete(batch);
    batch.then(answered, answered);
    return batch;
  }

  private requireBoss(): PgBoss {
    if (!this.boss) throw new BridgeError('QUEUE_UNAVAILABLE', 'The queue is not started');
    return this.boss;
  }

  // ---------------------------------------------------------------- producing

  /** Queues changes for one flow. Invalid inputs are reported in `rejected`; the rest are queued. */
  async enqueue(
    flowName: string,
    input: RecordChangeInput | readonly RecordChangeInput[],
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult> {
    const flow = this.flowsByName.get(flowName) ?? (await this.producerStub(flowName));
    const inputs = Array.isArray(input) ? input : [input as RecordChangeInput];
    const rejected: EnqueueResult['rejected'] = [];
    const changes: RecordChange[] = [];
    const now = this.clock.now();
    inputs.forEach((candidate, index) => {
      try {
        changes.push(normaliseChange(candidate, now));
      } catch (error) {
        rejected.push({ index, reason: validationMessage(error) });
      }
    });
    if (rejected.length > 0) {
      this.log.warn({ flow: flowName, rejected }, `${rejected.length} invalid change(s) were not queued`);
    }
    const jobIds = await this.insertChanges(
      changes.map((change) => ({ flow, change })),
      options,
    );
    return { queued: jobIds.length, jobIds, rejected };
  }

  /** Queues each change for every flow whose `accepts` wants it. */
  async dispatch(input: readonly RecordChangeInput[], options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const rejected: EnqueueResult['rejected'] = [];
    const targets: Array<{ flow: RegisteredFlow; change: RecordChange }> = [];
    const now = this.clock.now();
    input.forEach((candidate, index) => {
      let change: RecordChange;
      try {
        change = normaliseChange(candidate, now);
      } catch (error) {
        rejected.push({ index, reason: validationMessage(error) });
        return;
      }
      for (const flow of this.flowsByName.values()) {
        if (flow.accepts?.(change)) targets.push({ flow, change });
      }
    });
    if (rejected.length > 0)
      this.log.warn({ rejected }, `${rejected.length} invalid change(s) were not queued`);
    const jobIds = await this.insertChanges(targets, options);
    return { queued: jobIds.length, jobIds, rejected };
  }

  // A producer-only process (a CLI command) may queue work for a flow that a bridge process defined:
  // the flow's queue exists in the database even though its handler is not loaded here.
  private async producerStub(flowName: string): Promise<RegisteredFlow> {
    const queue = this.runningWorkers ? null : await this.requireBoss().getQueue(flowName);
    if (
      !queue ||
      queue.policy === 'stately' ||
      flowName.endsWith(EXPRESS_SUFFIX) ||
      flowName.startsWith('bridge-')
    ) {
      throw new BridgeError('NOT_FOUND', `No flow named "${flowName}" is installed`, {
        details: { flows: this.flowNames() },
      });
    }
    return {
      name: flowName,
      direction: 'salesforce_to_responsys',
      handle: async () => new Map(),
      batchSize: this.settings.batchSize,
      maxAttempts: this.settings.maxAttempts,
      concurrency: 1,
      collapseKey: defaultCollapseKey,
      expressLane: (await this.requireBoss().getQueue(expressQueueOf(flowName))) !== null,
    };
  }

  private async insertChanges(
    targets: ReadonlyArray<{ flow: RegisteredFlow; change: RecordChange }>,
    options: EnqueueOptions,
  ): Promise<string[]> {
    if (targets.length === 0) return [];
    const boss = this.requireBoss();
    const now = this.clock.now().toISOString();
    const jobs = targets.map(({ flow, change }) => {
      const queue =
        flow.expressLane && change.changeType === 'OPT_OUT' ? expressQueueOf(flow.name) : flow.name;
      const payload: QueuedChange = { flow: flow.name, queue, change, attempt: 0, firstQueuedAt: now };
      return this.jobInsert(
        queue,
        payload,
        options.priority ?? priorityOf(change.changeType),
        options.startAfter,
      );
    });
    await boss.insert(jobs, options.tx ? { db: pgBossDb(options.tx) as PgBoss.Db } : {});
    this.notifyLocalWorkers(jobs.map((job) => job.name));
    return jobs.map((job) => job.id!);
  }

  private jobInsert(
    queue: string,
    payload: QueuedChange,
    priority: number,
    startAfter?: Date,
  ): PgBoss.JobInsert {
    return {
      id: randomUUID(),
      name: queue,
      data: payload,
      priority,
      ...(startAfter ? { startAfter: startAfter.toISOString() } : {}),
    };
  }

  // Cuts latency: a change queued by this process is picked up at once instead of at the next poll.
  private notifyLocalWorkers(queues: readonly string[]): void {
    if (!this.runningWorkers) return;
    const wasEmpty = this.pendingNotify.size === 0;
    for (const queue of queues) this.pendingNotify.add(queue);
    if (!wasEmpty) return;
    setImmediate(() => {
      const pending = [...this.pendingNotify];
      this.pendingNotify.clear();
      for (const queue of pending)
        for (const id of this.workerIds.get(queue) ?? []) this.boss?.notifyWorker(id);
    });
  }

  /** Starts a task now (unless one is already waiting to start). Returns the job id, or null if one is queued. */
  async runTask(name: string, data: object = {}): Promise<string | null> {
    const boss = this.requireBoss();
    // A producer-only process (the CLI) may start a task that a bridge process defined and created.
    if (!this.tasksByName.has(name) && (await boss.getQueue(name))?.policy !== 'stately') {
      throw new BridgeError('NOT_FOUND', `No task named "${name}" is installed`, {
        details: { tasks: this.taskNames() },
      });
    }
    const id = await boss.send(name, data);
    if (id) this.notifyLocalWorkers([name]);
    return id;
  }

  // ---------------------------------------------------------------- consuming

  private async processJobs(flow: RegisteredFlow, queue: string, jobs: Job[]): Promise<void> {
    const startedAt = this.clock.now();
    const parsed: ParsedJob[] = [];
    const malformed: Array<{ job: Job; reason: string }> = [];
    for (const job of jobs) {
      const result = queuedChangeSchema.safeParse(job.data);
      if (!result.success) {
        malformed.push({ job, reason: `malformed job payload: ${validationMessage(result.error)}` });
      } else if (result.data.flow !== flow.name) {
        malformed.push({
          job,
          reason: `a job of flow "${result.data.flow}" was queued for flow "${flow.name}"`,
        });
      } else parsed.push({ job, payload: result.data });
    }
    const actions = parsed.length > 0 ? await this.runFlow(flow, parsed) : [];
    await this.applyOutcomes(queue, actions, malformed, startedAt);
    // A full batch means more is waiting: fetch again at once rather than after the polling interval.
    if (jobs.length >= flow.batchSize && !this.stopping) {
      for (const id of this.workerIds.get(queue) ?? []) this.boss?.notifyWorker(id);
    }
  }

  private collapse(flow: RegisteredFlow, jobs: ParsedJob[]): Array<{ item: WorkItem; jobIds: string[] }> {
    const ordered = [...jobs].sort(
      (a, b) =>
        a.payload.change.occurredAt.localeCompare(b.payload.change.occurredAt) ||
        a.job.createdOn.getTime() - b.job.createdOn.getTime(),
    );
    const groups = new Map<string, ParsedJob[]>();
    for (const entry of ordered) {
      const key = flow.collapseKey(entry.payload.change);
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    return [...groups].map(([key, group]) => {
      const change = mergeChanges(group.map((entry) => entry.payload.change));
      const attempt = Math.max(...group.map((entry) => entry.payload.attempt)) + 1;
      const firstQueuedAt = group.map((entry) => entry.payload.firstQueuedAt).sort()[0]!;
      return {
        jobIds: group.map((entry) => entry.job.id),
        item: {
          ...change,
          key,
          flow: flow.name,
          attempt,
          maxAttempts: flow.maxAttempts,
          collapsed: group.length,
          firstQueuedAt,
          log: this.options.logger.child({ correlationId: change.correlationId, flow: flow.name }),
        },
      };
    });
  }

  private async runFlow(flow: RegisteredFlow, jobs: ParsedJob[]): Promise<ItemAction[]> {
    const collapsed = this.collapse(flow, jobs);
    const items = collapsed.map((entry) => entry.item);
    const batch: FlowBatch = {
      flow: flow.name,
      direction: flow.direction,
      items,
      signal: this.abort.signal,
      log: this.options.logger.child({ flow: flow.name }),
    };
    let outcomes: BatchOutcomes;
    try {
      outcomes = await withCorrelation(
        { flow: flow.name, correlationIds: items.map((item) => item.correlationId) },
        () => flow.handle(batch),
      );
      if (!(outcomes instanceof Map))
        throw new Error('the flow handler must return a Map of outcomes by item key');
    } catch (error) {
      // The whole batch failed (service down, bug): every record is retried on its own.
      batch.log.error({ err: error, records: items.length }, `flow batch failed: ${errorMessage(error)}`);
      outcomes = new Map(items.map((item) => [item.key, { status: 'failed', error: errorMessage(error) }]));
    }
    this.options.metrics.batchProcessed({ flow: flow.name }, items.length);
    return collapsed.map(({ item, jobIds }) => {
      const outcome: RecordOutcome = outcomes.get(item.key) ?? {
        status: 'failed',
        error: 'the flow reported no outcome for this record',
        code: 'NO_OUTCOME',
      };
      if (outcome.status !== 'failed') return { item, jobIds, outcome, kind: 'done', delayMs: 0 };
      const exhausted = item.attempt >= item.maxAttempts;
      if (outcome.retryable === false || exhausted)
        return { item, jobIds, outcome, kind: 'dead', delayMs: 0 };
      const backoff = backoffDelayMs(
        item.attempt,
        { baseMs: this.settings.retryBaseSeconds * 1000, maxMs: this.settings.retryMaxSeconds * 1000 },
        this.random,
      );
      return { item, jobIds, outcome, kind: 'retry', delayMs: Math.max(backoff, outcome.retryAfterMs ?? 0) };
    });
  }

  private async applyOutcomes(
    queue: string,
    actions: ItemAction[],
    malformed: Array<{ job: Job; reason: string }>,
    startedAt: Date,
  ): Promise<void> {
    const boss = this.requireBoss();
    const finishedAt = this.clock.now();
    const late =
      finishedAt.getTime() - startedAt.getTime() > this.settings.jobTimeoutSeconds * 900 || this.stopping;
    const owned = await this.options.store.transaction(async (repos, tx) => {
      const db = pgBossDb(tx) as PgBoss.Db;
      let ownedActions = actions;
      const allIds = [
        ...actions.flatMap((action) => action.jobIds),
        ...malformed.map((entry) => entry.job.id),
      ];
      if (allIds.length === 0) return [];
      if (!late) {
        await completeJobs(boss, queue, allIds, db);
      } else {
        // Past the job timeout or shutting down, pg-boss may have taken some jobs back already: act only
        // on the items whose jobs we still hold, so they are not done twice.
        ownedActions = [];
        for (const action of actions) {
          if ((await completeJobs(boss, queue, action.jobIds, db)) > 0) ownedActions.push(action);
        }
        for (const entry of malformed) await completeJobs(boss, queue, [entry.job.id], db);
      }

      const retries = ownedActions.filter((action) => action.kind === 'retry');
      if (retries.length > 0) {
        await boss.insert(
          retries.map((action) =>
            this.jobInsert(
              queue,
              this.payloadOf(action, queue),
              priorityOf(action.item.changeType),
              new Date(finishedAt.getTime() + action.delayMs),
            ),
          ),
          { db },
        );
      }
      const dead: DeadLetterInput[] = ownedActions
        .filter((action) => action.kind === 'dead')
        .map((action) => ({
          flow: action.item.flow,
          queue,
          recordKey: action.item.recordId,
          correlationId: action.item.correlationId,
          payload: this.payloadOf(action, queue),
          reason: action.outcome.status === 'failed' ? action.outcome.error : 'failed',
          errorCode: action.outcome.status === 'failed' ? (action.outcome.code ?? null) : null,
          attempts: action.item.attempt,
          firstQueuedAt: action.item.firstQueuedAt,
          sourceJobId: action.jobIds[0],
        }));
      for (const entry of malformed) {
        const payload = entry.job.data as Partial<QueuedChange> | undefined;
        dead.push({
          flow: typeof payload?.flow === 'string' ? payload.flow : 'unknown',
          queue,
          recordKey: typeof payload?.change?.recordId === 'string' ? payload.change.recordId : 'unknown',
          correlationId:
            typeof payload?.change?.correlationId === 'string' ? payload.change.correlationId : null,
          payload: entry.job.data ?? null,
          reason: entry.reason,
          errorCode: 'MALFORMED_JOB',
          attempts: 1,
          sourceJobId: entry.job.id,
        });
      }
      await repos.deadLetters.add(dead);
      await repos.syncLog.record(
        ownedActions.map((action) => this.syncLogEntry(action, startedAt, finishedAt)),
      );
      return ownedActions;
    });
    this.reportOutcomes(owned, malformed, finishedAt);
  }

  private payloadOf(action: ItemAction, queue: string): QueuedChange {
    const { item } = action;
    const change: RecordChange = {
      objectType: item.objectType,
      recordId: item.recordId,
      changeType: item.changeType,
      changedFields: item.changedFields,
      previousValue: item.previousValue,
      newValue: item.newValue,
      relatedId: item.relatedId,
      correlationId: item.correlationId,
      occurredAt: item.occurredAt,
      source: item.source,
      data: item.data,
      changeTypes: item.changeTypes,
      correlationIds: item.correlationIds,
    };
    return {
      flow: item.flow,
      queue,
      change,
      attempt: item.attempt,
      firstQueuedAt: item.firstQueuedAt,
      lastError: action.outcome.status === 'failed' ? action.outcome.error : null,
    };
  }

  private syncLogEntry(action: ItemAction, startedAt: Date, finishedAt: Date): SyncLogInput {
    const { item, outcome } = action;
    const flow = this.flowsByName.get(item.flow)!;
    const details: Record<string, unknown> = { ...outcome.details };
    if (item.changedFields.length > 0) details.changedFields = item.changedFields;
    if (item.collapsed > 1) {
      details.collapsed = item.collapsed;
      details.changeTypes = item.changeTypes;
      details.correlationIds = item.correlationIds;
    }
    if (action.kind === 'retry')
      details.nextAttemptAt = new Date(finishedAt.getTime() + action.delayMs).toISOString();
    const reason =
      outcome.status === 'failed'
        ? outcome.error
        : outcome.status === 'skipped'
          ? outcome.reason
          : (outcome.reason ?? null);
    return {
      correlationId: item.correlationId,
      flow: item.flow,
      direction: flow.direction,
      outcome:
        action.kind === 'retry'
          ? 'retrying'
          : action.kind === 'dead'
            ? 'dead_lettered'
            : outcome.status === 'skipped'
              ? 'skipped'
              : 'succeeded',
      objectType: item.objectType,
      salesforceId:
        outcome.salesforceId ??
        (/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(item.recordId) ? item.recordId : null),
      riid: outcome.riid ?? null,
      email: outcome.email ?? null,
      changeType: item.changeType,
      reason,
      errorCode: outcome.status === 'succeeded' ? null : (outcome.code ?? null),
      attempt: item.attempt,
      occurredAt: item.occurredAt,
      startedAt,
      finishedAt,
      details: Object.keys(details).length > 0 ? details : null,
    };
  }

  private reportOutcomes(
    actions: ItemAction[],
    malformed: Array<{ job: Job; reason: string }>,
    finishedAt: Date,
  ): void {
    const { metrics } = this.options;
    for (const action of actions) {
      const { item, outcome } = action;
      if (action.kind === 'done') {
        metrics.recordProcessed({
          flow: item.flow,
          outcome: outcome.status === 'skipped' ? 'skipped' : 'succeeded',
        });
        if (outcome.status === 'succeeded') {
          metrics.endToEndLatency(
            { flow: item.flow },
            (finishedAt.getTime() - Date.parse(item.occurredAt)) / 1000,
          );
        }
        item.log.debug(
          {
            recordId: item.recordId,
            outcome: outcome.status,
            reason: outcome.status === 'skipped' ? outcome.reason : undefined,
          },
          `record ${outcome.status}`,
        );
      } else if (action.kind === 'retry') {
        metrics.recordProcessed({ flow: item.flow, outcome: 'retried' });
        item.log.warn(
          { recordId: item.recordId, attempt: item.attempt, retryInMs: action.delayMs },
          `record failed (attempt ${item.attempt} of ${item.maxAttempts}), will retry: ${
            outcome.status === 'failed' ? outcome.error : ''
          }`,
        );
      } else {
        metrics.recordProcessed({ flow: item.flow, outcome: 'dead_lettered' });
        item.log.error(
          { recordId: item.recordId, attempt: item.attempt },
          `record dead-lettered: ${outcome.status === 'failed' ? outcome.error : ''}`,
        );
      }
    }
    for (const entry of malformed) {
      this.log.error({ jobId: entry.job.id }, `job dead-lettered: ${entry.reason}`);
    }
  }

  /** Jobs pg-boss gave up on after repeated crashes or timeouts become dead letters. */
  private async ingestLostJobs(jobs: Job[]): Promise<void> {
    const boss = this.requireBoss();
    await this.options.store.transaction(async (repos, tx) => {
      const dead: DeadLetterInput[] = jobs.map((job) => {
        const parsed = queuedChangeSchema.safeParse(job.data);
        const output = job.output as { message?: string; value?: { message?: string } } | null;
        const last = output?.message ?? output?.value?.message ?? 'no error recorded';
        const payload = parsed.success ? parsed.data : undefined;
        return {
          flow: payload?.flow ?? 'unknown',
          queue: payload?.queue ?? 'unknown',
          recordKey: payload?.change.recordId ?? 'unknown',
          correlationId: payload?.change.correlationId ?? null,
          payload: job.data ?? null,
          reason: `processing stopped unexpectedly ${this.lostRetryLimit + 1} time(s) (crash, timeout or shutdown); last: ${last}`,
          errorCode: 'LOST',
          attempts: this.lostRetryLimit + 1,
          firstQueuedAt: payload?.firstQueuedAt ?? null,
          sourceJobId: job.id,
        };
      });
      await repos.deadLetters.add(dead);
      await completeJobs(
        boss,
        LOST_JOBS_QUEUE,
        jobs.map((job) => job.id),
        pgBossDb(tx) as PgBoss.Db,
      );
    });
    this.log.error({ jobs: jobs.length }, 'lost jobs were turned into dead letters');
  }

  private async runTaskJob(task: TaskDefinition<object>, jobs: Job[]): Promise<void> {
    for (const job of jobs) {
      const correlationId = randomUUID();
      const log = this.options.logger.child({ task: task.name, jobId: job.id, correlationId });
      const started = Date.now();
      log.info('task started');
      try {
        await withCorrelation({ correlationId }, () =>
          task.run((job.data ?? {}) as object, {
            jobId: job.id,
            correlationId,
            signal: this.abort.signal,
            log,
          }),
        );
        log.info({ durationMs: Date.now() - started }, 'task finished');
      } catch (error) {
        log.error({ err: error, attempt: job.retryCount + 1 }, `task failed: ${errorMessage(error)}`);
        // pg-boss retries the task with backoff, then keeps it as failed.
        throw error;
      }
    }
  }

  // ---------------------------------------------------------------- operators

  /** Queues open dead letters again (attempts start over); returns the ones that were still open. */
  async retryDeadLetters(ids: readonly number[], by: string): Promise<DeadLetter[]> {
    const boss = this.requireBoss();
    const retried = await this.options.store.transaction(async (repos, tx) => {
      const handled = await repos.deadLetters.markHandled(ids, 'retried', by);
      const jobs: PgBoss.JobInsert[] = [];
      for (const deadLetter of handled) {
        const parsed = queuedChangeSchema.safeParse(deadLetter.payload);
        if (!parsed.success) {
          throw new BridgeError('CONFLICT', `Dead letter ${deadLetter.id} has no retryable payload`, {
            details: { id: deadLetter.id },
          });
        }
        // Back to the flow's main queue (it always exists); an opt-out still jumps ahead by priority.
        const payload: QueuedChange = { ...parsed.data, queue: parsed.data.flow, attempt: 0 };
        jobs.push(this.jobInsert(payload.queue, payload, priorityOf(payload.change.changeType)));
      }
      if (jobs.length > 0) await boss.insert(jobs, { db: pgBossDb(tx) as PgBoss.Db });
      return handled;
    });
    this.notifyLocalWorkers(retried.map((deadLetter) => (deadLetter.payload as QueuedChange).flow));
    if (retried.length > 0)
      this.log.info({ ids: retried.map((entry) => entry.id), by }, 'dead letters queued again');
    return retried;
  }

  /** Retries every open dead letter (of one flow, or all). */
  async retryAllDeadLetters(flow: string | undefined, by: string): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.options.store.deadLetters.openIds(flow, 500);
      if (ids.length === 0) return total;
      total += (await this.retryDeadLetters(ids, by)).length;
    }
  }

  async stats(): Promise<QueueStats> {
    const boss = this.requireBoss();
    const counts = (await (boss as unknown as { countStates(): Promise<PgBoss.MonitorStates> }).countStates())
      .queues;
    const kinds = new Map<string, QueueStat['kind']>([
      ...[...this.flowsByName.values()].flatMap((flow) => [
        [flow.name, 'flow'] as const,
        ...(flow.expressLane ? [[expressQueueOf(flow.name), 'express'] as const] : []),
      ]),
      ...[...this.tasksByName.keys()].map((name) => [name, 'task'] as const),
      [LOST_JOBS_QUEUE, 'lost-jobs'],
    ]);
    const queues = [...kinds].map(([name, kind]) => {
      const state = counts[name];
      return {
        name,
        kind,
        created: state?.created ?? 0,
        retry: state?.retry ?? 0,
        active: state?.active ?? 0,
        completed: state?.completed ?? 0,
        failed: state?.failed ?? 0,
      };
    });
    return { queues, deadLetters: await this.options.store.deadLetters.countOpen() };
  }

  private async stateCounts(): Promise<QueueStateCounts> {
    const stats = await this.stats();
    return {
      jobs: stats.queues.flatMap((queue) =>
        (['created', 'retry', 'active', 'completed', 'failed'] as const).map((state) => ({
          queue: queue.name,
          state,
          count: queue[state],
        })),
      ),
      deadLetters: stats.deadLetters,
    };
  }

  /**
   * Stops taking work; batches in flight may finish within `timeoutMs`, after which their records
   * return to the queue (pg-boss fails them back for another attempt by any process). It returns once
   * nothing of the queue uses the store any more, so the store may be closed next.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.boss || this.stopping) return;
    this.stopping = true;
    const boss = this.boss;
    const deadline = setTimeout(() => this.abort.abort(), Math.max(0, timeoutMs - 500));
    try {
      await boss.stop({ graceful: true, wait: true, timeout: Math.max(1000, timeoutMs), close: false });
      await this.settleInFlight(this.bossConnection!, timeoutMs);
    } finally {
      clearTimeout(deadline);
      this.abort.abort();
      this.runningWorkers = false;
    }
  }

  /**
   * pg-boss stops waiting for batches at its timeout, and completes or fails each batch (also one it
   * fetched while stopping) without awaiting that statement. So the queue waits, for at most
   * `timeoutMs` more, until the batches in flight are answered (their signal is aborted at the
   * deadline) and pg-boss's last statements have ended.
   */
  private async settleInFlight(connection: PgBossConnection, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const settled = (async () => {
      // A turn of the event loop between rounds lets pg-boss issue what it does in microtasks once a
      // batch is answered or a fetch returns.
      do {
        await Promise.allSettled([...this.batchesInFlight, connection.idle()]);
        await new Promise((resolve) => setImmediate(resolve));
      } while (this.batchesInFlight.size > 0 || connection.busy);
      return true;
    })();
    try {
      if (await Promise.race([settled, expired])) return;
    } finally {
      clearTimeout(timer);
    }
    this.log.error(
      { batches: this.batchesInFlight.size },
      `${this.batchesInFlight.size} batch(es) ignored the abort and still run after the shutdown timeout; ` +
        'their jobs return to the queue when they expire',
    );
  }
}

/**
 * Completes jobs on the given connection and returns how many were still active. (pg-boss's typings
 * omit the four-argument form that carries the connection.)
 */
async function completeJobs(boss: PgBoss, queue: string, ids: string[], db: PgBoss.Db): Promise<number> {
  const complete = boss.complete as unknown as (
    name: string,
    ids: string[],
    data: null,
    options: { db: PgBoss.Db },
  ) => Promise<{ affected: number }>;
  const result = await complete.call(boss, queue, ids, null, { db });
  return result.affected;
}

function validationMessage(error: unknown): string {
  if (error instanceof z.ZodError) {
    return error.issues
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'change'}: ${issue.message}`)
      .join('; ');
  }
  return errorMessage(error);
}

import type { BridgeConfig } from '../config/config.js';
import type { QueueStats, WorkQueue } from '../queue/work-queue.js';
import { BridgeError } from '../shared/errors.js';
import { bridgeVersion } from '../shared/version.js';
import type { DeadLetter, DeadLetterFilter } from '../store/dead-letters.js';
import type { Store } from '../store/store.js';
import { explainRecord, type RecordHistory } from './record-history.js';

// What operators ask the bridge, in one place: the admin API and the CLI both call this service, so
// the two always give the same answers.

export interface BridgeStatus {
  version: string;
  node: string;
  mode: BridgeConfig['mode'];
  instanceId: string;
  startedAt: string | null;
  store: { backend: string; location: string };
  queues: QueueStats['queues'];
  deadLetters: { open: number; byFlow: QueueStats['deadLetters'] };
  flows: string[];
  tasks: string[];
  leadership: Array<{
    lock: string;
    holder: string;
    since: string;
    expiresAt: string;
    thisInstance: boolean;
  }>;
  instances: Array<{
    instanceId: string;
    host: string;
    pid: number;
    version: string;
    startedAt: string;
    lastSeenAt: string;
  }>;
  replayCursors: Array<{ channel: string; replayId: number; updatedAt: string }>;
}

export class AdminService {
  constructor(
    private readonly deps: {
      config: BridgeConfig;
      store: Store;
      queue: WorkQueue;
      startedAt?: Date;
    },
  ) {}

  async status(): Promise<BridgeStatus> {
    const { config, store, queue } = this.deps;
    const [stats, leases, instances, cursors] = await Promise.all([
      queue.stats(),
      store.leases.list(),
      store.instances.alive(Math.max(30, config.leaderLeaseSeconds * 2)),
      store.replayCursors.list(),
    ]);
    return {
      version: bridgeVersion,
      node: process.version,
      mode: config.mode,
      instanceId: config.instanceId,
      startedAt: this.deps.startedAt?.toISOString() ?? null,
      store: { backend: store.db.backend, location: store.db.location },
      queues: stats.queues,
      deadLetters: {
        open: stats.deadLetters.reduce((sum, entry) => sum + entry.count, 0),
        byFlow: stats.deadLetters,
      },
      flows: queue.flowNames(),
      tasks: queue.taskNames(),
      leadership: leases.map((lease) => ({
        lock: lease.name,
        holder: lease.holder,
        since: lease.acquiredAt.toISOString(),
        expiresAt: lease.expiresAt.toISOString(),
        thisInstance: lease.holder === config.instanceId,
      })),
      instances: instances.map((instance) => ({
        instanceId: instance.instanceId,
        host: instance.host,
        pid: instance.pid,
        version: instance.version,
        startedAt: instance.startedAt.toISOString(),
        lastSeenAt: instance.heartbeatAt.toISOString(),
      })),
      replayCursors: cursors.map((cursor) => ({
        channel: cursor.channel,
        replayId: cursor.replayId,
        updatedAt: cursor.updatedAt.toISOString(),
      })),
    };
  }

  history(idOrEmail: string): Promise<RecordHistory> {
    return explainRecord(this.deps.store, idOrEmail, {
      retentionDays: this.deps.config.retention.syncLogDays,
    });
  }

  listDeadLetters(filter: DeadLetterFilter): Promise<DeadLetter[]> {
    return this.deps.store.deadLetters.list(filter);
  }

  async deadLetter(id: number): Promise<DeadLetter> {
    const letter = await this.deps.store.deadLetters.get(id);
    if (!letter) throw new BridgeError('NOT_FOUND', `There is no dead letter #${id}`);
    return letter;
  }

  /** Queues one dead letter again; 409 when it was already retried or discarded. */
  async retryDeadLetter(id: number, by: string): Promise<DeadLetter> {
    const letter = await this.deadLetter(id);
    const [retried] = await this.deps.queue.retryDeadLetters([id], by);
    if (!retried) {
      throw new BridgeError('CONFLICT', `Dead letter #${id} is already ${letter.status}`, {
        details: { status: letter.status, handledAt: letter.handledAt, handledBy: letter.handledBy },
      });
    }
    return retried;
  }

  /** Queues open dead letters again: the given ids, or every open one (of one flow). */
  async retryDeadLetters(selection: { ids?: number[]; flow?: string }, by: string): Promise<number> {
    if (selection.ids) return (await this.deps.queue.retryDeadLetters(selection.ids, by)).length;
    return this.deps.queue.retryAllDeadLetters(selection.flow, by);
  }

  async discardDeadLetter(id: number, by: string): Promise<DeadLetter> {
    const letter = await this.deadLetter(id);
    const [discarded] = await this.deps.store.deadLetters.markHandled([id], 'discarded', by);
    if (!discarded) throw new BridgeError('CONFLICT', `Dead letter #${id} is already ${letter.status}`);
    return discarded;
  }

  async runTask(name: string, data: object): Promise<{ jobId: string | null; alreadyQueued: boolean }> {
    const jobId = await this.deps.queue.runTask(name, data);
    return { jobId, alreadyQueued: jobId === null };
  }
}

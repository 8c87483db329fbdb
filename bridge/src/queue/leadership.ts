import type { BridgeMetrics } from '../shared/metrics.js';
import type { Logger } from '../shared/logger.js';
import { errorMessage } from '../shared/errors.js';
import type { Leases } from '../store/leases.js';

// Leadership: exactly one bridge process holds a named lease (e.g. the Streaming API subscription)
// at a time. The holder renews it every third of its lifetime; when the holder dies, the lease
// expires and another process takes over within one lifetime plus one polling interval. A holder that
// cannot renew (database unreachable) steps down before its lease could have expired, so two
// processes never both believe they lead.

export interface LeadershipCallbacks {
  /** Start the work only the leader does. Throwing releases the lease; it is tried again later. */
  onElected(): Promise<void> | void;
  /** Stop that work (lease lost, or shutdown). */
  onDemoted(): Promise<void> | void;
}

export interface LeadershipOptions extends LeadershipCallbacks {
  name: string;
  holder: string;
  ttlSeconds: number;
  leases: Leases;
  logger: Logger;
  metrics?: BridgeMetrics;
}

export class Leadership {
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> = Promise.resolve();
  private stopped = true;
  /** local deadline: past it, without a renewal, we no longer count as leader */
  private validUntil = 0;

  constructor(private readonly options: LeadershipOptions) {}

  get name(): string {
    return this.options.name;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  get intervalMs(): number {
    return Math.max(200, Math.floor((this.options.ttlSeconds * 1000) / 3));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick = this.runTick().finally(() => this.schedule(this.intervalMs));
    }, delayMs);
  }

  private async runTick(): Promise<void> {
    const { leases, name, holder, ttlSeconds, logger } = this.options;
    const startedAt = Date.now();
    try {
      if (this.leader) {
        if (await leases.renew(name, holder, ttlSeconds)) {
          this.validUntil = startedAt + ttlSeconds * 1000;
          return;
        }
        logger.warn({ lock: name }, 'leadership lost: another process took over the lease');
        await this.demote();
        return;
      }
      const lease = await leases.tryAcquire(name, holder, ttlSeconds);
      if (!lease || this.stopped) {
        if (lease) await leases.release(name, holder);
        return;
      }
      this.validUntil = startedAt + ttlSeconds * 1000;
      this.leader = true;
      this.options.metrics?.leadershipChanged(name, true);
      logger.info({ lock: name, holder }, 'leadership acquired');
      try {
        await this.options.onElected();
      } catch (error) {
        logger.error(
          { lock: name, err: error },
          `leader work failed to start, releasing the lease: ${errorMessage(error)}`,
        );
        await this.demote();
        await leases.release(name, holder).catch(() => undefined);
      }
    } catch (error) {
      logger.warn({ lock: name, err: error }, `leadership check failed: ${errorMessage(error)}`);
      // Keep leading only while the last successful renewal still covers us (with a margin).
      if (this.leader && Date.now() > this.validUntil - this.intervalMs) await this.demote();
    }
  }

  private async demote(): Promise<void> {
    if (!this.leader) return;
    this.leader = false;
    this.options.metrics?.leadershipChanged(this.options.name, false);
    try {
      await this.options.onDemoted();
    } catch (error) {
      this.options.logger.error({ lock: this.options.name, err: error }, 'stopping leader work failed');
    }
  }

  /** Steps down (running onDemoted) and frees the lease for another process at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tick;
    const wasLeader = this.leader;
    await this.demote();
    if (wasLeader)
      await this.options.leases.release(this.options.name, this.options.holder).catch(() => undefined);
  }
}

import type { Clock } from '../shared/clock.js';
import { ApiReserveReachedError, LIMIT_RETRY_AFTER_MS } from './errors.js';

// The org's daily API allocation is shared with people, other integrations and Salesforce's own
// apps. Salesforce reports usage on every REST answer (`Sforce-Limit-Info: api-usage=used/max`);
// the bridge keeps the last reading and holds back a reserve (SALESFORCE_API_RESERVE_PERCENT):
// inside it, non-urgent work (reconciliation, backfills, large Bulk reads) pauses while record
// syncs and opt-outs go on. When Salesforce itself answers REQUEST_LIMIT_EXCEEDED, every call waits.

/**
 * How much a call matters when the allocation runs low:
 * - `urgent`: opt-outs and the streaming intake; never held back by the bridge.
 * - `normal`: record syncs (one call carries up to 200 records); goes on inside the reserve.
 * - `background`: reconciliation, backfills, large reads; paused inside the reserve.
 */
export type ApiPriority = 'urgent' | 'normal' | 'background';

export interface ApiUsage {
  used: number;
  limit: number;
  remaining: number;
  /** the calls kept in reserve (percent of the limit) */
  reserve: number;
  /** remaining <= reserve: background work is paused */
  reserveReached: boolean;
  /** Salesforce answered REQUEST_LIMIT_EXCEEDED and no later call succeeded yet */
  exhausted: boolean;
  observedAt: string;
}

export class ApiBudget {
  private used: number | undefined;
  private limit: number | undefined;
  private observedAt = 0;
  private exhaustedUntil = 0;

  constructor(
    private readonly reservePercent: number,
    private readonly clock: Clock,
  ) {}

  /** Records a reading (from Sforce-Limit-Info or /limits). */
  observe(used: number, limit: number): void {
    this.used = used;
    this.limit = limit;
    this.observedAt = this.clock.now().getTime();
    if (used < limit) this.exhaustedUntil = 0;
  }

  /** Salesforce refused a call because the daily allocation is spent. */
  markExhausted(retryAfterMs = LIMIT_RETRY_AFTER_MS): void {
    this.exhaustedUntil = this.clock.now().getTime() + retryAfterMs;
  }

  usage(): ApiUsage | undefined {
    if (this.used === undefined || this.limit === undefined) return undefined;
    const reserve = Math.ceil((this.limit * this.reservePercent) / 100);
    const remaining = Math.max(0, this.limit - this.used);
    return {
      used: this.used,
      limit: this.limit,
      remaining,
      reserve,
      reserveReached: this.reservePercent > 0 && remaining <= reserve,
      exhausted: this.exhaustedUntil > this.clock.now().getTime(),
      observedAt: new Date(this.observedAt).toISOString(),
    };
  }

  /** Milliseconds since the last reading (Infinity when there is none). */
  ageMs(): number {
    return this.observedAt === 0 ? Infinity : this.clock.now().getTime() - this.observedAt;
  }

  /** Throws ApiReserveReachedError when a call of this priority must wait. */
  admit(kind: string, priority: ApiPriority): void {
    const usage = this.usage();
    if (!usage) return;
    const now = this.clock.now().getTime();
    if (usage.exhausted && priority !== 'urgent') {
      throw new ApiReserveReachedError(kind, usage.remaining, usage.reserve, this.exhaustedUntil - now);
    }
    if (usage.reserveReached && priority === 'background') {
      throw new ApiReserveReachedError(kind, usage.remaining, usage.reserve, LIMIT_RETRY_AFTER_MS);
    }
  }
}

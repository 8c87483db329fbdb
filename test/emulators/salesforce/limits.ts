import type { EmulatorClock } from './clock.js';

// Org limits as `/limits` reports them. Daily and hourly allocations are rolling windows (Salesforce
// counts the last 24 hours, not a calendar day), kept as per-minute buckets. DailyApiRequests really
// counts every REST and Bulk API call; the Streaming API half records deliveries and publishes.

const MINUTE = 60_000;

class RollingCounter {
  private readonly buckets = new Map<number, number>();
  private total = 0;

  constructor(
    private readonly windowMs: number,
    private readonly clock: EmulatorClock,
  ) {}

  private prune(): void {
    const oldest = Math.floor((this.clock.nowMs() - this.windowMs) / MINUTE);
    for (const [minute, count] of this.buckets) {
      if (minute <= oldest) {
        this.total -= count;
        this.buckets.delete(minute);
      }
    }
  }

  add(n: number): void {
    const minute = Math.floor(this.clock.nowMs() / MINUTE);
    this.buckets.set(minute, (this.buckets.get(minute) ?? 0) + n);
    this.total += n;
  }

  used(): number {
    this.prune();
    return this.total;
  }

  /** Sets the usage in the window to `n` (control API), as if used just now. */
  set(n: number): void {
    this.buckets.clear();
    this.total = 0;
    if (n > 0) this.add(n);
  }
}

export interface LimitDefinition {
  max: number;
  /** Rolling window in ms, or undefined for a gauge the owner sets. */
  windowMs?: number;
}

export const DEFAULT_LIMITS: Record<string, LimitDefinition> = {
  DailyApiRequests: { max: 100_000, windowMs: 24 * 60 * MINUTE },
  DailyAsyncApexExecutions: { max: 250_000, windowMs: 24 * 60 * MINUTE },
  DailyBulkApiBatches: { max: 15_000, windowMs: 24 * 60 * MINUTE },
  DailyBulkV2QueryFileStorageMB: { max: 976_562, windowMs: 24 * 60 * MINUTE },
  DailyBulkV2QueryJobs: { max: 10_000, windowMs: 24 * 60 * MINUTE },
  DailyDeliveredPlatformEvents: { max: 50_000, windowMs: 24 * 60 * MINUTE },
  DailyDurableStreamingApiEvents: { max: 1_000_000, windowMs: 24 * 60 * MINUTE },
  DailyStreamingApiEvents: { max: 1_000_000, windowMs: 24 * 60 * MINUTE },
  DailyWorkflowEmails: { max: 2_000_000, windowMs: 24 * 60 * MINUTE },
  DataStorageMB: { max: 1_024 },
  DurableStreamingApiConcurrentClients: { max: 2_000 },
  FileStorageMB: { max: 10_240 },
  HourlyPublishedPlatformEvents: { max: 250_000, windowMs: 60 * MINUTE },
  MassEmail: { max: 5_000, windowMs: 24 * 60 * MINUTE },
  MonthlyPlatformEventsUsageEntitlement: { max: 1_500_000 },
  SingleEmail: { max: 5_000, windowMs: 24 * 60 * MINUTE },
  StreamingApiConcurrentClients: { max: 2_000 },
};

export class OrgLimits {
  private readonly maxima = new Map<string, number>();
  private readonly counters = new Map<string, RollingCounter>();
  private readonly gauges = new Map<string, number>();
  private readonly byKind = new Map<string, number>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly overrides: Record<string, number> = {},
  ) {
    this.reset();
  }

  reset(): void {
    this.maxima.clear();
    this.counters.clear();
    this.gauges.clear();
    this.byKind.clear();
    for (const [name, def] of Object.entries(DEFAULT_LIMITS)) {
      this.maxima.set(name, this.overrides[name] ?? def.max);
      if (def.windowMs) this.counters.set(name, new RollingCounter(def.windowMs, this.clock));
      else this.gauges.set(name, 0);
    }
  }

  max(name: string): number {
    return this.maxima.get(name) ?? 0;
  }

  used(name: string): number {
    return this.counters.get(name)?.used() ?? this.gauges.get(name) ?? 0;
  }

  remaining(name: string): number {
    return Math.max(0, this.max(name) - this.used(name));
  }

  consume(name: string, n = 1): void {
    const counter = this.counters.get(name);
    if (counter) counter.add(n);
    else this.gauges.set(name, (this.gauges.get(name) ?? 0) + n);
  }

  setGauge(name: string, value: number): void {
    this.gauges.set(name, value);
  }

  setMax(name: string, max: number): void {
    this.maxima.set(name, max);
  }

  setUsed(name: string, used: number): void {
    const counter = this.counters.get(name);
    if (counter) counter.set(used);
    else this.gauges.set(name, used);
  }

  /** Counts one API request of a kind (`sobject.create`, `query`, `bulk2.ingest.upload`, ...). */
  countApiCall(kind: string): void {
    this.consume('DailyApiRequests');
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
  }

  apiCallsByKind(): Record<string, number> {
    return Object.fromEntries([...this.byKind].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** `api-usage=used/max` for the Sforce-Limit-Info header. */
  limitInfoHeader(): string {
    return `api-usage=${this.used('DailyApiRequests')}/${this.max('DailyApiRequests')}`;
  }

  snapshot(): Record<string, { Max: number; Remaining: number }> {
    const out: Record<string, { Max: number; Remaining: number }> = {};
    for (const name of [...this.maxima.keys()].sort()) {
      out[name] = { Max: this.max(name), Remaining: this.remaining(name) };
    }
    return out;
  }
}

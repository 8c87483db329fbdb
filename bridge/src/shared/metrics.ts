import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// Prometheus metrics of one bridge runtime. Each runtime owns its registry (tests run several in one
// process). Other parts of the bridge record through the typed helpers below, never through
// prom-client directly, so names and labels stay consistent.

export type ApiService = 'salesforce' | 'responsys';
export type ApiCallOutcome =
  'success' | 'client_error' | 'server_error' | 'rate_limited' | 'timeout' | 'network_error';
export type SyncDirection = 'salesforce_to_responsys' | 'responsys_to_salesforce';
export type RecordOutcomeLabel = 'succeeded' | 'skipped' | 'retried' | 'dead_lettered';

export interface QueueStateCounts {
  /** jobs per queue and pg-boss state (created, retry, active, completed, failed, cancelled) */
  jobs: Array<{ queue: string; state: string; count: number }>;
  /** open dead letters per flow */
  deadLetters: Array<{ flow: string; count: number }>;
}

const PREFIX = 'responsys_bridge_';

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC). */
  processMetrics?: boolean;
  version?: string;
}

export class BridgeMetrics {
  readonly registry = new Registry();
  private readonly eventsIn: Counter<'source' | 'object_type' | 'change_type'>;
  private readonly jobs: Gauge<'queue' | 'state'>;
  private readonly deadLetters: Gauge<'flow'>;
  private readonly records: Counter<'flow' | 'outcome'>;
  private readonly apiCalls: Counter<'service' | 'function' | 'outcome'>;
  private readonly apiDuration: Histogram<'service' | 'function'>;
  private readonly rateLimitWaits: Counter<'service' | 'function'>;
  private readonly rateLimitWaitSeconds: Counter<'service' | 'function'>;
  private readonly echoes: Counter<'flow' | 'direction'>;
  private readonly latency: Histogram<'flow'>;
  private readonly batches: Histogram<'flow'>;
  private readonly leadership: Gauge<'lock'>;
  private readonly streamResets: Counter<'channel' | 'reason'>;
  private readonly apiDailyUsed: Gauge<'service'>;
  private readonly apiDailyLimit: Gauge<'service'>;
  private readonly streamSubscribed: Gauge<'channel'>;
  private readonly streamRebuilds: Counter<'channel' | 'reason'>;
  private queueStateSource: (() => Promise<QueueStateCounts>) | undefined;
  private queueStateCache: Promise<QueueStateCounts> | undefined;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });

    new Gauge({
      name: `${PREFIX}build_info`,
      help: 'Version of the running bridge (always 1)',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: options.version ?? 'unknown', node: process.version }, 1);

    this.eventsIn = new Counter({
      name: `${PREFIX}events_in_total`,
      help: 'Record changes and engagement events received from a source (streaming, polling, files, webhooks)',
      labelNames: ['source', 'object_type', 'change_type'],
      registers,
    });
    // Job and dead-letter counts live in the database; they are read when Prometheus scrapes.
    const readStates = (): Promise<QueueStateCounts> => this.readQueueStates();
    this.jobs = new Gauge({
      name: `${PREFIX}jobs`,
      help: 'Queued jobs by queue and state',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        const states = await readStates();
        this.reset();
        for (const { queue, state, count } of states.jobs) this.set({ queue, state }, count);
      },
    });
    this.deadLetters = new Gauge({
      name: `${PREFIX}dead_letters`,
      help: 'Dead letters waiting for an operator, by flow',
      labelNames: ['flow'],
      registers,
      async collect() {
        const states = await readStates();
        this.reset();
        for (const { flow, count } of states.deadLetters) this.set({ flow }, count);
      },
    });
    this.records = new Counter({
      name: `${PREFIX}records_processed_total`,
      help: 'Records processed by a flow, by outcome (succeeded, skipped, retried, dead_lettered)',
      labelNames: ['flow', 'outcome'],
      registers,
    });
    this.apiCalls = new Counter({
      name: `${PREFIX}api_calls_total`,
      help: 'Calls to Salesforce and Responsys by service, function and outcome',
      labelNames: ['service', 'function', 'outcome'],
      registers,
    });
    this.apiDuration = new Histogram({
      name: `${PREFIX}api_call_duration_seconds`,
      help: 'Duration of calls to Salesforce and Responsys',
      labelNames: ['service', 'function'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.rateLimitWaits = new Counter({
      name: `${PREFIX}rate_limit_waits_total`,
      help: 'Times a call waited for a rate-limit window',
      labelNames: ['service', 'function'],
      registers,
    });
    this.rateLimitWaitSeconds = new Counter({
      name: `${PREFIX}rate_limit_wait_seconds_total`,
      help: 'Seconds spent waiting for rate-limit windows',
      labelNames: ['service', 'function'],
      registers,
    });
    this.echoes = new Counter({
      name: `${PREFIX}echoes_suppressed_total`,
      help: "Changes recognised as the bridge's own writes coming back, and not synced again",
      labelNames: ['flow', 'direction'],
      registers,
    });
    this.latency = new Histogram({
      name: `${PREFIX}end_to_end_latency_seconds`,
      help: 'From the change at the source to the accepted write at the target',
      labelNames: ['flow'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.batches = new Histogram({
      name: `${PREFIX}batch_size`,
      help: 'Records per processed batch after collapsing',
      labelNames: ['flow'],
      buckets: [1, 5, 10, 25, 50, 100, 150, 200],
      registers,
    });
    this.leadership = new Gauge({
      name: `${PREFIX}leader`,
      help: 'Whether this process holds a leadership lock (1) or not (0)',
      labelNames: ['lock'],
      registers,
    });
    this.streamResets = new Counter({
      name: `${PREFIX}stream_replay_resets_total`,
      help: 'Streaming subscriptions that could not resume from the saved replay id (alert on any increase)',
      labelNames: ['channel', 'reason'],
      registers,
    });
    this.apiDailyUsed = new Gauge({
      name: `${PREFIX}api_daily_usage`,
      help: 'API calls used in the rolling 24 hours, as the service last reported (Salesforce: Sforce-Limit-Info)',
      labelNames: ['service'],
      registers,
    });
    this.apiDailyLimit = new Gauge({
      name: `${PREFIX}api_daily_limit`,
      help: 'Daily API call allocation, as the service last reported',
      labelNames: ['service'],
      registers,
    });
    this.streamSubscribed = new Gauge({
      name: `${PREFIX}stream_subscribed`,
      help: 'Whether this process holds a live Streaming API subscription on the channel (1) or not (0)',
      labelNames: ['channel'],
      registers,
    });
    this.streamRebuilds = new Counter({
      name: `${PREFIX}stream_client_rebuilds_total`,
      help: 'Streaming API clients rebuilt with a fresh session (auth failure, stall, lost connection)',
      labelNames: ['channel', 'reason'],
      registers,
    });
  }

  /** Where job and dead-letter counts come from (the queue runtime sets it). */
  setQueueStateSource(source: () => Promise<QueueStateCounts>): void {
    this.queueStateSource = source;
  }

  private readQueueStates(): Promise<QueueStateCounts> {
    if (!this.queueStateSource) return Promise.resolve({ jobs: [], deadLetters: [] });
    // Both gauges collect in the same scrape: read the database once per scrape.
    if (!this.queueStateCache) {
      this.queueStateCache = this.queueStateSource().finally(() => {
        setTimeout(() => (this.queueStateCache = undefined), 1000).unref();
      });
    }
    return this.queueStateCache;
  }

  eventReceived(labels: { source: string; objectType: string; changeType: string }, count = 1): void {
    this.eventsIn.inc(
      { source: labels.source, object_type: labels.objectType, change_type: labels.changeType },
      count,
    );
  }

  recordProcessed(labels: { flow: string; outcome: RecordOutcomeLabel }, count = 1): void {
    this.records.inc(labels, count);
  }

  apiCall(labels: { service: ApiService; fn: string; outcome: ApiCallOutcome; seconds?: number }): void {
    this.apiCalls.inc({ service: labels.service, function: labels.fn, outcome: labels.outcome });
    if (labels.seconds !== undefined) {
      this.apiDuration.observe({ service: labels.service, function: labels.fn }, labels.seconds);
    }
  }

  rateLimitWait(labels: { service: ApiService; fn: string; seconds: number }): void {
    this.rateLimitWaits.inc({ service: labels.service, function: labels.fn });
    this.rateLimitWaitSeconds.inc({ service: labels.service, function: labels.fn }, labels.seconds);
  }

  echoSuppressed(labels: { flow: string; direction: SyncDirection }, count = 1): void {
    this.echoes.inc(labels, count);
  }

  endToEndLatency(labels: { flow: string }, seconds: number): void {
    this.latency.observe(labels, Math.max(0, seconds));
  }

  batchProcessed(labels: { flow: string }, size: number): void {
    this.batches.observe(labels, size);
  }

  leadershipChanged(lock: string, held: boolean): void {
    this.leadership.set({ lock }, held ? 1 : 0);
  }

  streamReplayReset(labels: { channel: string; reason: string }): void {
    this.streamResets.inc(labels);
  }

  apiDailyUsage(labels: { service: ApiService; used: number; limit: number }): void {
    this.apiDailyUsed.set({ service: labels.service }, labels.used);
    this.apiDailyLimit.set({ service: labels.service }, labels.limit);
  }

  streamSubscriptionChanged(channel: string, subscribed: boolean): void {
    this.streamSubscribed.set({ channel }, subscribed ? 1 : 0);
  }

  streamClientRebuilt(labels: { channel: string; reason: string }): void {
    this.streamRebuilds.inc(labels);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

import { StreamingExtension } from 'jsforce/lib/api/streaming.js';
import type { CheckResult } from '../../http/readiness.js';
import type { RecordChangeInput } from '../../queue/record-change.js';
import type { EnqueueResult } from '../../queue/work-queue.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BridgeMetrics } from '../../shared/metrics.js';
import type { Queryable } from '../../store/database.js';
import type { Store } from '../../store/store.js';
import type { SalesforceClient } from '../client.js';
import { retireFayeClient, type BayeuxMessage, type FayeClient } from './faye-client.js';
import { SYNC_EVENT_CHANNEL, syncEventToChange, type PlatformEventMessage } from './sync-event.js';

// The Streaming API subscription to Responsys_Sync__e, held by one bridge process at a time (the
// leader). What it guarantees:
// - Nothing is lost: each event is queued durably, in the same store transaction that saves its
//   replay id, before that id counts as saved; after a restart or a rebuilt client, the subscription
//   resumes from the saved id (events received but not yet saved are queued first or replayed).
// - Nothing is silently skipped: when Salesforce refuses the saved replay id (older than the 72-hour
//   retention, or an org refresh), the subscriber raises an alert (metric and error log), resumes
//   from the oldest retained event (-2) and schedules a reconciliation from the last event's time.
// - It keeps itself alive: one faye client for this channel only (jsforce's Replay extension is not
//   channel-aware); `403::Unknown client` is left to faye, which handshakes again and resubscribes
//   from the last replay id it saw; a client Salesforce gives up on (401, advice reconnect "none")
//   is rebuilt with a new session; a watchdog rebuilds one whose long-polls silently stopped.
// - A lost long-poll never loses events: when faye gives up on a request (network error, or no answer
//   within 1.2x the advised timeout, e.g. after an event-loop stall), the answer may have carried
//   events Salesforce now counts as delivered, and faye would only retry /meta/connect on the same
//   client. So on transport:down the client is rebuilt, resubscribing from the saved replay id.

export const STREAMING_LEASE = 'salesforce-streaming';

export type SubscriptionState = 'stopped' | 'connecting' | 'subscribed' | 'reconnecting';

export interface SubscriptionStatus {
  channel: string;
  state: SubscriptionState;
  /** when the state last changed */
  since: string;
  /** the replay option of the last subscribe sent (-1 new only, -2 all retained, or an id) */
  subscribedFrom: number | null;
  /** the last replay id saved with its event queued */
  savedReplayId: number | null;
  lastEventAt: string | null;
  lastConnectAt: string | null;
  eventsReceived: number;
  eventsQueued: number;
  duplicatesIgnored: number;
  rebuilds: number;
  replayResets: number;
  lastError: { message: string; at: string } | null;
}

export interface ReplayReset {
  channel: string;
  /** Salesforce's error text */
  error: string;
  /** the replay id Salesforce refused */
  rejectedReplayId: number | null;
  /** when the last event the bridge queued happened (reconcile from here), if known */
  since: string | null;
}

export interface StreamingSubscriberOptions {
  client: SalesforceClient;
  store: Store;
  /** where events go: `dispatch` is called inside the store transaction that saves the replay id */
  dispatch: (changes: readonly RecordChangeInput[], options: { tx: Queryable }) => Promise<EnqueueResult>;
  /** after a replay reset (the module schedules the reconciliation task here) */
  onReplayReset: (reset: ReplayReset) => Promise<void>;
  logger: Logger;
  metrics: BridgeMetrics;
  clock?: Clock;
  channel?: string;
  /** rebuild the client when no /meta/connect answer arrived for this long */
  stallTimeoutMs: number;
  /** pause before a rebuild after consecutive failures: base doubled each time, up to max */
  rebuildBackoff?: { baseMs: number; maxMs: number };
  /** how events become queue changes (default: syncEventToChange) */
  toChanges?: (message: PlatformEventMessage) => RecordChangeInput[];
}

interface ActiveClient {
  generation: number;
  faye: FayeClient;
  createdAt: number;
}

/** The watermark holding the time of the last event queued from a channel. */
export function lastEventWatermark(channel: string): string {
  return `salesforce-streaming:${channel}:last-event-at`;
}

const REPLAY_REFUSED = '400::The replayId';
/** events kept in memory while the store cannot take them, before the subscriber lets go */
const MAX_BUFFERED_EVENTS = 10_000;

export class StreamingSubscriber {
  readonly channel: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private running = false;
  private generation = 0;
  private active: ActiveClient | undefined;
  private buffer: PlatformEventMessage[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  /** highest replay id accepted into the buffer (events at or below it are replays we already have) */
  private lastAccepted: number | undefined;
  private lastActivityAt = 0;
  private consecutiveFailures = 0;
  private flushRetries = 0;
  /** events were received but none could be saved: the next subscribe replays everything retained */
  private replayEverything = false;
  private watchdog: NodeJS.Timeout | undefined;
  private rebuildTimer: NodeJS.Timeout | undefined;
  private readonly current: SubscriptionStatus;

  constructor(private readonly options: StreamingSubscriberOptions) {
    this.channel = options.channel ?? SYNC_EVENT_CHANNEL;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'salesforce-streaming', channel: this.channel });
    this.current = {
      channel: this.channel,
      state: 'stopped',
      since: this.clock.now().toISOString(),
      subscribedFrom: null,
      savedReplayId: null,
      lastEventAt: null,
      lastConnectAt: null,
      eventsReceived: 0,
      eventsQueued: 0,
      duplicatesIgnored: 0,
      rebuilds: 0,
      replayResets: 0,
      lastError: null,
    };
  }

  status(): SubscriptionStatus {
    return { ...this.current };
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Opens the subscription; failures are retried in the background (see status()). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.consecutiveFailures = 0;
    const checkEvery = Math.min(5000, Math.max(250, Math.floor(this.options.stallTimeoutMs / 4)));
    this.watchdog = setInterval(() => this.checkForStall(), checkEvery);
    this.watchdog.unref();
    try {
      await this.open('start');
    } catch (error) {
      this.failed(error, 'the Streaming API subscription could not be opened');
      this.scheduleRebuild('open_failed', { renew: false });
    }
  }

  /** Closes the subscription; events received so far are queued first. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.watchdog);
    clearTimeout(this.rebuildTimer);
    this.retire();
    this.scheduleFlush();
    await this.flushing;
    this.setState('stopped');
    this.log.info({ savedReplayId: this.current.savedReplayId }, 'Streaming API subscription closed');
  }

  /** Readiness: fine while subscribed or (re)connecting for less than the stall timeout. */
  readiness(): CheckResult {
    const { state, since, lastError } = this.current;
    if (state === 'subscribed') {
      return {
        ok: true,
        detail: `subscribed to ${this.channel}, replay id ${this.current.savedReplayId ?? 'none saved yet'}`,
      };
    }
    const forMs = this.clock.now().getTime() - Date.parse(since);
    if (state === 'stopped') return { ok: false, detail: `not subscribed to ${this.channel}` };
    if (forMs < this.options.stallTimeoutMs) return { ok: true, detail: `${state} to ${this.channel}` };
    return {
      ok: false,
      detail: `${state} to ${this.channel} for ${Math.round(forMs / 1000)} s${lastError ? `: ${lastError.message}` : ''}`,
    };
  }

  // ---------------------------------------------------------------- the faye client

  private async open(reason: string): Promise<void> {
    await this.flushing;
    if (!this.running) return;
    const cursor = await this.options.store.replayCursors.load(this.channel);
    const replayFrom = cursor?.replayId ?? (this.replayEverything ? -2 : -1);
    this.current.savedReplayId = cursor?.replayId ?? null;
    // Events still buffered (the store refused them so far) are queued by their flush retry; their
    // replays from the saved id are duplicates.
    const buffered = this.buffer.map((message) => message.event.replayId);
    this.lastAccepted = buffered.length > 0 ? Math.max(...buffered) : cursor?.replayId;
    await this.options.client.connect();
    if (!this.running) return;

    const generation = ++this.generation;
    const conn = this.options.client.connection;
    const faye = conn.streaming.createClient([
      new StreamingExtension.Replay(this.channel, replayFrom),
      new StreamingExtension.AuthFailure((message: BayeuxMessage) => this.onAuthFailure(generation, message)),
    ]) as unknown as FayeClient;
    faye.addExtension({
      incoming: (message, callback) => {
        if (generation !== this.generation) return callback(null);
        this.observe(generation, message);
        callback(message);
      },
      outgoing: (message, callback) => {
        if (message.channel === '/meta/subscribe' && generation === this.generation) {
          const replay = (message.ext?.replay as Record<string, unknown> | undefined)?.[this.channel];
          this.current.subscribedFrom = typeof replay === 'number' ? replay : null;
          this.log.info({ replayFrom: this.current.subscribedFrom }, 'subscribing to the Streaming API');
        }
        callback(message);
      },
    });
    faye.on('transport:down', () => this.onTransportDown(generation));
    this.active = { generation, faye, createdAt: this.clock.now().getTime() };
    this.lastActivityAt = this.clock.now().getTime();
    this.setState('connecting');
    this.log.info(
      { reason, replayFrom, instanceUrl: conn.instanceUrl, apiVersion: conn.version },
      `opening the Streaming API subscription from ${describeReplay(replayFrom)}`,
    );
    const subscription = faye.subscribe(this.channel, (data) =>
      this.onEvent(generation, data as PlatformEventMessage),
    );
    subscription.then(
      () => undefined,
      (error: unknown) => this.onSubscribeFailed(generation, error),
    );
  }

  /** Meta messages: connects feed the watchdog; subscribe answers set the state (also faye's own resubscribes). */
  private observe(generation: number, message: BayeuxMessage): void {
    const now = this.clock.now();
    if (message.channel === '/meta/connect' || message.channel === '/meta/handshake') {
      this.lastActivityAt = now.getTime();
      if (message.channel === '/meta/connect') this.current.lastConnectAt = now.toISOString();
      if (
        message.channel === '/meta/handshake' &&
        message.successful &&
        this.current.state === 'subscribed'
      ) {
        this.log.warn('Salesforce forgot the streaming client (403::Unknown client): handshaking again');
      }
      if (message.successful === false && message.error) {
        this.log.warn(
          { error: message.error, advice: message.advice },
          `Streaming API ${message.channel} failed`,
        );
      }
      return;
    }
    if (message.channel !== '/meta/subscribe') return;
    if (message.successful) {
      this.consecutiveFailures = 0;
      this.setState('subscribed');
      this.options.metrics.streamSubscriptionChanged(this.channel, true);
      this.log.info({ replayFrom: this.current.subscribedFrom }, `subscribed to ${this.channel}`);
      return;
    }
    if (message.error?.startsWith(REPLAY_REFUSED)) void this.onReplayRefused(generation, message.error);
  }

  private onEvent(generation: number, message: PlatformEventMessage): void {
    if (generation !== this.generation || !this.running) return;
    const replayId = message?.event?.replayId;
    if (typeof replayId !== 'number') {
      this.log.warn({ message }, 'Streaming API message without a replay id ignored');
      return;
    }
    if (this.lastAccepted !== undefined && this.lastAccepted >= 0 && replayId <= this.lastAccepted) {
      this.current.duplicatesIgnored += 1;
      return;
    }
    this.lastAccepted = replayId;
    this.current.eventsReceived += 1;
    this.lastActivityAt = this.clock.now().getTime();
    const payload = message.payload ?? {};
    this.options.metrics.eventReceived({
      source: 'streaming',
      objectType: typeof payload.Object_Type__c === 'string' ? payload.Object_Type__c : 'unknown',
      changeType: typeof payload.Change_Type__c === 'string' ? payload.Change_Type__c : 'unknown',
    });
    this.buffer.push(message);
    this.scheduleFlush();
  }

  private onSubscribeFailed(generation: number, error: unknown): void {
    if (generation !== this.generation || !this.running) return;
    const text = errorMessage(error);
    // A refused replay id is handled by the incoming extension (it sees Salesforce's exact text).
    if (/replayId/i.test(text)) return;
    this.failed(error, `Salesforce refused the subscription to ${this.channel}`);
    this.rebuild(generation, 'subscribe_failed', { renew: false });
  }

  private onAuthFailure(generation: number, message: BayeuxMessage): void {
    if (generation !== this.generation || !this.running) return;
    const reason = message.error ?? 'reconnect none';
    this.log.warn(
      { error: message.error, channel: message.channel },
      `Salesforce ended the streaming session (${reason}): rebuilding the client with a new session`,
    );
    this.rebuild(generation, 'auth', { renew: true });
  }

  private onTransportDown(generation: number): void {
    if (generation !== this.generation || !this.running) return;
    // The request faye gave up on may have been a long-poll whose answer carried events: Salesforce
    // counts them as delivered, so faye's retry of /meta/connect on this client would never see them.
    // Retiring the client also cancels that retry; the new one resubscribes from the saved replay id.
    this.log.warn(
      { savedReplayId: this.current.savedReplayId },
      'Streaming API request failed or timed out: rebuilding the client to resume from the saved replay id',
    );
    this.rebuild(generation, 'transport_down', { renew: false });
  }

  private async onReplayRefused(generation: number, error: string): Promise<void> {
    if (generation !== this.generation || !this.running) return;
    // This client is done; no other callback of it may act.
    this.retire();
    const rejected = this.current.subscribedFrom;
    try {
      await this.flushing;
      const since = await this.options.store.watermarks.get(lastEventWatermark(this.channel));
      this.current.replayResets += 1;
      this.options.metrics.streamReplayReset({ channel: this.channel, reason: 'replay_id_invalid' });
      this.log.error(
        { error, rejectedReplayId: rejected, lastEventAt: since ?? null },
        `ALERT: Salesforce refused replay id ${rejected} on ${this.channel} (older than the event retention, ` +
          'or the org was refreshed); resuming from the oldest retained event (-2) and scheduling a reconciliation ' +
          'so that changes in the gap are not skipped',
      );
      // From now on the cursor restarts at -2 (all retained events), even after a crash.
      await this.options.store.transaction(async (repos) => {
        await repos.replayCursors.reset(this.channel);
        await repos.replayCursors.save(this.channel, -2);
      });
      await this.options.onReplayReset({
        channel: this.channel,
        error,
        rejectedReplayId: rejected,
        since: since ?? null,
      });
    } catch (failure) {
      this.failed(failure, 'handling the refused replay id failed');
    }
    if (!this.running) return;
    this.current.rebuilds += 1;
    this.options.metrics.streamClientRebuilt({ channel: this.channel, reason: 'replay_reset' });
    this.scheduleRebuild('replay_reset', { renew: false, immediate: true });
  }

  private checkForStall(): void {
    if (!this.running || !this.active || this.current.state === 'reconnecting') return;
    const silentFor = this.clock.now().getTime() - this.lastActivityAt;
    if (silentFor < this.options.stallTimeoutMs) return;
    this.log.warn(
      { silentForMs: silentFor },
      `no answer from the Streaming API for ${Math.round(silentFor / 1000)} s: rebuilding the client`,
    );
    this.rebuild(this.active.generation, 'stall', { renew: true });
  }

  /** Puts the current client down and opens a new one (after a pause when failures repeat). */
  private rebuild(
    generation: number,
    reason: string,
    options: { renew: boolean; immediate?: boolean },
  ): void {
    if (generation !== this.generation || !this.running) return;
    this.retire();
    this.current.rebuilds += 1;
    this.options.metrics.streamClientRebuilt({ channel: this.channel, reason });
    this.scheduleRebuild(reason, options);
  }

  private scheduleRebuild(reason: string, options: { renew: boolean; immediate?: boolean }): void {
    if (!this.running) return;
    this.setState('reconnecting');
    const { baseMs, maxMs } = this.options.rebuildBackoff ?? { baseMs: 1000, maxMs: 60_000 };
    const delay = options.immediate ? 0 : Math.min(maxMs, baseMs * 2 ** this.consecutiveFailures);
    this.consecutiveFailures += 1;
    clearTimeout(this.rebuildTimer);
    this.rebuildTimer = setTimeout(() => {
      void (async () => {
        if (!this.running) return;
        try {
          if (options.renew) await this.options.client.renewSession(`Streaming API: ${reason}`);
          await this.open(reason);
        } catch (error) {
          this.failed(error, 'rebuilding the Streaming API client failed');
          this.scheduleRebuild(reason, { renew: options.renew });
        }
      })();
    }, delay);
    this.rebuildTimer.unref();
  }

  private retire(): void {
    const active = this.active;
    this.active = undefined;
    this.generation += 1;
    this.options.metrics.streamSubscriptionChanged(this.channel, false);
    if (active) retireFayeClient(active.faye);
  }

  // ---------------------------------------------------------------- queueing

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.flushing = this.flushing.then(() => this.flush());
  }

  /** Queues the buffered events and saves the last replay id, in one transaction. */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return;
    const convert =
      this.options.toChanges ?? ((message: PlatformEventMessage) => [syncEventToChange(message)]);
    const changes = batch.flatMap(convert);
    const replayId = Math.max(...batch.map((message) => message.event.replayId));
    const lastEventAt = batch
      .map((message) => message.payload?.CreatedDate)
      .filter((value): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value)))
      .sort()
      .at(-1);
    try {
      const result = await this.options.store.transaction(async (repos, tx) => {
        const queued = await this.options.dispatch(changes, { tx });
        await repos.replayCursors.save(this.channel, replayId);
        if (lastEventAt) await repos.watermarks.set(lastEventWatermark(this.channel), lastEventAt);
        return queued;
      });
      this.current.savedReplayId = Math.max(this.current.savedReplayId ?? replayId, replayId);
      this.replayEverything = false;
      this.current.eventsQueued += batch.length;
      if (lastEventAt) this.current.lastEventAt = lastEventAt;
      if (result.rejected.length > 0) {
        this.log.warn(
          { rejected: result.rejected.map((entry) => ({ ...entry, change: changes[entry.index] })) },
          `${result.rejected.length} Responsys_Sync__e event(s) were not valid changes and were not queued`,
        );
      }
      this.log.debug({ events: batch.length, replayId, queued: result.queued }, 'events queued');
    } catch (error) {
      // Not saved, so not lost: keep the events and try again shortly. Should the store stay away
      // while events keep coming, let go of them and of the client; they are replayed from the
      // saved replay id (or from the oldest retained event when none was saved yet).
      this.failed(error, `${batch.length} event(s) could not be queued yet`);
      if (!this.running) {
        // Stopping: they are replayed from the saved replay id at the next start.
        this.buffer = [];
        return;
      }
      this.buffer = [...batch, ...this.buffer];
      if (this.buffer.length > MAX_BUFFERED_EVENTS) {
        this.buffer = [];
        this.replayEverything = this.current.savedReplayId === null;
        if (this.active) this.rebuild(this.active.generation, 'queue_failed', { renew: false });
        return;
      }
      this.flushRetries += 1;
      const delay = Math.min(5000, 100 * 2 ** Math.min(this.flushRetries, 6));
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      this.scheduleFlush();
      return;
    }
    this.flushRetries = 0;
  }

  private setState(state: SubscriptionState): void {
    if (this.current.state === state) return;
    this.current.state = state;
    this.current.since = this.clock.now().toISOString();
  }

  private failed(error: unknown, what: string): void {
    const message = `${what}: ${errorMessage(error)}`;
    this.current.lastError = { message, at: this.clock.now().toISOString() };
    this.log.error({ err: error }, message);
  }
}

function describeReplay(replayFrom: number): string {
  if (replayFrom === -1) return 'new events only (no saved replay id)';
  if (replayFrom === -2) return 'the oldest retained event (-2)';
  return `after the saved replay id ${replayFrom}`;
}

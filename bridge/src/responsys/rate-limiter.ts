import { apiFunctions, type ApiFunctionName } from './api-functions.js';

// A limiter per Responsys API function, so the bridge stays under the account's per-minute limits
// instead of learning them from API_LIMIT_EXCEEDED answers.
//
// It keeps a log of the last `limit` calls per function and lets a call start only when fewer than
// `limit` calls used the last window. A plain token bucket refilled per minute can let twice the
// limit through within one sliding minute (a full bucket spent at the end of one minute, refilled and
// spent again), which Responsys would throttle. Each call holds its slot from the moment it starts
// until `window` after its answer arrived: Responsys counts a request when it arrives, which lies
// between the two, so network delays can never make the bridge exceed the limit.

export interface RateLimiterOptions {
  windowMs: number;
  /** Share of each limit this process uses (several bridge processes share one account). */
  share: number;
  now: () => number;
}

export interface SlotGrant {
  /** how long the caller waited for the slot */
  waitedMs: number;
  /** frees the slot's in-flight mark; the slot stays taken for one window from now */
  release(): void;
}

class FunctionWindow {
  /** completion times of recent calls, oldest first */
  readonly completions: number[] = [];
  inFlight = 0;
  pausedUntil = 0;
  /** serialises acquirers so they are served first come, first served */
  tail: Promise<unknown> = Promise.resolve();
  private wakers: Array<() => void> = [];

  constructor(public limit: number) {}

  /** Resolves when a call of this function completes (its slot's expiry becomes known). */
  nextCompletion(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }

  completed(at: number): void {
    this.inFlight -= 1;
    this.completions.push(at);
    const wakers = this.wakers;
    this.wakers = [];
    for (const wake of wakers) wake();
  }
}

export class AbortedWhileWaiting extends Error {
  constructor() {
    super('Aborted while waiting for a Responsys rate-limit slot');
  }
}

export class ResponsysRateLimiter {
  private readonly windows = new Map<string, FunctionWindow>();
  private readonly configured = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: RateLimiterOptions) {}

  /** Per-function limits (requests per window), e.g. from GET /rest/api/ratelimit. */
  setLimits(limits: Partial<Record<ApiFunctionName, number>>): void {
    for (const [name, limit] of Object.entries(limits)) {
      if (limit === undefined) continue;
      this.configured.set(name, limit);
      const window = this.windows.get(name);
      if (window) window.limit = this.effective(limit);
    }
  }

  /** The limit this process applies to a function. */
  limitOf(fn: ApiFunctionName): number {
    return this.window(fn).limit;
  }

  /** Calls still counted in the current window (in flight or answered within it). */
  usage(fn: ApiFunctionName): number {
    const window = this.window(fn);
    this.prune(window, this.options.now());
    return window.inFlight + window.completions.length;
  }

  /**
   * Responsys said the function is over its limit (other processes, or a lower limit than reported):
   * nobody calls it again until the next window.
   */
  pause(fn: ApiFunctionName, ms = this.options.windowMs): void {
    const window = this.window(fn);
    window.pausedUntil = Math.max(window.pausedUntil, this.options.now() + ms);
  }

  /** Waits for a slot of `fn`; throws AbortedWhileWaiting when `signal` aborts first. */
  acquire(fn: ApiFunctionName, signal?: AbortSignal): Promise<SlotGrant> {
    const window = this.window(fn);
    const turn = window.tail.then(() => this.waitForSlot(window, signal));
    window.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Cancels pending waits' timers (at shutdown). */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async waitForSlot(window: FunctionWindow, signal: AbortSignal | undefined): Promise<SlotGrant> {
    let waitedMs = 0;
    for (;;) {
      if (signal?.aborted) throw new AbortedWhileWaiting();
      const now = this.options.now();
      this.prune(window, now);
      const used = window.inFlight + window.completions.length;
      let readyAt: number | undefined = now;
      if (window.pausedUntil > now) {
        readyAt = window.pausedUntil;
      } else if (used >= window.limit) {
        // The slot that frees first is the oldest completed call's; when every counted call is still
        // in flight, wait for one to complete to learn when its slot frees.
        const mustExpire = used - window.limit + 1;
        readyAt =
          mustExpire <= window.completions.length
            ? window.completions[mustExpire - 1]! + this.options.windowMs
            : undefined;
      }
      if (readyAt !== undefined && readyAt <= now) {
        window.inFlight += 1;
        let released = false;
        return {
          waitedMs,
          release: () => {
            if (released) return;
            released = true;
            window.completed(this.options.now());
          },
        };
      }
      const started = this.options.now();
      await this.wait(readyAt === undefined ? undefined : readyAt - now, window, signal);
      waitedMs += this.options.now() - started;
    }
  }

  private wait(
    ms: number | undefined,
    window: FunctionWindow,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
        signal?.removeEventListener('abort', done);
        resolve();
      };
      if (ms !== undefined) {
        timer = setTimeout(done, Math.max(1, ms));
        this.timers.add(timer);
      } else {
        void window.nextCompletion().then(done);
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private prune(window: FunctionWindow, now: number): void {
    const horizon = now - this.options.windowMs;
    let expired = 0;
    while (expired < window.completions.length && window.completions[expired]! <= horizon) expired++;
    if (expired > 0) window.completions.splice(0, expired);
  }

  private window(fn: string): FunctionWindow {
    let window = this.windows.get(fn);
    if (!window) {
      const limit =
        this.configured.get(fn) ??
        (apiFunctions as Record<string, { fallbackLimit: number }>)[fn]?.fallbackLimit;
      window = new FunctionWindow(this.effective(limit ?? 60));
      this.windows.set(fn, window);
    }
    return window;
  }

  private effective(limit: number): number {
    return Math.max(1, Math.floor(limit * this.options.share));
  }
}

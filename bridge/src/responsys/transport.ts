import { backoffDelayMs, type BackoffPolicy } from '../shared/backoff.js';
import { sleep } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import {
  limitsForFunctions,
  parseRateLimitAnswer,
  type ApiFunctionName,
  type HttpVerb,
} from './api-functions.js';
import { ResponsysError } from './errors.js';
import type { HttpExchange } from './http-exchange.js';
import type { ResponsysRateLimiter } from './rate-limiter.js';
import type { ResponsysSession } from './session.js';

// The retry policy of every Responsys data call:
// - a rejected token (INVALID_TOKEN, TOKEN_EXPIRED): log in again once and repeat;
// - API_LIMIT_EXCEEDED (HTTP 400): nobody calls that function until the next window, then repeat
//   (a bounded number of times; then the error says when to come back);
// - 5xx, timeouts, dropped connections: exponential backoff with jitter, bounded attempts, but only
//   for idempotent calls (merges are upserts, reads and deletes repeat harmlessly);
// - calls that are not idempotent (custom events put people into programs) are repeated only when the
//   request provably did not reach Responsys: the connection could not be opened, or Responsys
//   refused it before doing anything (token, rate limit). When the outcome is unknown (timeout, reset,
//   5xx, an unreadable 200) the call fails with OUTCOME_UNKNOWN and is not repeated: sending someone
//   into a program twice is worse than a visible failure the flow can reconcile (program enrollments).
// - anything else (4xx with an error envelope, API_BLOCKED) fails at once with the parsed envelope.

export interface ResponsysCall {
  fn: ApiFunctionName;
  method: HttpVerb;
  /** path under the endPoint, already URL-encoded, e.g. /rest/api/v1.3/lists/CONTACTS_LIST/members */
  path: string;
  query?: Array<[string, string]>;
  json?: unknown;
  idempotent: boolean;
  signal?: AbortSignal;
  size?: number;
}

export interface ResponsysTransportOptions {
  exchange: HttpExchange;
  session: ResponsysSession;
  limiter: ResponsysRateLimiter;
  logger: Logger;
  now: () => number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  random: () => number;
  maxThrottleWaits: number;
  rateLimitWindowMs: number;
  /** how often the per-function limits are read again from GET /rest/api/ratelimit */
  rateLimitRefreshMs: number;
}

export class ResponsysTransport {
  private limitsReadAt: number | undefined;
  private limitsReading: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: ResponsysTransportOptions) {}

  /** Sends a call with the retry policy above; the parsed JSON body of a 2xx answer, or a ResponsysError. */
  async request(call: ResponsysCall): Promise<unknown> {
    let attempt = 0;
    let throttled = 0;
    let reauthenticated = false;
    for (;;) {
      attempt += 1;
      this.throwIfAborted(call);
      const session = await this.options.session.token();
      await this.readLimitsWhenDue();
      const result = await this.options.exchange.send({
        fn: call.fn,
        method: call.method,
        url: `${session.endPoint}${call.path}`,
        query: call.query,
        json: call.json,
        token: session.token,
        freshConnection: !call.idempotent,
        signal: call.signal,
        size: call.size,
        attempt,
      });
      if (result.kind === 'success') return result.body;
      const { error } = result;

      if (result.tokenRejected) {
        this.options.session.invalidate(session.token);
        // A token refused right after a new login will not be accepted by repeating the call.
        if (reauthenticated) throw error;
        reauthenticated = true;
        attempt -= 1;
        continue;
      }
      if (result.throttled) {
        this.options.limiter.pause(call.fn);
        if (throttled < this.options.maxThrottleWaits) {
          throttled += 1;
          this.options.logger.warn(
            { responsys: { fn: call.fn }, waitMs: this.options.rateLimitWindowMs },
            `Responsys throttled ${call.fn} (API_LIMIT_EXCEEDED); waiting for the next window`,
          );
          attempt -= 1;
          continue;
        }
        throw error;
      }
      const safeToRepeat = call.idempotent || result.notSent;
      if (!safeToRepeat && result.maybeProcessed) throw outcomeUnknown(call, error);
      if (error.errorCode === 'ABORTED') throw error;
      if (!error.retryable || !safeToRepeat || attempt >= this.options.maxAttempts) throw error;

      const delay = backoffDelayMs(attempt, this.options.backoff, this.options.random);
      this.options.logger.warn(
        { responsys: { fn: call.fn }, errorCode: error.errorCode, attempt, retryInMs: delay },
        `Responsys ${call.fn} failed (${error.message}); retrying`,
      );
      await sleep(delay, call.signal);
    }
  }

  /** Reads the account's limits now (also done on first use and every rateLimitRefreshMs). */
  async readLimits(signal?: AbortSignal): Promise<boolean> {
    const session = await this.options.session.token();
    const result = await this.options.exchange.send({
      fn: 'getThrottlingLimits',
      method: 'GET',
      url: `${session.endPoint}/rest/api/ratelimit`,
      token: session.token,
      signal,
    });
    this.limitsReadAt = this.options.now();
    if (result.kind === 'failure') {
      if (result.tokenRejected) this.options.session.invalidate(session.token);
      this.options.logger.warn(
        { errorCode: result.error.errorCode },
        `Could not read the Responsys rate limits (${result.error.message}); keeping the current ones`,
      );
      return false;
    }
    const limits = limitsForFunctions(parseRateLimitAnswer(result.body));
    if (Object.keys(limits).length === 0) {
      this.options.logger.warn(
        'The Responsys rate-limit answer named none of the functions the bridge calls',
      );
      return false;
    }
    this.options.limiter.setLimits(limits);
    this.options.logger.info({ responsys: { rateLimits: limits } }, 'Responsys rate limits read');
    return true;
  }

  close(): void {
    this.closed = true;
  }

  private async readLimitsWhenDue(): Promise<void> {
    if (this.closed) return;
    const due =
      this.limitsReadAt === undefined ||
      this.options.now() - this.limitsReadAt >= this.options.rateLimitRefreshMs;
    if (!due) return;
    // Shared by every waiting caller, so no single caller's abort signal cancels it.
    this.limitsReading ??= this.readLimits()
      .then(() => undefined)
      .catch((error: unknown) => {
        this.limitsReadAt = this.options.now();
        this.options.logger.warn({ err: error }, 'Could not read the Responsys rate limits');
      })
      .finally(() => {
        this.limitsReading = undefined;
      });
    await this.limitsReading;
  }

  private throwIfAborted(call: ResponsysCall): void {
    if (!call.signal?.aborted) return;
    throw new ResponsysError(
      `The ${call.fn} call was abandoned before it was sent (shutdown or batch deadline)`,
      {
        errorCode: 'ABORTED',
        apiFunction: call.fn,
        retryable: true,
      },
    );
  }
}

function outcomeUnknown(call: ResponsysCall, error: ResponsysError): ResponsysError {
  return new ResponsysError(
    `${error.message}. The ${call.fn} call may or may not have been processed by Responsys; it was not ` +
      'repeated because it is not idempotent (repeating it could put people into a program twice)',
    {
      errorCode: 'OUTCOME_UNKNOWN',
      apiFunction: call.fn,
      httpStatus: error.httpStatus,
      title: error.title,
      detail: error.detail,
      retryable: false,
      outcomeUnknown: true,
      cause: error,
    },
  );
}

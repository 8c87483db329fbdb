import { backoffDelayMs, type BackoffPolicy } from '../shared/backoff.js';
import { sleep } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { forgetSecret, registerSecret } from '../shared/redaction.js';
import { ResponsysError } from './errors.js';
import type { HttpExchange } from './http-exchange.js';
import type { ResponsysRateLimiter } from './rate-limiter.js';

// The Responsys session: a password login with a form body, then every call goes to the returned
// endPoint with the raw token in `Authorization`. Responsys returns no lifetime (Oracle says three
// hours, client libraries assume two: UNCONFIRMED), so the token is refreshed (auth_type=token) once
// it is `refreshAfterMs` old, and replaced by a new login once it is `maxAgeMs` old (a refresh needs a
// token that is still valid). Concurrent callers share one login or refresh (single flight). Tokens
// are registered as secrets as soon as they arrive, so no log line can carry one.

export interface SessionToken {
  token: string;
  /** scheme and host of the API, no trailing slash */
  endPoint: string;
  /** when this process received the token (its own clock: Responsys' issuedAt may be skewed) */
  obtainedAt: number;
}

export interface ResponsysSessionOptions {
  loginUrl: string;
  username: string;
  password: string;
  exchange: HttpExchange;
  limiter: ResponsysRateLimiter;
  logger: Logger;
  now: () => number;
  refreshAfterMs: number;
  maxAgeMs: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  random: () => number;
  /** how many throttled logins to wait out before giving up */
  maxThrottleWaits: number;
}

const AUTH_PATH = '/rest/api/v1.3/auth/token';
/** Tokens kept registered for redaction: the current one and a few predecessors still in flight. */
const REMEMBERED_TOKENS = 4;

export class ResponsysSession {
  private current: SessionToken | undefined;
  private pending: Promise<SessionToken> | undefined;
  private readonly issuedTokens: string[] = [];
  private lastFailure: ResponsysError | undefined;

  constructor(private readonly options: ResponsysSessionOptions) {}

  /** A usable token: the current one, refreshed or replaced first when it is old. */
  async token(): Promise<SessionToken> {
    const current = this.current;
    if (current && this.ageOf(current) < this.options.refreshAfterMs) return current;
    // Shared by every waiting caller, so no single caller's abort signal cancels it.
    this.pending ??= this.renew(current).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Responsys rejected `token`: the next caller logs in again (unless someone already did). */
  invalidate(token: string): void {
    if (this.current?.token === token) {
      this.options.logger.info('Responsys rejected the session token; logging in again');
      this.current = undefined;
    }
  }

  /** For readiness and status: whether a session exists and how old it is. */
  describe(): { loggedIn: boolean; ageMs?: number; endPoint?: string; lastError?: string } {
    return this.current
      ? { loggedIn: true, ageMs: this.ageOf(this.current), endPoint: this.current.endPoint }
      : { loggedIn: false, ...(this.lastFailure ? { lastError: this.lastFailure.message } : {}) };
  }

  private ageOf(token: SessionToken): number {
    return this.options.now() - token.obtainedAt;
  }

  private async renew(current: SessionToken | undefined): Promise<SessionToken> {
    try {
      let renewed: SessionToken | undefined;
      if (current && this.ageOf(current) < this.options.maxAgeMs) renewed = await this.refresh(current);
      renewed ??= await this.login();
      this.current = renewed;
      this.lastFailure = undefined;
      return renewed;
    } catch (error) {
      if (error instanceof ResponsysError) this.lastFailure = error;
      throw error;
    }
  }

  /** auth_type=token on the endPoint; any failure falls back to a full login. */
  private async refresh(current: SessionToken): Promise<SessionToken | undefined> {
    const result = await this.options.exchange.send({
      fn: 'login',
      method: 'POST',
      url: `${current.endPoint}${AUTH_PATH}`,
      form: { auth_type: 'token' },
      token: current.token,
    });
    if (result.kind === 'failure') {
      if (result.throttled) this.options.limiter.pause('login');
      this.options.logger.info(
        { errorCode: result.error.errorCode },
        'Responsys token refresh failed; logging in again',
      );
      return undefined;
    }
    try {
      const token = this.readToken(result.body);
      this.options.logger.info({ responsys: { endPoint: token.endPoint } }, 'Responsys token refreshed');
      return token;
    } catch {
      return undefined;
    }
  }

  private async login(): Promise<SessionToken> {
    let throttled = 0;
    for (let attempt = 1; ; attempt++) {
      const result = await this.options.exchange.send({
        fn: 'login',
        method: 'POST',
        url: `${this.options.loginUrl}${AUTH_PATH}`,
        form: { user_name: this.options.username, password: this.options.password, auth_type: 'password' },
        attempt,
      });
      if (result.kind === 'success') {
        const token = this.readToken(result.body);
        this.options.logger.info({ responsys: { endPoint: token.endPoint } }, 'Logged in to Responsys');
        return token;
      }
      const { error } = result;
      if (result.throttled && throttled < this.options.maxThrottleWaits) {
        throttled += 1;
        this.options.limiter.pause('login');
        attempt -= 1;
        continue;
      }
      if (!error.retryable || result.throttled || attempt >= this.options.maxAttempts) {
        throw new ResponsysError(loginFailureMessage(error), {
          errorCode: error.errorCode,
          apiFunction: 'login',
          httpStatus: error.httpStatus,
          title: error.title,
          detail: error.detail,
          retryable: error.retryable,
          retryAfterMs: error.retryAfterMs,
          cause: error,
        });
      }
      const delay = backoffDelayMs(attempt, this.options.backoff, this.options.random);
      this.options.logger.warn(
        { errorCode: error.errorCode, retryInMs: delay, attempt },
        `Responsys login failed (${error.message}); retrying`,
      );
      await sleep(delay);
    }
  }

  private readToken(body: unknown): SessionToken {
    const answer = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const token = answer.authToken;
    const endPoint = typeof answer.endPoint === 'string' ? answer.endPoint.trim().replace(/\/+$/, '') : '';
    if (typeof token !== 'string' || token === '' || !isHttpUrl(endPoint)) {
      throw new ResponsysError(
        'Responsys answered the login without an authToken and endPoint URL (unexpected answer shape)',
        { errorCode: 'UNEXPECTED_RESPONSE', apiFunction: 'login', httpStatus: 200, retryable: true },
      );
    }
    registerSecret(token);
    this.remember(token);
    if (this.options.loginUrl.startsWith('https:') && endPoint.startsWith('http:')) {
      throw new ResponsysError(
        `Responsys returned a plain-HTTP endPoint (${endPoint}) for an HTTPS login; refusing to send the token unencrypted`,
        { errorCode: 'UNEXPECTED_RESPONSE', apiFunction: 'login', httpStatus: 200, retryable: false },
      );
    }
    return { token, endPoint, obtainedAt: this.options.now() };
  }

  private remember(token: string): void {
    this.issuedTokens.push(token);
    while (this.issuedTokens.length > REMEMBERED_TOKENS) forgetSecret(this.issuedTokens.shift()!);
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function loginFailureMessage(error: ResponsysError): string {
  switch (error.errorCode) {
    case 'INVALID_USER_NAME_PASSWORD':
      return 'Responsys refused the API user credentials (INVALID_USER_NAME_PASSWORD); check RESPONSYS_USERNAME and RESPONSYS_PASSWORD';
    case 'PASSWORD_EXPIRED':
    case 'PASSWORD_LOCKOUT':
    case 'API_DISABLED_FOR_USER':
      return `Responsys refused the login of the API user (${error.errorCode}); an account administrator must fix the user`;
    default:
      return `Responsys login failed: ${error.message}`;
  }
}

import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { Logger } from '../shared/logger.js';
import type { ApiCallOutcome, BridgeMetrics } from '../shared/metrics.js';
import { bridgeVersion } from '../shared/version.js';
import type { ApiFunctionName, HttpVerb } from './api-functions.js';
import {
  bodyExcerpt,
  isTokenRejection,
  parseErrorEnvelope,
  ResponsysError,
  type ResponsysErrorEnvelope,
} from './errors.js';
import { AbortedWhileWaiting, type ResponsysRateLimiter } from './rate-limiter.js';

// One HTTP exchange with Responsys: wait for the function's rate-limit slot, send, and classify the
// answer. Every call the bridge makes to Responsys, logins included, goes through here, so every call
// is rate limited, measured (api_calls_total, api_call_duration_seconds) and logged the same way.
// Retrying is the caller's decision (ResponsysTransport, ResponsysSession).

export interface Exchange {
  fn: ApiFunctionName;
  method: HttpVerb;
  /** absolute URL without query */
  url: string;
  query?: Array<[string, string]>;
  json?: unknown;
  form?: Record<string, string>;
  /** the raw token for `Authorization` (Responsys takes it without `Bearer `) */
  token?: string;
  /**
   * Open a new connection for this request instead of reusing a kept-alive one. Used for calls that
   * must not be repeated blindly: with a fresh connection, a failure to connect proves the request
   * was never sent, and a reset can never be the race with an idle connection the server closed.
   */
  freshConnection?: boolean;
  signal?: AbortSignal;
  /** number of records or ids in the call, for the log */
  size?: number;
  attempt?: number;
}

export type ExchangeResult =
  | { kind: 'success'; status: number; body: unknown }
  | {
      kind: 'failure';
      error: ResponsysError;
      /** Responsys refused the token (log in again, then repeat) */
      tokenRejected: boolean;
      /** API_LIMIT_EXCEEDED (wait for the next window, then repeat) */
      throttled: boolean;
      /** the request provably did not reach Responsys */
      notSent: boolean;
      /** Responsys may have processed the request although the answer says nothing useful */
      maybeProcessed: boolean;
    };

export interface HttpExchangeOptions {
  limiter: ResponsysRateLimiter;
  logger: Logger;
  metrics: BridgeMetrics;
  timeoutMs: number;
  rateLimitWindowMs: number;
}

/** Connect-phase errors: the request never left this machine. */
const notSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_INVALID_URL',
]);

/** The answer of one request, its body decoded to text. */
interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** A request that got no answer; `code` is Node's (ECONNREFUSED, ECONNRESET...) or ETIMEDOUT. */
class HttpFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const MAX_REQUEST_BYTES = 11 * 1024 * 1024;
const decoders: Record<string, (body: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** Whole-budget errors: wait this long (Oracle resets the internal capacity budget every 10 minutes). */
const INTERNAL_CAPACITY_WAIT_MS = 10 * 60_000;

export class HttpExchange {
  private readonly keptAlive = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 32, timeout: 4000 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 32, timeout: 4000 }),
  };
  private readonly fresh = {
    http: new HttpAgent({ keepAlive: false }),
    https: new HttpsAgent({ keepAlive: false }),
  };
  private readonly userAgent = `responsys-bridge/${bridgeVersion}`;

  constructor(private readonly options: HttpExchangeOptions) {}

  async send(exchange: Exchange): Promise<ExchangeResult> {
    let grant;
    try {
      grant = await this.options.limiter.acquire(exchange.fn, exchange.signal);
    } catch (error) {
      if (error instanceof AbortedWhileWaiting) return this.aborted(exchange, false);
      throw error;
    }
    if (grant.waitedMs > 0) {
      this.options.metrics.rateLimitWait({
        service: 'responsys',
        fn: exchange.fn,
        seconds: grant.waitedMs / 1000,
      });
    }
    const started = performance.now();
    let result: ExchangeResult;
    let status: number | undefined;
    try {
      const answer = await this.request(exchange);
      status = answer.status;
      result = this.classifyAnswer(exchange, answer);
    } catch (error) {
      result = this.classifyFailure(exchange, error);
    } finally {
      grant.release();
    }
    const seconds = (performance.now() - started) / 1000;
    this.options.metrics.apiCall({
      service: 'responsys',
      fn: exchange.fn,
      outcome: outcomeOf(result),
      seconds,
    });
    this.log(exchange, result, status, seconds);
    return result;
  }

  close(): void {
    for (const agent of [this.keptAlive.http, this.keptAlive.https, this.fresh.http, this.fresh.https]) {
      agent.destroy();
    }
  }

  /**
   * One request over node:http with the kept-alive (or a fresh) connection: a lean path, because a
   * backfill sends a merge call per 200 records. Redirects are not followed (they are not part of the
   * API; following one would send the token somewhere unplanned), every status is an answer, and the
   * timeout is the socket's inactivity, as before.
   */
  private request(exchange: Exchange): Promise<HttpAnswer> {
    const headers: Record<string, string | number> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      'Accept-Encoding': 'gzip, deflate, br',
    };
    if (exchange.token !== undefined) headers.Authorization = exchange.token;
    let data: string | undefined;
    if (exchange.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      data = new URLSearchParams(exchange.form).toString();
    } else if (exchange.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      data = asciiJson(exchange.json);
    }
    if (data !== undefined) {
      const bytes = Buffer.byteLength(data);
      if (bytes > MAX_REQUEST_BYTES) {
        return Promise.reject(
          new HttpFailure('Request body larger than maxBodyLength limit', 'ERR_BAD_REQUEST'),
        );
      }
      headers['Content-Length'] = bytes;
    }
    const query = exchange.query?.length ? `?${new URLSearchParams(exchange.query).toString()}` : '';
    const url = new URL(`${exchange.url}${query}`);
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      return Promise.reject(new HttpFailure(`Unsupported protocol ${url.protocol}`, 'ERR_BAD_REQUEST'));
    }
    const agents = exchange.freshConnection ? this.fresh : this.keptAlive;
    const signal = exchange.signal;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const request = (secure ? httpsRequest : httpRequest)(url, {
        method: exchange.method,
        headers,
        agent: secure ? agents.https : agents.http,
      });
      // Settled once: a late timeout or abort must not destroy a connection back in the pool.
      let settled = false;
      const settle = () => {
        settled = true;
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: Error) => {
        if (settled) return;
        settle();
        request.destroy();
        reject(error);
      };
      const onAbort = () => fail(new HttpFailure('canceled', 'ERR_CANCELED'));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      request.setTimeout(this.options.timeoutMs, () =>
        fail(new HttpFailure(`timeout of ${this.options.timeoutMs}ms exceeded`, 'ETIMEDOUT')),
      );
      request.on('error', (error: Error & { code?: string }) =>
        fail(new HttpFailure(error.message, error.code ?? '', { cause: error })),
      );
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_ANSWER_BYTES) {
            fail(
              new HttpFailure(`maxContentLength size of ${MAX_ANSWER_BYTES} exceeded`, 'ERR_BAD_RESPONSE'),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error: Error & { code?: string }) =>
          fail(new HttpFailure(error.message, error.code ?? '', { cause: error })),
        );
        response.on('end', () => {
          if (settled) return;
          settle();
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
          decodeBody(body, response.headers['content-encoding']).then(
            (text) => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }),
            (error: Error & { code?: string }) =>
              reject(new HttpFailure(error.message, error.code ?? 'ERR_BAD_RESPONSE', { cause: error })),
          );
        });
      });
      request.end(data);
    });
  }

  private classifyAnswer(exchange: Exchange, response: HttpAnswer): ExchangeResult {
    const { status, text } = response;
    const contentType = response.headers['content-type'] ?? '';
    const body = parseJson(text, contentType);
    if (status >= 200 && status < 300) {
      if (body !== undefined) return { kind: 'success', status, body };
      return this.failure(exchange, {
        errorCode: 'UNEXPECTED_RESPONSE',
        httpStatus: status,
        message: `Responsys answered ${exchange.fn} with HTTP ${status} but no JSON (${contentType || 'no content type'}: ${bodyExcerpt(text)})`,
        retryable: true,
        maybeProcessed: true,
      });
    }
    const envelope = parseErrorEnvelope(body);
    if (isTokenRejection(status, envelope)) {
      return this.failure(exchange, {
        errorCode: envelope!.errorCode,
        httpStatus: status,
        envelope,
        message: `Responsys rejected the session token on ${exchange.fn} (${describeEnvelope(envelope!)})`,
        retryable: true,
        tokenRejected: true,
      });
    }
    if (envelope) return this.envelopeFailure(exchange, status, envelope);
    if (status >= 300 && status < 400) {
      return this.failure(exchange, {
        errorCode: `HTTP_${status}`,
        httpStatus: status,
        message: `Responsys answered ${exchange.fn} with a redirect (HTTP ${status} to ${String(response.headers.location ?? 'nowhere')}); check RESPONSYS_LOGIN_URL`,
        retryable: false,
      });
    }
    const retryable = status >= 500 || status === 408 || status === 429;
    return this.failure(exchange, {
      errorCode: `HTTP_${status}`,
      httpStatus: status,
      message: `Responsys answered ${exchange.fn} with HTTP ${status} without an error envelope (${bodyExcerpt(text)})`,
      retryable,
      throttled: status === 429,
      maybeProcessed: status >= 500,
    });
  }

  private envelopeFailure(
    exchange: Exchange,
    status: number,
    envelope: ResponsysErrorEnvelope,
  ): ExchangeResult {
    const code = envelope.errorCode;
    const base = {
      errorCode: code,
      httpStatus: status,
      envelope,
      message: `Responsys refused ${exchange.fn}: ${describeEnvelope(envelope)}`,
    };
    if (code === 'API_LIMIT_EXCEEDED') {
      return this.failure(exchange, {
        ...base,
        retryable: true,
        throttled: true,
        retryAfterMs: this.options.rateLimitWindowMs,
      });
    }
    if (code === 'INTERNAL_CAPACITY_LIMIT_EXCEEDED') {
      return this.failure(exchange, { ...base, retryable: true, retryAfterMs: INTERNAL_CAPACITY_WAIT_MS });
    }
    if (code === 'API_BLOCKED') {
      return this.failure(exchange, {
        ...base,
        message: `${base.message} (the API user is blocked from this function; an administrator must unblock it)`,
        retryable: false,
      });
    }
    return this.failure(exchange, { ...base, retryable: status >= 500, maybeProcessed: status >= 500 });
  }

  private classifyFailure(exchange: Exchange, error: unknown): ExchangeResult {
    if (exchange.signal?.aborted) return this.aborted(exchange, true);
    const code = (error as { code?: string }).code ?? '';
    const message = (error as { message?: string }).message ?? String(error);
    if (code === 'ETIMEDOUT') {
      return this.failure(exchange, {
        errorCode: 'TIMEOUT',
        message: `Responsys did not answer ${exchange.fn} within ${this.options.timeoutMs} ms`,
        retryable: true,
        maybeProcessed: true,
        cause: error,
      });
    }
    const notSent = notSentCodes.has(code);
    return this.failure(exchange, {
      errorCode: 'NETWORK_ERROR',
      message: `Could not reach Responsys for ${exchange.fn}: ${code ? `${code} ` : ''}${message}`,
      retryable: true,
      notSent,
      maybeProcessed: !notSent,
      cause: error,
    });
  }

  private aborted(exchange: Exchange, sent: boolean): ExchangeResult {
    return this.failure(exchange, {
      errorCode: 'ABORTED',
      message: `The ${exchange.fn} call was abandoned (shutdown or batch deadline)`,
      retryable: true,
      // Abandoned after sending, the outcome is as unknown as after a timeout.
      notSent: !sent,
      maybeProcessed: sent,
    });
  }

  private failure(
    exchange: Exchange,
    spec: {
      errorCode: string;
      message: string;
      retryable: boolean;
      httpStatus?: number;
      envelope?: ResponsysErrorEnvelope;
      retryAfterMs?: number;
      tokenRejected?: boolean;
      throttled?: boolean;
      notSent?: boolean;
      maybeProcessed?: boolean;
      cause?: unknown;
    },
  ): ExchangeResult {
    return {
      kind: 'failure',
      error: new ResponsysError(spec.message, {
        errorCode: spec.errorCode,
        apiFunction: exchange.fn,
        httpStatus: spec.httpStatus,
        title: spec.envelope?.title,
        detail: spec.envelope?.detail,
        retryable: spec.retryable,
        retryAfterMs: spec.retryAfterMs,
        cause: spec.cause,
      }),
      tokenRejected: spec.tokenRejected ?? false,
      throttled: spec.throttled ?? false,
      notSent: spec.notSent ?? false,
      maybeProcessed: spec.maybeProcessed ?? false,
    };
  }

  private log(exchange: Exchange, result: ExchangeResult, status: number | undefined, seconds: number): void {
    // Debug lines only: building their fields for every call would cost more than the call's metrics.
    if (!this.options.logger.isLevelEnabled('debug')) return;
    const fields = {
      responsys: {
        fn: exchange.fn,
        method: exchange.method,
        path: new URL(exchange.url).pathname,
        ...(status === undefined ? {} : { status }),
        ms: Math.round(seconds * 1000),
        ...(exchange.size === undefined ? {} : { records: exchange.size }),
        ...(exchange.attempt === undefined ? {} : { attempt: exchange.attempt }),
      },
    };
    if (result.kind === 'success') {
      this.options.logger.debug(fields, `Responsys ${exchange.fn} answered`);
    } else {
      this.options.logger.debug(
        { ...fields, errorCode: result.error.errorCode },
        `Responsys ${exchange.fn} failed: ${result.error.message}`,
      );
    }
  }
}

/** The answer's text: decompressed when it is encoded, without a byte-order mark. */
async function decodeBody(body: Buffer, encoding: string | undefined): Promise<string> {
  const decoder = encoding === undefined ? undefined : decoders[encoding.trim().toLowerCase()];
  const bytes = decoder && body.length > 0 ? await decoder(body) : body;
  if (bytes.length > MAX_ANSWER_BYTES) {
    throw new HttpFailure(`maxContentLength size of ${MAX_ANSWER_BYTES} exceeded`, 'ERR_BAD_RESPONSE');
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function outcomeOf(result: ExchangeResult): ApiCallOutcome {
  if (result.kind === 'success') return 'success';
  if (result.throttled) return 'rate_limited';
  const code = result.error.errorCode;
  if (code === 'TIMEOUT') return 'timeout';
  if (code === 'NETWORK_ERROR' || code === 'ABORTED') return 'network_error';
  const status = result.error.httpStatus ?? 0;
  return status >= 500 || code === 'UNEXPECTED_RESPONSE' ? 'server_error' : 'client_error';
}

function describeEnvelope(envelope: ResponsysErrorEnvelope): string {
  const text = [envelope.title, envelope.detail.trim()].filter((part) => part !== '').join(': ');
  return text ? `${envelope.errorCode} (${text})` : envelope.errorCode;
}

/** JSON when the body is JSON (declared or recognisable); undefined for HTML, empty or broken bodies. */
function parseJson(text: string, contentType: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (!/json/i.test(contentType) && !/^[[{]/.test(trimmed)) return undefined;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * JSON with every non-ASCII character escaped as \uXXXX: Responsys refuses unescaped non-ASCII text
 * in some payloads (INVALID_REQUEST_CONTENT), and the escaped form means the same to any JSON reader.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

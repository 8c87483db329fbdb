import type { ApiCallOutcome } from '../shared/metrics.js';
import { errorMessage } from '../shared/errors.js';

// What a Salesforce error means for the caller: its code, whether trying again can help, and how it
// counts in the API-call metrics. jsforce reports REST errors as errors named after the errorCode
// (`INVALID_SESSION_ID`, `REQUEST_LIMIT_EXCEEDED`, `ERROR_HTTP_503`...), and per-record errors of
// sObject Collections and Bulk API results carry `statusCode` values of the same vocabulary.

export interface SalesforceErrorInfo {
  code: string;
  message: string;
  /** trying again later can succeed (a lock, a busy server, a spent limit, a network blip) */
  retryable: boolean;
  outcome: ApiCallOutcome;
  /** for a spent limit: wait at least this long */
  retryAfterMs?: number;
}

/** Per-record error codes that another attempt can cure. */
const RETRYABLE_RECORD_CODES = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'UNKNOWN_EXCEPTION',
  'REQUEST_LIMIT_EXCEEDED',
  'QUERY_TIMEOUT',
  'API_CURRENTLY_DISABLED',
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'PROCESSING_HALTED',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ABORT_ERR']);

/** A spent daily API allocation refills gradually; waiting a quarter of an hour is a fair guess. */
export const LIMIT_RETRY_AFTER_MS = 15 * 60 * 1000;

export function isRetryableRecordError(code: string): boolean {
  return RETRYABLE_RECORD_CODES.has(code);
}

export function classifySalesforceError(error: unknown): SalesforceErrorInfo {
  const message = errorMessage(error);
  const err = error as { errorCode?: unknown; name?: unknown; code?: unknown; cause?: { code?: unknown } };
  const systemCode = typeof err?.code === 'string' ? err.code : (err?.cause?.code as string | undefined);
  if (systemCode && NETWORK_CODES.has(systemCode)) {
    return { code: systemCode, message, retryable: true, outcome: 'network_error' };
  }
  if ((systemCode && TIMEOUT_CODES.has(systemCode)) || (error as Error)?.name === 'AbortError') {
    return { code: systemCode ?? 'TIMEOUT', message, retryable: true, outcome: 'timeout' };
  }
  if ((error as Error)?.name === 'JobPollingTimeoutError') {
    return { code: 'BULK_POLLING_TIMEOUT', message, retryable: true, outcome: 'timeout' };
  }
  const code =
    typeof err?.errorCode === 'string'
      ? err.errorCode
      : typeof err?.name === 'string' && /^[A-Z][A-Z0-9_]+$/.test(err.name)
        ? err.name
        : 'UNKNOWN';
  if (code === 'REQUEST_LIMIT_EXCEEDED') {
    // "TotalRequests Limit exceeded." is the daily allocation; ConcurrentPerOrgLongTxn clears in seconds.
    const daily = /TotalRequests/i.test(message);
    return {
      code,
      message,
      retryable: true,
      outcome: 'rate_limited',
      retryAfterMs: daily ? LIMIT_RETRY_AFTER_MS : 10_000,
    };
  }
  const http = /^ERROR_HTTP_(\d{3})$/.exec(code);
  if (http) {
    const status = Number(http[1]);
    if (status === 429 || status === 420)
      return { code, message, retryable: true, outcome: 'rate_limited', retryAfterMs: 10_000 };
    if (status >= 500) return { code, message, retryable: true, outcome: 'server_error' };
    return { code, message, retryable: false, outcome: 'client_error' };
  }
  if (code === 'SERVER_UNAVAILABLE' || code === 'UNKNOWN_EXCEPTION') {
    return { code, message, retryable: true, outcome: 'server_error' };
  }
  if (code === 'QUERY_TIMEOUT') return { code, message, retryable: true, outcome: 'timeout' };
  if (code === 'UNABLE_TO_LOCK_ROW') return { code, message, retryable: true, outcome: 'client_error' };
  if (code === 'UNKNOWN') {
    // Not an API answer: a bug, or a transport failure without a code. Let the record try again.
    return { code, message, retryable: true, outcome: 'network_error' };
  }
  return { code, message, retryable: false, outcome: 'client_error' };
}

/** An error answered by Salesforce for a whole call, with what it means. */
export class SalesforceApiError extends Error {
  readonly info: SalesforceErrorInfo;

  constructor(kind: string, info: SalesforceErrorInfo, options?: { cause?: unknown }) {
    super(`Salesforce ${kind} failed: ${info.code}: ${info.message}`, options);
    this.name = 'SalesforceApiError';
    this.info = info;
  }

  get code(): string {
    return this.info.code;
  }

  get retryable(): boolean {
    return this.info.retryable;
  }
}

/** Refused by the bridge itself: the org's daily API allocation is inside the configured reserve. */
export class ApiReserveReachedError extends Error {
  readonly retryable = true;
  readonly code = 'API_RESERVE_REACHED';

  constructor(
    readonly kind: string,
    readonly remaining: number,
    readonly reserve: number,
    readonly retryAfterMs: number,
  ) {
    super(
      `Salesforce ${kind} postponed: ${remaining} API calls remain today, inside the reserve of ${reserve} ` +
        '(SALESFORCE_API_RESERVE_PERCENT); non-urgent work waits until usage falls back',
    );
    this.name = 'ApiReserveReachedError';
  }
}

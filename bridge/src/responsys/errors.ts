import { BridgeError, type BridgeErrorCode } from '../shared/errors.js';
import { redactText } from '../shared/redaction.js';

// Everything that goes wrong with a Responsys call becomes a ResponsysError: the Responsys error code
// (from the error envelope, or one of the bridge's own codes below), the HTTP status when there was an
// answer, and whether repeating the call can help. Flows turn it into a per-record outcome.

/** Codes the bridge gives failures that carry no Responsys error envelope. */
export type BridgeSideResponsysCode =
  /** the caller asked for something the client refuses to send (e.g. a merge without defaultPermissionStatus) */
  | 'REQUEST_REFUSED_BY_CLIENT'
  /** a 2xx answer that is not what the API documents (HTML, empty body, wrong shape) */
  | 'UNEXPECTED_RESPONSE'
  /** the connection failed before or while the request was sent */
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  /** a non-idempotent call (custom event) may or may not have reached Responsys; not repeated */
  | 'OUTCOME_UNKNOWN'
  /** the caller's abort signal fired (shutdown, batch deadline) */
  | 'ABORTED'
  /** a non-2xx answer without the JSON error envelope */
  | `HTTP_${number}`;

export interface ResponsysErrorOptions {
  /** Responsys `errorCode` (INVALID_TOKEN, API_LIMIT_EXCEEDED...) or a bridge-side code */
  errorCode: string;
  /** the API function called (mergeListRecipients...) */
  apiFunction: string;
  httpStatus?: number;
  title?: string;
  detail?: string;
  retryable: boolean;
  /** when retrying makes sense only after a while (a rate-limit window, the capacity budget) */
  retryAfterMs?: number;
  /** the request may have been processed even though no answer came back */
  outcomeUnknown?: boolean;
  cause?: unknown;
  bridgeCode?: BridgeErrorCode;
}

export class ResponsysError extends BridgeError {
  readonly errorCode: string;
  readonly apiFunction: string;
  readonly httpStatus: number | undefined;
  readonly title: string | undefined;
  readonly detail: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly outcomeUnknown: boolean;

  constructor(message: string, options: ResponsysErrorOptions) {
    super(options.bridgeCode ?? 'UPSTREAM_FAILED', redactText(message), {
      cause: options.cause,
      details: {
        service: 'responsys',
        apiFunction: options.apiFunction,
        errorCode: options.errorCode,
        ...(options.httpStatus === undefined ? {} : { httpStatus: options.httpStatus }),
        retryable: options.retryable,
      },
    });
    this.name = 'ResponsysError';
    this.errorCode = options.errorCode;
    this.apiFunction = options.apiFunction;
    this.httpStatus = options.httpStatus;
    this.title = options.title;
    this.detail = options.detail;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}

export function isResponsysError(error: unknown): error is ResponsysError {
  return error instanceof ResponsysError;
}

/** The documented error envelope: `{type, title, errorCode, detail, errorDetails}`. */
export interface ResponsysErrorEnvelope {
  errorCode: string;
  title: string;
  detail: string;
}

export function parseErrorEnvelope(body: unknown): ResponsysErrorEnvelope | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  if (typeof record.errorCode !== 'string' || record.errorCode === '') return undefined;
  return {
    errorCode: record.errorCode,
    title: typeof record.title === 'string' ? record.title : '',
    detail: typeof record.detail === 'string' ? record.detail : '',
  };
}

/** Error codes that mean "log in again": INVALID_TOKEN is recorded; TOKEN_EXPIRED only seen in a client. */
export const tokenErrorCodes = new Set(['INVALID_TOKEN', 'TOKEN_EXPIRED']);

/** The ratelimit resource answers a bad token with 500 UNEXPECTED_EXCEPTION and this detail. */
export function isTokenRejection(status: number, envelope: ResponsysErrorEnvelope | undefined): boolean {
  if (!envelope) return false;
  if (tokenErrorCodes.has(envelope.errorCode)) return true;
  return status >= 500 && /not a valid authentication token/i.test(`${envelope.title} ${envelope.detail}`);
}

/** A short, single-line excerpt of an unexpected body (HTML pages lose their tags). */
export function bodyExcerpt(text: string, max = 160): string {
  const plain = text
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain === '') return '(empty body)';
  return plain.length > max ? `${plain.slice(0, max)}…` : plain;
}

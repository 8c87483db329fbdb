// One error type for the whole bridge. `message` is always safe to show an operator or an API caller
// (no secrets, no stack); `details` carries structured, equally safe context; `cause` keeps the
// original error for the logs only.

export type BridgeErrorCode =
  | 'CONFIG_INVALID'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'STORE_UNAVAILABLE'
  | 'STORE_IN_USE'
  | 'MIGRATION_FAILED'
  | 'QUEUE_UNAVAILABLE'
  | 'UPSTREAM_FAILED'
  | 'NOT_READY'
  | 'INTERNAL';

const defaultStatus: Record<BridgeErrorCode, number> = {
  CONFIG_INVALID: 500,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  STORE_UNAVAILABLE: 503,
  STORE_IN_USE: 503,
  MIGRATION_FAILED: 500,
  QUEUE_UNAVAILABLE: 503,
  UPSTREAM_FAILED: 502,
  NOT_READY: 503,
  INTERNAL: 500,
};

export interface BridgeErrorOptions {
  status?: number;
  details?: unknown;
  cause?: unknown;
}

export class BridgeError extends Error {
  readonly code: BridgeErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: BridgeErrorCode, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.status = options.status ?? defaultStatus[code];
    this.details = options.details;
  }

  toJSON(): { code: BridgeErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isBridgeError(error: unknown): error is BridgeError {
  return error instanceof BridgeError;
}

/** The message of any thrown value, for logs and per-record error columns. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

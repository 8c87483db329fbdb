// The two error shapes of the Salesforce REST API. A request-level failure is an HTTP error whose
// body is `[{message, errorCode, fields}]`; a record-level failure (inside a save result, a
// collection result or a Bulk API row) uses `statusCode` instead of `errorCode`.

export interface ApiErrorBody {
  message: string;
  errorCode: string;
  fields?: string[];
}

/** A request-level error, rendered as `status` with `[{message, errorCode, fields}]`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ApiErrorBody[],
    readonly headers: Record<string, string> = {},
  ) {
    super(errors.map((e) => `${e.errorCode}: ${e.message}`).join('; '));
  }

  static of(status: number, errorCode: string, message: string, fields?: string[]): ApiError {
    return new ApiError(status, [fields ? { message, errorCode, fields } : { message, errorCode }]);
  }
}

export interface RecordError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** A record-level error: the record is not saved, the rest of a batch may be. */
export class RecordFailure extends Error {
  constructor(readonly errors: RecordError[]) {
    super(errors.map((e) => `${e.statusCode}: ${e.message}`).join('; '));
  }

  static of(statusCode: string, message: string, fields: string[] = []): RecordFailure {
    return new RecordFailure([{ statusCode, message, fields }]);
  }

  /** The same errors as a single-record REST call reports them (`errorCode`, HTTP 400). */
  toApiError(status = 400): ApiError {
    return new ApiError(
      status,
      this.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })),
    );
  }
}

export function notFound(message = 'The requested resource does not exist'): ApiError {
  return ApiError.of(404, 'NOT_FOUND', message);
}

export const INVALID_SESSION: ApiErrorBody = {
  message: 'Session expired or invalid',
  errorCode: 'INVALID_SESSION_ID',
};

/** `STATUSCODE:message:fields --`, the Bulk API's `sf__Error` cell. */
export function bulkErrorCell(errors: RecordError[]): string {
  return errors
    .map((e) => `${e.statusCode}:${e.message}:${e.fields.length ? `${e.fields.join(',')} ` : ''}--`)
    .join(' ');
}

import type { ErrorRequestHandler, RequestHandler } from 'express';
import { BridgeError, isBridgeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { redactText } from '../shared/redaction.js';

// Every error leaves the bridge as JSON: {"error": {"code", "message", "details"?}}, with a message an
// operator can act on and never a stack trace or a secret. Unexpected errors are logged in full and
// answered with a generic 500 that carries the request id to find the log line.

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

export const notFound: RequestHandler = (request) => {
  throw new BridgeError('NOT_FOUND', `No route for ${request.method} ${request.path}`);
};

interface HttpParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

function toBridgeError(error: unknown): BridgeError | undefined {
  if (isBridgeError(error)) return error;
  const parserError = error as HttpParserError;
  if (parserError?.type === 'entity.too.large') {
    return new BridgeError(
      'PAYLOAD_TOO_LARGE',
      `The request body is larger than the limit of ${parserError.limit} bytes`,
    );
  }
  if (parserError?.type === 'entity.parse.failed') {
    return new BridgeError('VALIDATION_FAILED', 'The request body is not valid JSON');
  }
  if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
    return new BridgeError('VALIDATION_FAILED', 'The request body encoding is not supported', {
      status: 415,
    });
  }
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const requestId = response.getHeader('x-request-id') as string | undefined;
    const known = toBridgeError(error);
    if (known) {
      if (known.status >= 500) logger.error({ err: error, path: request.path }, known.message);
      const body: ErrorBody = { error: { ...known.toJSON(), message: redactText(known.message) } };
      if (known.status >= 500 && requestId) body.error.requestId = requestId;
      if (known.status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="responsys-bridge"');
      response.status(known.status).json(body);
      return;
    }
    logger.error(
      { err: error, method: request.method, path: request.path },
      'unexpected error in HTTP handler',
    );
    response.status(500).json({
      error: {
        code: 'INTERNAL',
        message: 'The bridge failed to handle this request; the log has the details under this request id',
        requestId,
      },
    } satisfies ErrorBody);
  };
}

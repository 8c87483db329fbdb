import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ResponsysCore } from '../core.js';
import type { Fault } from '../../shared/faults.js';
import { apiFunctionFor } from './rateLimits.js';
import type { IssuedToken } from '../auth/tokens.js';
import { errors, JSON_UTF8, ResponsysError, sendError, sendJson } from './wire.js';

export interface ApiCall {
  core: ResponsysCore;
  req: Request;
  api: string;
  token: IssuedToken | undefined;
}

export interface ApiAnswer {
  status?: number;
  body: unknown;
  contentType?: string;
}

export type ApiHandler = (call: ApiCall) => ApiAnswer | Promise<ApiAnswer>;

/**
 * How a token is checked: `token` answers 401 INVALID_TOKEN; `ratelimit` answers 500
 * UNEXPECTED_EXCEPTION as `GET /rest/api/ratelimit` does; `none` is for login.
 */
export type AuthMode = 'token' | 'ratelimit' | 'none';

export function apiFunctionOf(req: Request): string {
  return apiFunctionFor(req.method, req.path, req.query as Record<string, unknown>) ?? 'unknown';
}

/** Wraps a handler with the token check, the per-function rate limit and error rendering. */
export function apiRoute(core: ResponsysCore, auth: AuthMode, handle: ApiHandler): RequestHandler {
  return async (req: Request, res: Response) => {
    const api = apiFunctionOf(req);
    try {
      let token: IssuedToken | undefined;
      if (auth !== 'none') {
        token = core.tokens.validate(req.get('authorization'));
        if (!token) {
          throw auth === 'ratelimit'
            ? errors.unexpected('Not a valid authentication token')
            : errors.invalidToken();
        }
      }
      if (!core.rateLimiter.take(api)) {
        core.countThrottled(api);
        throw errors.apiLimitExceeded(api);
      }
      const answer = await handle({ core, req, api, token });
      sendJson(res, answer.status ?? 200, answer.body, answer.contentType ?? JSON_UTF8);
    } catch (error) {
      if (error instanceof ResponsysError) return sendError(res, error);
      sendError(res, errors.unexpected(error instanceof Error ? error.message : String(error)));
    }
  };
}

/** Counts every request that names an API function, whatever happens to it afterwards. */
export function countCalls(core: ResponsysCore) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const api = apiFunctionFor(req.method, req.path, req.query as Record<string, unknown>);
    if (api) core.countCall(api);
    next();
  };
}

/** Delays every API answer by the configured latency (benchmarks use 20 ms). */
export function addLatency(core: ResponsysCore) {
  return (_req: Request, _res: Response, next: NextFunction): void => {
    if (core.latencyMs > 0) setTimeout(next, core.latencyMs);
    else next();
  };
}

/**
 * Renders the Responsys-specific fault types of a FaultPlan rule:
 * - `expiredToken`: the presented token stops working and the call answers INVALID_TOKEN;
 * - `throttle`: API_LIMIT_EXCEEDED for the called function (or `params.api`);
 * - `internalCapacity`: INTERNAL_CAPACITY_LIMIT_EXCEEDED;
 * - `serverError`: 500 UNEXPECTED_EXCEPTION (`params.detail`);
 * - `error`: any envelope (`params.status`, `errorCode`, `title`, `detail`).
 */
export function renderServiceFault(core: ResponsysCore) {
  return (fault: Fault, req: Request, res: Response): void => {
    const params = ('params' in fault ? fault.params : undefined) ?? {};
    const text = (key: string, fallback: string) =>
      typeof params[key] === 'string' ? (params[key] as string) : fallback;
    switch (fault.type) {
      case 'expiredToken': {
        const header = req.get('authorization');
        if (header) core.tokens.revoke(header.trim());
        return sendError(
          res,
          req.path === '/rest/api/ratelimit'
            ? errors.unexpected('Not a valid authentication token')
            : errors.invalidToken(),
        );
      }
      case 'throttle': {
        const api = text('api', apiFunctionOf(req));
        core.countThrottled(api);
        return sendError(res, errors.apiLimitExceeded(api));
      }
      case 'internalCapacity':
        return sendError(res, errors.internalCapacityExceeded());
      case 'serverError':
        return sendError(res, errors.unexpected(text('detail', 'An unexpected error occurred')));
      case 'error': {
        const status = typeof params.status === 'number' ? params.status : 400;
        return sendError(
          res,
          new ResponsysError(
            status,
            text('errorCode', 'INVALID_PARAMETER'),
            text('title', ''),
            text('detail', ''),
          ),
        );
      }
      default:
        sendJson(res, 500, { error: `unknown Responsys fault type ${fault.type}` });
    }
  };
}

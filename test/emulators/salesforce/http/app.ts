import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { faultInjection, type Fault } from '../../shared/faults.js';
import { ApiError, INVALID_SESSION, RecordFailure, type RecordError } from '../errors.js';
import type { SalesforceOrg } from '../org.js';
import { controlRouter } from '../control/routes.js';
import { apiVersions, buildRestApi, isSupportedVersion } from './rest/api.js';
import type { RestRequest, RestResponse } from './rest/router.js';
import { bearerToken, oauthRouter } from './oauth.js';

// The emulator's HTTP surface, in order: answer latency, injected faults, the control API,
// extensions (the Streaming API mounts its CometD endpoint here), OAuth, then the REST API.

export interface AppOptions {
  latencyMs: number;
}

function sendApiError(res: Response, error: ApiError): void {
  res.status(error.status).set(error.headers).json(error.errors);
}

function unexpected(res: Response, error: unknown): void {
  console.error('[salesforce-emulator] unexpected error', error);
  const errorId = `${Math.floor(Math.random() * 1e9)}-${Math.floor(Math.random() * 1e5)} (${-Math.floor(Math.random() * 1e9)})`;
  res.status(500).json([
    {
      errorCode: 'UNKNOWN_EXCEPTION',
      message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${errorId}`,
    },
  ]);
}

/** A Jackson-style syntax error, as Salesforce words it: the character, its code and position. */
function jsonSyntaxMessage(text: string, error: Error): string {
  const position = Number(/position (\d+)/.exec(error.message)?.[1] ?? text.length);
  const char = text[position];
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  const what = char === undefined ? 'end-of-input' : `character ('${char}' (code ${char.charCodeAt(0)}))`;
  return `Unexpected ${what}: expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at [line:${line}, column:${column}]`;
}

function callOptionsClient(header: string | undefined): string | null {
  const m = /(?:^|[,;\s])client\s*=\s*([^,;\s]+)/i.exec(header ?? '');
  return m?.[1] ?? null;
}

function headersOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

/** Salesforce-specific faults from the shared fault plan (see docs/emulators-salesforce.md). */
function salesforceFaults(org: SalesforceOrg) {
  return (fault: Fault, req: Request, res: Response, next: NextFunction): void => {
    const params = ('params' in fault ? fault.params : undefined) ?? {};
    const message = typeof params.message === 'string' ? params.message : undefined;
    switch (fault.type) {
      case 'UNABLE_TO_LOCK_ROW': {
        const error: RecordError = {
          statusCode: 'UNABLE_TO_LOCK_ROW',
          message: message ?? 'unable to obtain exclusive access to this record',
          fields: [],
        };
        const rate = typeof params.recordRate === 'number' ? params.recordRate : 1;
        res.locals.recordFault = org.recordFault(error, rate);
        next();
        return;
      }
      case 'REQUEST_LIMIT_EXCEEDED':
        res
          .status(403)
          .set('Sforce-Limit-Info', org.limits.limitInfoHeader())
          .json([
            { message: message ?? 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
          ]);
        return;
      case 'INVALID_SESSION_ID': {
        const token = bearerToken(req);
        if (token && params.expireSession !== false) org.sessions.expire({ token });
        res.status(401).set('WWW-Authenticate', 'Token').json([INVALID_SESSION]);
        return;
      }
      case 'SERVER_UNAVAILABLE':
        res
          .status(503)
          .json([{ errorCode: 'SERVER_UNAVAILABLE', message: message ?? 'Server temporarily unavailable' }]);
        return;
      case 'UNKNOWN_EXCEPTION':
        res.status(500).json([
          {
            errorCode: 'UNKNOWN_EXCEPTION',
            message:
              message ??
              'An unexpected error occurred. Please include this ErrorId if you contact support: 1904573185-95117 (-1390498387)',
          },
        ]);
        return;
      case 'QUERY_TIMEOUT':
        res.status(400).json([
          {
            errorCode: 'QUERY_TIMEOUT',
            message: message ?? 'Your query request was running for too long.',
          },
        ]);
        return;
      default:
        res.status(500).json([{ errorCode: 'UNKNOWN_FAULT', message: `unknown fault type ${fault.type}` }]);
    }
  };
}

export function createApp(
  org: SalesforceOrg,
  options: AppOptions,
): { app: express.Express; extensions: Router } {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const extensions = express.Router();
  const api = buildRestApi(org);

  if (options.latencyMs > 0) {
    app.use((req, _res, next) => {
      if (req.path.startsWith('/__control')) return next();
      setTimeout(next, options.latencyMs);
    });
  }
  app.use(faultInjection(org.faults, salesforceFaults(org)));
  app.use('/__control', express.json({ limit: '50mb' }), controlRouter(org));
  app.use(extensions);
  app.use(oauthRouter(org));

  const versions = (_req: Request, res: Response) => res.json(apiVersions());
  app.get('/services/data', versions);
  app.get('/services/data/', versions);

  app.all(
    '/services/data/:version{/*rest}',
    express.raw({ type: () => true, limit: '160mb' }),
    (req, res) => {
      try {
        const versionParam = String(req.params.version);
        const version = versionParam.replace(/^v/, '');
        if (!versionParam.startsWith('v') || !isSupportedVersion(version)) {
          throw ApiError.of(404, 'NOT_FOUND', 'The requested resource does not exist');
        }
        const token = bearerToken(req);
        const session = token ? org.sessions.use(token) : undefined;
        if (!session) throw new ApiError(401, [INVALID_SESSION], { 'WWW-Authenticate': 'Token' });
        const rest = (req.params as { rest?: string[] }).rest ?? [];
        const path = `/${rest.join('/')}`;
        const method = req.method === 'HEAD' ? 'GET' : req.method;
        const match = api.match(method, path);
        if (!match) throw ApiError.of(404, 'NOT_FOUND', 'The requested resource does not exist');
        if ('allowed' in match) {
          throw ApiError.of(
            405,
            'METHOD_NOT_ALLOWED',
            `HTTP Method '${req.method}' not allowed. Allowed are ${match.allowed.join(',')}`,
          );
        }
        if (org.limits.remaining('DailyApiRequests') <= 0) {
          throw new ApiError(
            403,
            [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
            {
              'Sforce-Limit-Info': org.limits.limitInfoHeader(),
            },
          );
        }
        org.limits.countApiCall(match.route.kind);
        res.set('Sforce-Limit-Info', org.limits.limitInfoHeader());
        const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
        let body: unknown;
        if (match.route.body === 'json' && rawBody.trim()) {
          try {
            body = JSON.parse(rawBody);
          } catch (error) {
            throw ApiError.of(400, 'JSON_PARSER_ERROR', jsonSyntaxMessage(rawBody, error as Error));
          }
        }
        const recordFault = res.locals.recordFault as (() => RecordError | undefined) | undefined;
        const restRequest: RestRequest = {
          method,
          path,
          version,
          query: Object.fromEntries(
            Object.entries(req.query).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : String(v)]),
          ),
          body,
          rawBody,
          headers: headersOf(req),
          session,
          context: {
            user: { id: session.userId, username: session.username },
            api: path.startsWith('/jobs/') ? 'bulk' : 'rest',
            client: callOptionsClient(req.headers['sforce-call-options'] as string | undefined),
            recordFault,
          },
        };
        const response: RestResponse = match.route.handler(restRequest, match.params);
        res.status(response.status).set(response.headers ?? {});
        if (response.text !== undefined) res.type(response.contentType ?? 'text/plain').send(response.text);
        else if (response.body === undefined) res.end();
        else res.json(response.body);
      } catch (error) {
        if (error instanceof ApiError) {
          if (error.status !== 401 && error.status !== 404)
            res.set('Sforce-Limit-Info', org.limits.limitInfoHeader());
          sendApiError(res, error);
        } else if (error instanceof RecordFailure) {
          sendApiError(res, error.toApiError());
        } else {
          unexpected(res, error);
        }
      }
    },
  );

  app.use((_req: Request, res: Response) => {
    res.status(404).json([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number; type?: string }).status;
    if (status === 413) {
      res.status(413).json([{ errorCode: 'REQUEST_TOO_LARGE', message: 'Request body is too large' }]);
      return;
    }
    if ((error as { type?: string }).type === 'entity.parse.failed') {
      res.status(400).json([{ errorCode: 'JSON_PARSER_ERROR', message: (error as Error).message }]);
      return;
    }
    unexpected(res, error);
  });
  return { app, extensions };
}

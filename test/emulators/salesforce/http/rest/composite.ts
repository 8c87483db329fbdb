import { ApiError } from '../../errors.js';
import type { UnitOfWork } from '../../data/write-pipeline.js';
import type { SalesforceOrg } from '../../org.js';
import type { RestRequest, RestResponse, RestRouter } from './router.js';

// `/composite` (up to 25 subrequests in one transaction, `@{ref.path}` references between them,
// one API call) and `/composite/batch` (up to 25 independent subrequests).

const MAX_SUBREQUESTS = 25;
const MAX_QUERY_OR_COLLECTION = 5;

const HALTED_MESSAGE =
  'The transaction was rolled back since another operation in the same transaction failed.';

interface SubRequest {
  method: string;
  url: string;
  body?: unknown;
  httpHeaders?: Record<string, string>;
  referenceId?: string;
}

/** Runs one subrequest through the same handlers HTTP uses; errors become their HTTP answer. */
export function dispatchSubrequest(
  router: RestRouter,
  parent: RestRequest,
  sub: SubRequest,
  unit: UnitOfWork | undefined,
): { response: RestResponse; kind?: string } {
  const m = /^(?:\/services\/data\/)?v(\d+\.\d)(\/[^?]*)?(?:\?(.*))?$/.exec(sub.url.trim());
  if (!m)
    return {
      response: {
        status: 404,
        body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }],
      },
    };
  const [, version, path = '/', search = ''] = m;
  const match = router.match(sub.method.toUpperCase(), path);
  if (!match)
    return {
      response: {
        status: 404,
        body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }],
      },
    };
  if ('allowed' in match) {
    return {
      response: {
        status: 405,
        body: [
          {
            errorCode: 'METHOD_NOT_ALLOWED',
            message: `HTTP Method '${sub.method}' not allowed. Allowed are ${match.allowed.join(',')}`,
          },
        ],
      },
    };
  }
  const headers: Record<string, string> = { ...parent.headers };
  for (const [k, v] of Object.entries(sub.httpHeaders ?? {})) headers[k.toLowerCase()] = v;
  const request: RestRequest = {
    method: sub.method.toUpperCase(),
    path,
    version: version!,
    query: Object.fromEntries(new URLSearchParams(search)),
    body: sub.body,
    rawBody: sub.body === undefined ? '' : JSON.stringify(sub.body),
    headers,
    session: parent.session,
    context: parent.context,
    unit,
  };
  try {
    return { response: match.route.handler(request, match.params), kind: match.route.kind };
  } catch (error) {
    if (error instanceof ApiError)
      return { response: { status: error.status, body: error.errors }, kind: match.route.kind };
    throw error;
  }
}

const REFERENCE = /@\{([^}]+)\}/g;

function lookupPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (current === null || current === undefined) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

class UnresolvedReference extends Error {}

function resolveReferences(value: unknown, results: Map<string, RestResponse>): unknown {
  const resolveString = (text: string): unknown => {
    const whole = /^@\{([^}]+)\}$/.exec(text);
    const lookup = (expr: string) => {
      const [refId, ...rest] = expr.split('.');
      const [name, index] = /^([^[]+)(.*)$/.exec(refId!)?.slice(1) ?? [refId, ''];
      const response = results.get(name!);
      if (!response || response.status >= 400) throw new UnresolvedReference(expr);
      const found = lookupPath(
        response.body,
        `${index ?? ''}${rest.length ? `.${rest.join('.')}` : ''}`.replace(/^\./, ''),
      );
      if (found === undefined) throw new UnresolvedReference(expr);
      return found;
    };
    if (whole) return lookup(whole[1]!);
    return text.replace(REFERENCE, (_m, expr: string) => String(lookup(expr)));
  };
  if (typeof value === 'string') return resolveString(value);
  if (Array.isArray(value)) return value.map((v) => resolveReferences(v, results));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveReferences(v, results)]));
  }
  return value;
}

function locationHeader(response: RestResponse, sub: SubRequest): Record<string, string> {
  if (response.status !== 201) return {};
  const id = (response.body as { id?: string } | undefined)?.id;
  const base = sub.url.split('?')[0]!.replace(/\/$/, '');
  return id ? { Location: `${base}/${id}` } : {};
}

export function registerCompositeRoutes(router: RestRouter, org: SalesforceOrg): void {
  router.add('POST', '/composite', 'composite', (req) => {
    const body = req.body as { allOrNone?: unknown; compositeRequest?: unknown } | undefined;
    const subs = body?.compositeRequest;
    if (!Array.isArray(subs) || subs.length === 0) {
      throw ApiError.of(400, 'JSON_PARSER_ERROR', 'The compositeRequest array is required');
    }
    if (subs.length > MAX_SUBREQUESTS) {
      throw ApiError.of(
        400,
        'LIMIT_EXCEEDED',
        `Composite request size limit exceeded. Maximum allowed is ${MAX_SUBREQUESTS}.`,
      );
    }
    const seenRefs = new Set<string>();
    for (const sub of subs as SubRequest[]) {
      if (
        !sub ||
        typeof sub.method !== 'string' ||
        typeof sub.url !== 'string' ||
        typeof sub.referenceId !== 'string'
      ) {
        throw ApiError.of(400, 'INVALID_INPUT', 'Each subrequest needs method, url and referenceId');
      }
      if (seenRefs.has(sub.referenceId)) {
        throw ApiError.of(
          400,
          'INVALID_INPUT',
          `Duplicate referenceId provided in the request: ${sub.referenceId}`,
        );
      }
      seenRefs.add(sub.referenceId);
    }
    const heavy = (subs as SubRequest[]).filter((s) =>
      /\/(query|queryAll|composite\/sobjects)\b/.test(s.url),
    ).length;
    if (heavy > MAX_QUERY_OR_COLLECTION) {
      throw ApiError.of(
        400,
        'LIMIT_EXCEEDED',
        `A composite request can contain up to ${MAX_QUERY_OR_COLLECTION} query and sObject Collections operations.`,
      );
    }
    const allOrNone = body?.allOrNone === true;
    const results = new Map<string, RestResponse>();
    const compositeResponse: Array<{
      body: unknown;
      httpHeaders: Record<string, string>;
      httpStatusCode: number;
      referenceId: string;
    }> = [];
    const rollback = new Error('composite rolled back');
    let failed = false;
    try {
      org.pipeline.run(req.context, (unit) => {
        for (const sub of subs as SubRequest[]) {
          let response: RestResponse;
          if (failed && allOrNone) {
            response = { status: 400, body: [{ errorCode: 'PROCESSING_HALTED', message: HALTED_MESSAGE }] };
          } else {
            try {
              const resolved = {
                ...sub,
                url: resolveReferences(sub.url, results) as string,
                body: resolveReferences(sub.body, results),
              };
              const savepoint = unit.tx.savepoint();
              response = dispatchSubrequest(router, req, resolved, unit).response;
              if (response.status >= 400) unit.tx.rollbackTo(savepoint);
            } catch (error) {
              if (!(error instanceof UnresolvedReference)) throw error;
              response = {
                status: 400,
                body: [
                  {
                    errorCode: 'PROCESSING_HALTED',
                    message: `Invalid reference specified. No value for ${error.message} found in ${error.message.split(/[.[]/)[0]!}. Provided referenceId ('${error.message}') must be a valid reference.`,
                  },
                ],
              };
            }
          }
          if (response.status >= 400) failed = true;
          results.set(sub.referenceId!, response);
          compositeResponse.push({
            body: response.body ?? null,
            httpHeaders: locationHeader(response, sub),
            httpStatusCode: response.status,
            referenceId: sub.referenceId!,
          });
        }
        if (failed && allOrNone) throw rollback;
      });
    } catch (error) {
      if (error !== rollback) throw error;
      for (const entry of compositeResponse) {
        if (
          entry.httpStatusCode < 400 ||
          (entry.body as Array<{ errorCode?: string }>)[0]?.errorCode === 'PROCESSING_HALTED'
        ) {
          entry.body = [{ errorCode: 'PROCESSING_HALTED', message: HALTED_MESSAGE }];
          entry.httpStatusCode = 400;
          entry.httpHeaders = {};
        }
      }
    }
    return { status: 200, body: { compositeResponse } };
  });

  router.add('POST', '/composite/batch', 'composite.batch', (req) => {
    const body = req.body as { batchRequests?: unknown; haltOnError?: unknown } | undefined;
    const subs = body?.batchRequests;
    if (!Array.isArray(subs) || subs.length === 0) {
      throw ApiError.of(400, 'JSON_PARSER_ERROR', 'The batchRequests array is required');
    }
    if (subs.length > MAX_SUBREQUESTS) {
      throw ApiError.of(
        400,
        'LIMIT_EXCEEDED',
        `Batch request size limit exceeded. Maximum allowed is ${MAX_SUBREQUESTS}.`,
      );
    }
    let halted = false;
    const results = (subs as Array<{ method: string; url: string; richInput?: unknown }>).map((sub) => {
      if (halted) {
        return {
          statusCode: 412,
          result: [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }],
        };
      }
      const { response } = dispatchSubrequest(
        router,
        req,
        { method: sub.method, url: sub.url, body: sub.richInput },
        undefined,
      );
      if (response.status >= 400 && body?.haltOnError === true) halted = true;
      return { statusCode: response.status, result: response.body ?? null };
    });
    return { status: 200, body: { hasErrors: results.some((r) => r.statusCode >= 400), results } };
  });
}

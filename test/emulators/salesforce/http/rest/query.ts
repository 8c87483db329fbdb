import { ApiError } from '../../errors.js';
import type { SalesforceOrg } from '../../org.js';
import type { QueryResult } from '../../soql/query-engine.js';
import type { RestRequest, RestResponse, RestRouter } from './router.js';

// SOQL over REST: `/query?q=` and `/queryAll?q=` answer up to a batch (2,000 records by default, or
// the `Sforce-Query-Options: batchSize=N` header, 200..2,000) and a `nextRecordsUrl` to follow.

const DEFAULT_BATCH = 2000;

function batchSize(req: RestRequest): number {
  const m = /batchSize\s*=\s*(\d+)/i.exec(req.headers['sforce-query-options'] ?? '');
  if (!m) return DEFAULT_BATCH;
  return Math.min(2000, Math.max(200, Number(m[1])));
}

function page(
  org: SalesforceOrg,
  req: RestRequest,
  result: QueryResult,
  offset: number,
  size: number,
  locator: string | undefined,
  resource: 'query' | 'queryAll',
): RestResponse {
  if (result.kind === 'count')
    return { status: 200, body: { totalSize: result.totalSize, done: true, records: [] } };
  const rows = result.rows.slice(offset, offset + size);
  const next = offset + size;
  const done = next >= result.rows.length;
  if (!done && result.kind === 'aggregate') {
    throw ApiError.of(
      400,
      'MALFORMED_QUERY',
      'Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch',
    );
  }
  const body: Record<string, unknown> = {
    totalSize: result.totalSize,
    done,
    records: rows.map((row) => result.toRest(row, req.version)),
  };
  if (!done) {
    const cursor = locator ?? org.cursors.open(req.session.userId, result);
    body.nextRecordsUrl = `/services/data/v${req.version}/${resource}/${cursor}-${next}`;
  } else if (locator) {
    org.cursors.close(locator);
  }
  return { status: 200, body };
}

export function registerQueryRoutes(router: RestRouter, org: SalesforceOrg): void {
  for (const resource of ['query', 'queryAll'] as const) {
    router.add('GET', `/${resource}`, resource, (req) => {
      const soql = req.query.q;
      if (soql === undefined) {
        throw ApiError.of(400, 'MALFORMED_QUERY', 'A query string has to be specified');
      }
      const result = org.queries.query(soql, {
        includeDeleted: resource === 'queryAll',
        userId: req.session.userId,
      });
      return page(org, req, result, 0, batchSize(req), undefined, resource);
    });

    router.add('GET', `/${resource}/:locator`, `${resource}More`, (req, p) => {
      const m = /^(.+)-(\d+)$/.exec(p.locator!);
      const result = m ? org.cursors.get(m[1]!, req.session.userId) : undefined;
      if (!m || !result) throw ApiError.of(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
      return page(org, req, result, Number(m[2]), batchSize(req), m[1], resource);
    });
  }
}

import { ApiError } from '../../errors.js';
import type { SalesforceOrg } from '../../org.js';
import { csvText } from '../../bulk/csv.js';
import type { IngestJob } from '../../bulk/jobs.js';
import type { RestRequest, RestRouter } from './router.js';

// Bulk API 2.0 resources under `/jobs/ingest` and `/jobs/query`.

function jsonBody(req: RestRequest): Record<string, unknown> {
  if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) {
    throw ApiError.of(400, 'INVALIDJOB', 'The request body must be a JSON object');
  }
  return req.body as Record<string, unknown>;
}

export function registerBulk2Routes(router: RestRouter, org: SalesforceOrg): void {
  const bulk = org.bulk;

  router.add('POST', '/jobs/ingest', 'bulk2.ingest.create', (req) => {
    const job = bulk.createIngest(req.session.userId, req.version, jsonBody(req));
    return { status: 200, body: bulk.describe(job, { withContentUrl: true }) };
  });

  router.add('GET', '/jobs/ingest', 'bulk2.ingest.list', () => ({
    status: 200,
    body: { done: true, records: bulk.list('ingest').map((j) => bulk.describe(j)), nextRecordsUrl: null },
  }));

  router.add('GET', '/jobs/ingest/:id', 'bulk2.ingest.info', (_req, p) => ({
    status: 200,
    body: bulk.describe(bulk.get('ingest', p.id!)),
  }));

  router.add('PATCH', '/jobs/ingest/:id', 'bulk2.ingest.state', (req, p) => {
    const job = bulk.setIngestState(p.id!, jsonBody(req).state, req.context);
    return { status: 200, body: bulk.describe(job) };
  });

  router.add('DELETE', '/jobs/ingest/:id', 'bulk2.ingest.delete', (_req, p) => {
    bulk.delete('ingest', p.id!);
    return { status: 204 };
  });

  router.add(
    'PUT',
    '/jobs/ingest/:id/batches',
    'bulk2.ingest.upload',
    (req, p) => {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (contentType !== 'text/csv') {
        throw ApiError.of(
          400,
          'INVALIDCONTENTTYPE',
          `Content-Type must be text/csv, not ${contentType || 'missing'}`,
        );
      }
      bulk.upload(p.id!, req.rawBody);
      return { status: 201 };
    },
    'csv',
  );

  const results =
    (which: 'successful' | 'failed' | 'unprocessed') => (_req: RestRequest, p: Record<string, string>) => {
      const job = bulk.get('ingest', p.id!) as IngestJob;
      const { header, rows } = bulk.ingestResults(p.id!, which);
      return {
        status: 200,
        text: header.length ? csvText(header, rows, job.columnDelimiter, job.lineEnding) : '',
        contentType: 'text/csv',
      };
    };
  router.add('GET', '/jobs/ingest/:id/successfulResults', 'bulk2.ingest.results', results('successful'));
  router.add('GET', '/jobs/ingest/:id/failedResults', 'bulk2.ingest.results', results('failed'));
  router.add('GET', '/jobs/ingest/:id/unprocessedrecords', 'bulk2.ingest.results', results('unprocessed'));

  router.add('POST', '/jobs/query', 'bulk2.query.create', (req) => {
    const job = bulk.createQuery(req.session.userId, req.version, jsonBody(req));
    return { status: 200, body: bulk.describe(job) };
  });

  router.add('GET', '/jobs/query', 'bulk2.query.list', () => ({
    status: 200,
    body: { done: true, records: bulk.list('query').map((j) => bulk.describe(j)), nextRecordsUrl: null },
  }));

  router.add('GET', '/jobs/query/:id', 'bulk2.query.info', (_req, p) => ({
    status: 200,
    body: bulk.describe(bulk.get('query', p.id!)),
  }));

  router.add('PATCH', '/jobs/query/:id', 'bulk2.query.state', (req, p) => ({
    status: 200,
    body: bulk.describe(bulk.abortQuery(p.id!, jsonBody(req).state)),
  }));

  router.add('DELETE', '/jobs/query/:id', 'bulk2.query.delete', (_req, p) => {
    bulk.delete('query', p.id!);
    return { status: 204 };
  });

  router.add('GET', '/jobs/query/:id/results', 'bulk2.query.results', (req, p) => {
    const page = bulk.queryResultsPage(p.id!, req.version, req.query.locator, req.query.maxRecords);
    return {
      status: 200,
      text: page.csv,
      contentType: 'text/csv',
      headers: { 'Sforce-Locator': page.nextLocator, 'Sforce-NumberOfRecords': String(page.count) },
    };
  });
}

import { setTimeout as sleep } from 'node:timers/promises';
import { BridgeError } from '../shared/errors.js';
import { parseBulkCsv } from './bulk-csv.js';
import type { CallOptions, SalesforceClient } from './client.js';
import { findField, findRelationship, type DescribeCache, type ObjectDescription } from './describe.js';
import { SalesforceApiError } from './errors.js';
import {
  isSalesforceId,
  soqlFields,
  soqlObject,
  soqlString,
  stripAttributes,
  toId18,
  type SObjectRecord,
} from './soql.js';

// Reading records in bulk: by ids in batches (one SOQL query per chunk of ids, kept well under the
// 16 KB URL limit), any SOQL with its pages followed (queryMore), and Bulk API 2.0 query jobs for
// large reads, whose results the bridge pages itself (`maxRecords` + `Sforce-Locator`) and types with
// describe, so a Bulk row looks like a REST row.

export interface QueryOptions extends CallOptions {
  /** include deleted and archived records (the queryAll resource) */
  includeDeleted?: boolean;
  /** records per page (Sforce-Query-Options batchSize, 200-2000) */
  batchSize?: number;
}

export interface RetrieveOptions extends QueryOptions {
  /** an extra SOQL condition ANDed to the id filter, e.g. `IsConverted = false` */
  where?: string;
}

/** Bulk reads are large and rarely urgent: background priority unless the caller says otherwise. */
export interface BulkQueryOptions extends CallOptions {
  includeDeleted?: boolean;
  /** records per result page (maxRecords); default 10,000 */
  pageSize?: number;
  /** a smaller first page, so a caller that works page by page can start sooner; default pageSize */
  firstPageSize?: number;
}

interface QueryResult {
  totalSize: number;
  done: boolean;
  records: SObjectRecord[];
  nextRecordsUrl?: string;
}

// Encoded SOQL kept under this many characters per request (Salesforce refuses URIs over 16,384 bytes).
const MAX_ENCODED_SOQL = 12_000;
const MAX_IDS_PER_QUERY = 200;

/** Every page of a SOQL query, one REST call per page. */
export async function* queryPages(
  client: SalesforceClient,
  soql: string,
  options: QueryOptions = {},
): AsyncGenerator<SObjectRecord[]> {
  const resource = options.includeDeleted ? 'queryAll' : 'query';
  const headers: Record<string, string> = {};
  if (options.batchSize) {
    headers['Sforce-Query-Options'] = `batchSize=${Math.min(2000, Math.max(200, options.batchSize))}`;
  }
  let result = await client.call(
    'query',
    (conn) =>
      conn.request<QueryResult>({
        method: 'GET',
        url: `${client.dataPath}/${resource}?q=${encodeURIComponent(soql)}`,
        headers,
      }),
    options,
  );
  for (;;) {
    yield stripAttributes(result.records ?? []);
    if (result.done !== false || !result.nextRecordsUrl) return;
    const next = result.nextRecordsUrl;
    result = await client.call(
      'query.more',
      (conn) => conn.request<QueryResult>({ method: 'GET', url: next, headers }),
      options,
    );
  }
}

/** Every record of a SOQL query, all pages followed. For large results prefer bulkQuery. */
export async function queryAll(
  client: SalesforceClient,
  soql: string,
  options: QueryOptions = {},
): Promise<SObjectRecord[]> {
  const records: SObjectRecord[] = [];
  for await (const page of queryPages(client, soql, options)) records.push(...page);
  return records;
}

/**
 * Records by id, in as few queries as the URL limit allows (at most 200 ids per query). The result is
 * keyed by the 18-character id; ids that match nothing (deleted, never existed, malformed) are absent.
 */
export async function retrieveByIds(
  client: SalesforceClient,
  objectType: string,
  ids: readonly string[],
  fields: readonly string[],
  options: RetrieveOptions = {},
): Promise<Map<string, SObjectRecord>> {
  const unique = [...new Set(ids.filter(isSalesforceId).map(toId18))];
  const result = new Map<string, SObjectRecord>();
  for (const record of await retrieveWhereIn(client, objectType, 'Id', unique, fields, options)) {
    result.set(toId18(record.Id), record);
  }
  return result;
}

/**
 * Records whose `field` is one of `values` (e.g. Email IN (...)), chunked like retrieveByIds. SOQL
 * compares text case-insensitively.
 */
export async function retrieveWhereIn(
  client: SalesforceClient,
  objectType: string,
  field: string,
  values: readonly string[],
  fields: readonly string[],
  options: RetrieveOptions = {},
): Promise<SObjectRecord[]> {
  const object = soqlObject(objectType);
  const [filterField] = soqlFields([field]);
  const selected = soqlFields(['Id', ...fields]);
  const head = `SELECT ${selected.join(', ')} FROM ${object} WHERE `;
  const tail = options.where ? ` AND (${options.where})` : '';
  const records: SObjectRecord[] = [];
  for (const chunk of chunkValues([...new Set(values)], `${head}${filterField} IN ()${tail}`)) {
    const soql = `${head}${filterField} IN (${chunk.map(soqlString).join(',')})${tail}`;
    records.push(...(await queryAll(client, soql, options)));
  }
  return records;
}

/** Splits values so that each query stays under the 200-value and URL-length limits. */
export function chunkValues(values: readonly string[], emptyQuery: string): string[][] {
  const chunks: string[][] = [];
  const fixed = encodeURIComponent(emptyQuery).length;
  let current: string[] = [];
  let length = fixed;
  for (const value of values) {
    const cost = encodeURIComponent(`${soqlString(value)},`).length;
    if (current.length > 0 && (current.length >= MAX_IDS_PER_QUERY || length + cost > MAX_ENCODED_SOQL)) {
      chunks.push(current);
      current = [];
      length = fixed;
    }
    current.push(value);
    length += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

interface QueryJob {
  id: string;
  state: 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
  errorMessage?: string;
  numberRecordsProcessed?: number;
}

/**
 * A Bulk API 2.0 query job, its result pages yielded as they are read (page size = maxRecords).
 * Values are typed from describe (booleans, numbers; empty cells are null) and parent fields become
 * nested objects, as in REST results. Paged here rather than with jsforce's `bulk2.query()`, which
 * cannot join several result pages.
 */
export async function* bulkQuery(
  client: SalesforceClient,
  describer: DescribeCache,
  soql: string,
  requested: BulkQueryOptions = {},
): AsyncGenerator<SObjectRecord[]> {
  const options = { ...requested, priority: requested.priority ?? 'background' };
  const pageSize = options.pageSize ?? 10_000;
  const base = `${client.dataPath}/jobs/query`;
  const job = await client.call(
    'bulk2.query.create',
    (conn) =>
      conn.request<QueryJob>({
        method: 'POST',
        url: base,
        body: JSON.stringify({ operation: options.includeDeleted ? 'queryAll' : 'query', query: soql }),
        headers: { 'content-type': 'application/json' },
      }),
    options,
  );
  const log = client.log.child({ bulkJobId: job.id });
  log.debug({ soql }, 'Bulk API query job created');
  await waitForJob(client, `${base}/${job.id}`, 'bulk2.query.status', options);

  const objectType = /\bFROM\s+([A-Za-z0-9_]+)/i.exec(soql)?.[1];
  const typer = objectType ? await CsvTyper.for(describer, objectType) : undefined;
  let locator: string | undefined;
  let pages = 0;
  for (;;) {
    const size = pages === 0 ? (options.firstPageSize ?? pageSize) : pageSize;
    const query = `maxRecords=${size}${locator ? `&locator=${encodeURIComponent(locator)}` : ''}`;
    const response = await client.call(
      'bulk2.query.results',
      client.raw({
        method: 'GET',
        path: `${base}/${job.id}/results?${query}`,
        headers: { Accept: 'text/csv' },
      }),
      options,
    );
    pages += 1;
    const { columns, rows } = parseBulkCsv(response.body);
    if (typer && pages === 1 && rows.length > 0) await typer.prepare(describer, columns);
    yield typer ? typer.typeRows(columns, rows) : rows.map((row) => toObject(columns, row));
    const next = response.headers['sforce-locator'];
    if (next === undefined) {
      log.warn({ pages }, 'Bulk API results without a Sforce-Locator header: reading stops here');
      return;
    }
    if (next === 'null' || next === '') return;
    locator = next;
  }
}

/** Polls a Bulk API job until it is complete: 500 ms at first, then longer, up to the client's timeout. */
export async function waitForJob(
  client: SalesforceClient,
  path: string,
  kind: string,
  options: CallOptions,
): Promise<QueryJob> {
  const { pollIntervalMs, maxPollIntervalMs, timeoutMs } = client.bulkOptions;
  const deadline = Date.now() + timeoutMs;
  let interval = pollIntervalMs;
  for (;;) {
    const job = await client.call(
      kind,
      (conn) => conn.request<QueryJob>({ method: 'GET', url: path }),
      options,
    );
    if (job.state === 'JobComplete') return job;
    if (job.state === 'Failed' || job.state === 'Aborted') {
      throw new SalesforceApiError(kind, {
        code: job.state === 'Failed' ? 'BULK_JOB_FAILED' : 'BULK_JOB_ABORTED',
        message: `Bulk API job ${job.id} ${job.state.toLowerCase()}${job.errorMessage ? `: ${job.errorMessage}` : ''}`,
        retryable: job.state === 'Failed',
        outcome: 'server_error',
      });
    }
    if (Date.now() + interval > deadline) {
      throw new BridgeError(
        'UPSTREAM_FAILED',
        `Bulk API job ${job.id} still ${job.state} after ${Math.round(timeoutMs / 1000)} s`,
      );
    }
    await sleep(interval);
    interval = Math.min(maxPollIntervalMs, Math.round(interval * 1.5));
  }
}

/** Gives Bulk API CSV cells the types describe says (and nests parent fields). */
export class CsvTyper {
  private plan: { signature: string; columns: ColumnPlan[] } | undefined;

  private constructor(
    private readonly root: ObjectDescription,
    private readonly parents: Map<string, ObjectDescription>,
  ) {}

  static async for(describer: DescribeCache, objectType: string): Promise<CsvTyper> {
    const root = await describer.describe(objectType);
    return new CsvTyper(root, new Map());
  }

  /** Describes the parent objects a set of dotted columns reach (one level, e.g. Account.Name). */
  async prepare(describer: DescribeCache, columns: readonly string[]): Promise<void> {
    this.plan = undefined;
    for (const column of columns) {
      const [relationship] = column.split('.');
      if (!column.includes('.') || this.parents.has(relationship!.toLowerCase())) continue;
      const lookup = findRelationship(this.root, relationship!);
      const target = lookup?.referenceTo[0];
      if (target) this.parents.set(relationship!.toLowerCase(), await describer.describe(target));
    }
  }

  /** Types one row given by column name. */
  type(row: Record<string, string>): SObjectRecord {
    const columns = Object.keys(row);
    return this.typeRow(
      this.planFor(columns),
      columns.map((column) => row[column]!),
    );
  }

  /** Types the rows of one result page, given as arrays in the order of `columns`. */
  typeRows(columns: readonly string[], rows: ReadonlyArray<readonly string[]>): SObjectRecord[] {
    const plan = this.planFor(columns);
    return rows.map((row) => this.typeRow(plan, row));
  }

  /**
   * Where each column goes and its type, worked out once per set of columns: describe lookups per
   * cell would cost more than the parsing itself on large results.
   */
  private planFor(columns: readonly string[]): ColumnPlan[] {
    const signature = columns.join(',');
    if (this.plan?.signature === signature) return this.plan.columns;
    const plan = columns.map((column): ColumnPlan => {
      const path = column.split('.');
      if (path.length === 1) return { key: column, type: findField(this.root, column)?.type };
      const [relationship, ...rest] = path;
      const parentDescription = this.parents.get(relationship!.toLowerCase());
      return {
        parent: relationship!,
        key: rest.join('.'),
        type: parentDescription ? findField(parentDescription, rest.join('.'))?.type : undefined,
      };
    });
    this.plan = { signature, columns: plan };
    return plan;
  }

  private typeRow(plan: readonly ColumnPlan[], row: readonly string[]): SObjectRecord {
    const record: Record<string, unknown> = {};
    let parents: Set<string> | undefined;
    for (let index = 0; index < plan.length; index += 1) {
      const column = plan[index]!;
      const value = typed(row[index] ?? '', column.type);
      if (column.parent === undefined) {
        record[column.key] = value;
        continue;
      }
      const parent = (record[column.parent] as Record<string, unknown> | undefined) ?? {};
      parent[column.key] = value;
      record[column.parent] = parent;
      (parents ??= new Set()).add(column.parent);
    }
    // A parent that is not there reads null in REST results: do the same.
    for (const key of parents ?? []) {
      const parent = record[key] as Record<string, unknown>;
      if (Object.values(parent).every((inner) => inner === null)) record[key] = null;
    }
    return record as SObjectRecord;
  }
}

/** Where one CSV column goes, by position. */
interface ColumnPlan {
  /** the relationship a parent field sits under (`Account` for Account.Name) */
  parent?: string;
  /** the key in the record (or in the parent object) */
  key: string;
  type: string | undefined;
}

function toObject(columns: readonly string[], row: readonly string[]): SObjectRecord {
  const record: Record<string, string> = {};
  columns.forEach((column, index) => (record[column] = row[index]!));
  return record as SObjectRecord;
}

function typed(raw: string, type: string | undefined): unknown {
  if (raw === '') return null;
  switch (type) {
    case 'boolean':
      return raw.toLowerCase() === 'true';
    case 'int':
    case 'long':
    case 'double':
    case 'currency':
    case 'percent': {
      const number = Number(raw);
      return Number.isFinite(number) ? number : raw;
    }
    default:
      return raw;
  }
}

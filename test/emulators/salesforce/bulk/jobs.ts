import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ApiError, bulkErrorCell, notFound, RecordFailure, type RecordError } from '../errors.js';
import { coerceCsv } from '../data/values.js';
import { MultipleMatches, type UnitOfWork, type WriteContext } from '../data/write-pipeline.js';
import type { SalesforceOrg } from '../org.js';
import { normalizeId } from '../schema/ids.js';
import type { ComputedValue, FieldDef, FieldValue, ObjectDef, StoredRecord } from '../schema/types.js';
import type { PreparedQuery, QueryResult } from '../soql/query-engine.js';
import { CsvPageWriter, DELIMITERS, parseCsv, type ColumnDelimiter, type LineEnding } from './csv.js';

// Bulk API 2.0 jobs. Ingest: Open -> (one CSV upload) -> UploadComplete -> InProgress -> JobComplete
// or Failed, processed in the background in 200-record transactions (as Salesforce fires triggers),
// yielding to the event loop between chunks so the server keeps answering polls. Query: the SOQL is
// checked at creation, run in the background, and results are paged with Sforce-Locator.

export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';
export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

const CHUNK = 200;
const YIELD_EVERY = 2000;
/**
 * Rows per page of query results when the caller gives no maxRecords. Salesforce then returns as
 * much as its size limits allow, so a result of this emulator's scale comes back in one page.
 */
export const DEFAULT_QUERY_PAGE = 1_000_000;

interface JobBase {
  id: string;
  object: string;
  createdById: string;
  createdDate: string;
  systemModstamp: string;
  state: JobState;
  concurrencyMode: 'Parallel';
  contentType: 'CSV';
  apiVersion: number;
  lineEnding: LineEnding;
  columnDelimiter: ColumnDelimiter;
  numberRecordsProcessed: number;
  retries: number;
  totalProcessingTime: number;
  errorMessage?: string;
}

export interface IngestJob extends JobBase {
  kind: 'ingest';
  operation: IngestOperation;
  externalIdFieldName: string | null;
  assignmentRuleId: string | null;
  numberRecordsFailed: number;
  apiActiveProcessingTime: number;
  apexProcessingTime: number;
  csv?: string;
  header: string[];
  successful: string[][];
  failed: string[][];
  unprocessed: string[][];
  context?: WriteContext;
}

export interface QueryJob extends JobBase {
  kind: 'query';
  operation: 'query' | 'queryAll';
  query: string;
  prepared: PreparedQuery;
  result?: QueryResult;
  userId: string;
}

const OPERATIONS: IngestOperation[] = ['insert', 'update', 'upsert', 'delete', 'hardDelete'];

function timestamp(iso: string): string {
  return iso.replace(/Z$/, '+0000');
}

function invalidJob(message: string): ApiError {
  return ApiError.of(400, 'INVALIDJOB', message);
}

function readOptions(body: Record<string, unknown>): {
  columnDelimiter: ColumnDelimiter;
  lineEnding: LineEnding;
} {
  const columnDelimiter = (body.columnDelimiter ?? 'COMMA') as ColumnDelimiter;
  const lineEnding = (body.lineEnding ?? 'LF') as LineEnding;
  if (!(columnDelimiter in DELIMITERS))
    throw invalidJob(`Invalid column delimiter: ${String(columnDelimiter)}`);
  if (lineEnding !== 'LF' && lineEnding !== 'CRLF')
    throw invalidJob(`Invalid line ending: ${String(lineEnding)}`);
  if (body.contentType !== undefined && body.contentType !== 'CSV') {
    throw invalidJob(`Invalid content type: ${String(body.contentType)}. Only CSV is supported.`);
  }
  return { columnDelimiter, lineEnding };
}

type ColumnBinding =
  | { kind: 'field'; field: FieldDef }
  | { kind: 'parent'; field: FieldDef; parent: ObjectDef; externalField: FieldDef }
  | { kind: 'ignore' };

export class BulkJobs {
  private readonly jobs = new Map<string, IngestJob | QueryJob>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly org: SalesforceOrg) {}

  clear(): void {
    this.jobs.clear();
  }

  /** Resolves when every background job has finished processing (tests, benchmarks, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  private base(userId: string, object: string, version: string, body: Record<string, unknown>): JobBase {
    const now = this.org.clock.iso();
    return {
      id: this.org.auxIds.next('750'),
      object,
      createdById: userId,
      createdDate: timestamp(now),
      systemModstamp: timestamp(now),
      state: 'Open',
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(version),
      ...readOptions(body),
      numberRecordsProcessed: 0,
      retries: 0,
      totalProcessingTime: 0,
    };
  }

  get(kind: 'ingest' | 'query', id: string): IngestJob | QueryJob {
    const job = this.jobs.get(id);
    if (!job || job.kind !== kind) throw notFound();
    return job;
  }

  list(kind: 'ingest' | 'query'): Array<IngestJob | QueryJob> {
    return [...this.jobs.values()].filter((j) => j.kind === kind);
  }

  delete(kind: 'ingest' | 'query', id: string): void {
    const job = this.get(kind, id);
    if (job.state === 'InProgress') {
      throw ApiError.of(400, 'INVALIDJOBSTATE', 'Job is in progress and cannot be deleted');
    }
    this.jobs.delete(id);
  }

  // ---- ingest ------------------------------------------------------------------------------

  createIngest(userId: string, version: string, body: Record<string, unknown>): IngestJob {
    const objectName = typeof body.object === 'string' ? body.object : '';
    const object = this.org.catalog.object(objectName);
    if (!object || object.kind === 'metadata') throw invalidJob(`Unable to find object: ${objectName}`);
    const operation = body.operation as IngestOperation;
    if (!OPERATIONS.includes(operation)) throw invalidJob(`Invalid operation: ${String(body.operation)}`);
    const externalIdFieldName =
      typeof body.externalIdFieldName === 'string' ? body.externalIdFieldName : null;
    if (operation === 'upsert') {
      if (!externalIdFieldName) {
        throw invalidJob(
          `External ID was blank for ${object.name}. An External ID must be specified for upsert.`,
        );
      }
      const f = this.org.catalog.field(object, externalIdFieldName);
      if (!f || !(f.externalId || f.idLookup)) {
        throw invalidJob(`The field ${externalIdFieldName} is not an external ID field on ${object.name}`);
      }
    }
    const job: IngestJob = {
      ...this.base(userId, object.name, version, body),
      kind: 'ingest',
      operation,
      externalIdFieldName,
      assignmentRuleId: typeof body.assignmentRuleId === 'string' ? body.assignmentRuleId : null,
      numberRecordsFailed: 0,
      apiActiveProcessingTime: 0,
      apexProcessingTime: 0,
      header: [],
      successful: [],
      failed: [],
      unprocessed: [],
    };
    this.jobs.set(job.id, job);
    return job;
  }

  upload(id: string, csv: string): void {
    const job = this.get('ingest', id) as IngestJob;
    if (job.csv !== undefined) {
      throw ApiError.of(
        400,
        'INVALIDJOBSTATE',
        `Found multiple contents for job: <${job.id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      );
    }
    if (job.state !== 'Open')
      throw ApiError.of(
        409,
        'INVALIDJOBSTATE',
        `Job state is ${job.state}: data can only be uploaded to an Open job`,
      );
    job.csv = csv;
  }

  setIngestState(id: string, state: unknown, context: WriteContext): IngestJob {
    const job = this.get('ingest', id) as IngestJob;
    if (state === 'UploadComplete') {
      if (job.state !== 'Open')
        throw ApiError.of(409, 'INVALIDJOBSTATE', `Job state is ${job.state}, not Open`);
      job.state = 'UploadComplete';
      job.context = context;
      job.systemModstamp = timestamp(this.org.clock.iso());
      this.org.limits.consume('DailyBulkApiBatches', 1);
      this.track(this.processIngest(job));
      return job;
    }
    if (state === 'Aborted') {
      if (job.state !== 'Open' && job.state !== 'UploadComplete') {
        throw ApiError.of(409, 'INVALIDJOBSTATE', `Job state is ${job.state} and cannot be aborted`);
      }
      job.state = 'Aborted';
      job.systemModstamp = timestamp(this.org.clock.iso());
      return job;
    }
    throw invalidJob(`Invalid state: ${String(state)}. Use UploadComplete or Aborted.`);
  }

  private fail(job: IngestJob, message: string): void {
    job.state = 'Failed';
    job.errorMessage = message;
    job.systemModstamp = timestamp(this.org.clock.iso());
  }

  private bindColumns(job: IngestJob, object: ObjectDef, header: string[]): ColumnBinding[] | string {
    const { catalog } = this.org;
    const bindings: ColumnBinding[] = [];
    for (const name of header) {
      if (name.includes('.')) {
        const [relName, fieldName] = [name.slice(0, name.indexOf('.')), name.slice(name.indexOf('.') + 1)];
        const reference = catalog.parentRelationship(object, relName);
        const parent = reference ? catalog.object(reference.referenceTo[0]!) : undefined;
        const externalField = parent ? catalog.field(parent, fieldName) : undefined;
        if (
          !reference ||
          !parent ||
          !externalField ||
          !(externalField.externalId || externalField.idLookup)
        ) {
          return `InvalidBatch : Field name not found : ${name}`;
        }
        bindings.push({ kind: 'parent', field: reference, parent, externalField });
        continue;
      }
      const field = catalog.field(object, name);
      if (!field) return `InvalidBatch : Field name not found : ${name}`;
      bindings.push(field.name === 'Id' ? { kind: 'ignore' } : { kind: 'field', field });
    }
    const has = (n: string) => header.some((h) => h.toLowerCase() === n.toLowerCase());
    if (['update', 'delete', 'hardDelete'].includes(job.operation) && !has('Id')) {
      return `InvalidBatch : Field name not found : Id`;
    }
    if (job.operation === 'upsert' && !has(job.externalIdFieldName!)) {
      return `InvalidBatch : Field name not found : ${job.externalIdFieldName!}`;
    }
    return bindings;
  }

  private async processIngest(job: IngestJob): Promise<void> {
    await yieldToEventLoop();
    const started = Date.now();
    if ((job.state as JobState) === 'Aborted') return;
    job.state = 'InProgress';
    const object = this.org.catalog.object(job.object)!;
    let rows: string[][];
    try {
      rows = parseCsv(job.csv ?? '', job.columnDelimiter);
    } catch (error) {
      this.fail(job, (error as ApiError).errors?.[0]?.message ?? String(error));
      return;
    }
    if (rows.length === 0) {
      this.fail(job, 'InvalidBatch : Records not processed');
      return;
    }
    job.header = rows[0]!;
    const bindings = this.bindColumns(job, object, job.header);
    if (typeof bindings === 'string') {
      job.unprocessed = rows.slice(1);
      this.fail(job, bindings);
      return;
    }
    const idColumn = job.header.findIndex((h) => h.toLowerCase() === 'id');
    const context = job.context!;
    for (let start = 1; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK);
      this.org.pipeline.run(context, (unit) => {
        for (const row of chunk) {
          const outcome = unit.attempt(() => this.writeRow(unit, job, object, bindings, row, idColumn));
          job.numberRecordsProcessed += 1;
          if (outcome.ok) {
            job.successful.push([outcome.value.id, String(outcome.value.created), ...row]);
          } else {
            job.numberRecordsFailed += 1;
            const errors: RecordError[] =
              outcome.error instanceof MultipleMatches
                ? [{ statusCode: 'DUPLICATE_EXTERNAL_ID', message: outcome.error.message, fields: [] }]
                : outcome.error.errors;
            const id = idColumn >= 0 ? (normalizeId(row[idColumn] ?? '') ?? '') : '';
            job.failed.push([id, bulkErrorCell(errors), ...row]);
          }
        }
      });
      if ((start - 1 + CHUNK) % YIELD_EVERY === 0) await yieldToEventLoop();
    }
    const elapsed = Date.now() - started;
    job.totalProcessingTime = elapsed;
    job.apiActiveProcessingTime = elapsed;
    job.state = 'JobComplete';
    job.systemModstamp = timestamp(this.org.clock.iso());
  }

  private writeRow(
    unit: UnitOfWork,
    job: IngestJob,
    object: ObjectDef,
    bindings: ColumnBinding[],
    row: string[],
    idColumn: number,
  ): { id: string; created: boolean } {
    const values: Record<string, FieldValue> = {};
    bindings.forEach((binding, i) => {
      const text = row[i] ?? '';
      if (binding.kind === 'ignore') return;
      if (binding.kind === 'parent') {
        if (text === '') return;
        const matches = this.org.store.table(binding.parent.name).lookup(binding.externalField, text);
        if (matches.length !== 1) {
          throw RecordFailure.of(
            'INVALID_FIELD',
            `Foreign key external ID: ${text} not found for field ${binding.externalField.name} in entity ${binding.parent.name}`,
          );
        }
        values[binding.field.name] = matches[0]!;
        return;
      }
      const coerced = coerceCsv(binding.field, text);
      if (coerced === undefined) return;
      if (!coerced.ok) {
        throw RecordFailure.of('INVALID_TYPE_ON_FIELD_IN_RECORD', coerced.problem, [binding.field.name]);
      }
      values[binding.field.name] = coerced.value;
    });
    const rowId = idColumn >= 0 ? (row[idColumn] ?? '') : '';
    switch (job.operation) {
      case 'insert': {
        const record: StoredRecord = unit.insert(object.name, values);
        return { id: record.Id as string, created: true };
      }
      case 'update': {
        if (!rowId) throw RecordFailure.of('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
        const record = unit.update(object.name, rowId, values);
        return { id: record.Id as string, created: false };
      }
      case 'upsert': {
        const ext = job.externalIdFieldName!;
        const field = this.org.catalog.field(object, ext)!;
        const value = field.name === 'Id' ? rowId : (values[field.name] ?? null);
        if (value === null || value === '') {
          if (field.name === 'Id') {
            const record = unit.insert(object.name, values);
            return { id: record.Id as string, created: true };
          }
          throw RecordFailure.of('MISSING_ARGUMENT', `${field.name} not specified`, [field.name]);
        }
        const { record, created } = unit.upsert(object.name, field.name, value, values);
        return { id: record.Id as string, created };
      }
      case 'delete':
        if (!rowId) throw RecordFailure.of('MISSING_ARGUMENT', 'Id not specified in a delete call', ['Id']);
        unit.delete(rowId, object.name);
        return { id: normalizeId(rowId)!, created: false };
      case 'hardDelete':
        if (!rowId) throw RecordFailure.of('MISSING_ARGUMENT', 'Id not specified in a delete call', ['Id']);
        unit.hardDelete(rowId, object.name);
        return { id: normalizeId(rowId)!, created: false };
    }
  }

  /** Header and rows of one result file; each row keeps the original cells after the sf__ columns. */
  ingestResults(
    id: string,
    which: 'successful' | 'failed' | 'unprocessed',
  ): { header: string[]; rows: string[][] } {
    const job = this.get('ingest', id) as IngestJob;
    if (job.state === 'Open' || job.state === 'UploadComplete' || job.state === 'InProgress') {
      throw ApiError.of(
        409,
        'INVALIDJOBSTATE',
        `Job state is ${job.state}: results are available once processing ends`,
      );
    }
    if (which === 'successful')
      return { header: ['sf__Id', 'sf__Created', ...job.header], rows: job.successful };
    if (which === 'failed') return { header: ['sf__Id', 'sf__Error', ...job.header], rows: job.failed };
    if (
      job.state === 'Aborted' &&
      job.csv !== undefined &&
      job.unprocessed.length === 0 &&
      job.header.length === 0
    ) {
      const rows = parseCsv(job.csv, job.columnDelimiter);
      return { header: rows[0] ?? [], rows: rows.slice(1) };
    }
    return { header: job.header, rows: job.unprocessed };
  }

  // ---- query -------------------------------------------------------------------------------

  createQuery(userId: string, version: string, body: Record<string, unknown>): QueryJob {
    const operation = body.operation ?? 'query';
    if (operation !== 'query' && operation !== 'queryAll')
      throw invalidJob(`Invalid operation: ${String(operation)}`);
    if (typeof body.query !== 'string' || !body.query.trim()) throw invalidJob('A query is required');
    const prepared = this.org.queries.prepare(body.query, { bulk: true });
    const job: QueryJob = {
      ...this.base(userId, prepared.object.name, version, body),
      kind: 'query',
      operation,
      query: body.query,
      prepared,
      userId,
      state: 'UploadComplete',
    };
    this.jobs.set(job.id, job);
    this.org.limits.consume('DailyBulkV2QueryJobs', 1);
    this.track(this.processQuery(job));
    return job;
  }

  private async processQuery(job: QueryJob): Promise<void> {
    await yieldToEventLoop();
    if ((job.state as JobState) === 'Aborted') return;
    const started = Date.now();
    job.state = 'InProgress';
    try {
      job.result = job.prepared.run({
        includeDeleted: job.operation === 'queryAll',
        userId: job.userId,
        bulk: true,
      });
      job.numberRecordsProcessed = job.result.rows.length;
      job.state = 'JobComplete';
    } catch (error) {
      job.state = 'Failed';
      job.errorMessage =
        error instanceof ApiError ? (error.errors[0]?.message ?? error.message) : String(error);
    }
    job.totalProcessingTime = Date.now() - started;
    job.systemModstamp = timestamp(this.org.clock.iso());
  }

  abortQuery(id: string, state: unknown): QueryJob {
    const job = this.get('query', id) as QueryJob;
    if (state !== 'Aborted') throw invalidJob(`Invalid state: ${String(state)}. Only Aborted is allowed.`);
    if (job.state === 'JobComplete' || job.state === 'Failed' || job.state === 'Aborted') {
      throw ApiError.of(409, 'INVALIDJOBSTATE', `Job state is ${job.state} and cannot be aborted`);
    }
    job.state = 'Aborted';
    return job;
  }

  /** One page of query results as CSV, with the locator of the next page or `null`. */
  queryResultsPage(
    id: string,
    version: string,
    locator: string | undefined,
    maxRecords: string | undefined,
  ): { csv: Buffer; nextLocator: string; count: number } {
    const job = this.get('query', id) as QueryJob;
    if (String(job.apiVersion.toFixed(1)) !== version) {
      throw ApiError.of(
        409,
        'INVALIDJOBSTATE',
        `Results must be requested with the API version that created the job (v${job.apiVersion.toFixed(1)})`,
      );
    }
    if (job.state !== 'JobComplete' || !job.result) {
      throw ApiError.of(
        409,
        'INVALIDJOBSTATE',
        `Job state is ${job.state}: results are available once the job is complete`,
      );
    }
    let offset = 0;
    if (locator) {
      const decoded = Buffer.from(locator, 'base64').toString('utf8');
      if (!/^\d+$/.test(decoded)) throw ApiError.of(400, 'INVALIDLOCATOR', `Invalid locator: ${locator}`);
      offset = Number(decoded);
    }
    const size = maxRecords ? Number(maxRecords) : DEFAULT_QUERY_PAGE;
    if (!Number.isInteger(size) || size <= 0)
      throw ApiError.of(400, 'INVALIDMAXRECORDS', `Invalid maxRecords: ${maxRecords}`);
    const result = job.result;
    const end = Math.min(offset + size, result.rows.length);
    const columns = result.csvColumns;
    const page = new CsvPageWriter(
      job.columnDelimiter,
      job.lineEnding,
      Math.max(0, end - offset) * columns.length,
    );
    page.line(result.csvHeader);
    const values = new Array<ComputedValue>(columns.length);
    for (let i = offset; i < end; i++) {
      const row = result.rows[i]!;
      for (let c = 0; c < columns.length; c++) values[c] = columns[c]!(row);
      page.line(values);
    }
    const count = Math.max(0, end - offset);
    const next = offset + count;
    const nextLocator =
      next < result.rows.length ? Buffer.from(String(next)).toString('base64').replace(/=+$/, '') : 'null';
    return { csv: page.toBuffer(), nextLocator, count };
  }

  /** The job as the API describes it (no internal fields). */
  describe(job: IngestJob | QueryJob, options: { withContentUrl?: boolean } = {}): Record<string, unknown> {
    const common = {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: job.createdById,
      createdDate: job.createdDate,
      systemModstamp: job.systemModstamp,
      state: job.state,
      concurrencyMode: job.concurrencyMode,
      contentType: job.contentType,
      apiVersion: job.apiVersion,
      lineEnding: job.lineEnding,
      columnDelimiter: job.columnDelimiter,
    };
    if (job.kind === 'query') {
      return {
        ...common,
        jobType: 'V2Query',
        numberRecordsProcessed: job.numberRecordsProcessed,
        retries: job.retries,
        totalProcessingTime: job.totalProcessingTime,
        isPkChunkingSupported: true,
        ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
      };
    }
    return {
      ...common,
      ...(job.externalIdFieldName ? { externalIdFieldName: job.externalIdFieldName } : {}),
      ...(job.assignmentRuleId ? { assignmentRuleId: job.assignmentRuleId } : {}),
      jobType: 'V2Ingest',
      ...(options.withContentUrl
        ? { contentUrl: `services/data/v${job.apiVersion.toFixed(1)}/jobs/ingest/${job.id}/batches` }
        : {}),
      numberRecordsProcessed: job.numberRecordsProcessed,
      numberRecordsFailed: job.numberRecordsFailed,
      retries: job.retries,
      totalProcessingTime: job.totalProcessingTime,
      apiActiveProcessingTime: job.apiActiveProcessingTime,
      apexProcessingTime: job.apexProcessingTime,
      ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
    };
  }
}

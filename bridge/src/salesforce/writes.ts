import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { BridgeError } from '../shared/errors.js';
import type { CallOptions, SalesforceClient } from './client.js';
import { isRetryableRecordError, SalesforceApiError } from './errors.js';
import { isSalesforceId, soqlObject } from './soql.js';

// Writing records in bulk with one answer per record, in input order:
// - up to SALESFORCE_BULK_THRESHOLD records: sObject Collections, 200 per call, allOrNone false;
//   records Salesforce could not lock (UNABLE_TO_LOCK_ROW) are sent again on their own, a few times,
//   with growing pauses; a request Salesforce refuses as a whole because one value cannot be read
//   (JSON_PARSER_ERROR) is split until the bad record stands alone, so it never sinks the others;
// - above it: Bulk API 2.0 ingest jobs, whose successful, failed and unprocessed results (CSV, in no
//   particular order) are matched back to the input records.

export type WriteOperation = 'insert' | 'update' | 'upsert';

export interface RecordError {
  /** Salesforce statusCode (REQUIRED_FIELD_MISSING, UNABLE_TO_LOCK_ROW, ...) */
  code: string;
  message: string;
  fields: string[];
}

export interface WriteResult {
  /** position in the input */
  index: number;
  /** the record id (for failures: the input id when there was one) */
  id: string | null;
  success: boolean;
  /** upsert and insert: whether a record was created */
  created?: boolean;
  errors: RecordError[];
  /** for failures: whether another attempt later can succeed */
  retryable: boolean;
  correlationId?: string;
}

export interface WriteOptions extends CallOptions {
  /** `auto` (default): Bulk API 2.0 above the configured threshold; `never`; `always` */
  bulk?: 'auto' | 'never' | 'always';
  /** for upsert: the external id field */
  externalIdField?: string;
  /** per input record, for the logs */
  correlationIds?: ReadonlyArray<string | undefined>;
}

export type WriteRecord = Record<string, unknown>;

const COLLECTION_SIZE = 200;
const WHOLE_CALL_RETRIES = 2;

/** Writes records and answers for each, in input order. */
export async function writeRecords(
  client: SalesforceClient,
  operation: WriteOperation,
  objectType: string,
  records: readonly WriteRecord[],
  options: WriteOptions = {},
): Promise<WriteResult[]> {
  soqlObject(objectType);
  if (operation === 'upsert' && !options.externalIdField) {
    throw new BridgeError('VALIDATION_FAILED', `An upsert of ${objectType} needs an external id field`);
  }
  const results: Array<WriteResult | undefined> = new Array(records.length);
  const sendable: number[] = [];
  records.forEach((record, index) => {
    const problem = inputProblem(operation, record, options.externalIdField);
    if (problem) {
      results[index] = failure(index, record, problem, false, options);
    } else sendable.push(index);
  });
  const useBulk =
    options.bulk === 'always' ||
    (options.bulk !== 'never' && sendable.length > client.settings.bulkThreshold);
  const written = useBulk
    ? await bulkIngest(client, operation, objectType, records, sendable, options)
    : await collections(client, operation, objectType, records, sendable, options);
  for (const result of written) results[result.index] = result;

  const final = results.map(
    (result, index) =>
      result ??
      failure(
        index,
        records[index]!,
        { code: 'NO_RESULT', message: 'Salesforce returned no result', fields: [] },
        true,
        options,
      ),
  );
  const failed = final.filter((result) => !result.success);
  if (failed.length > 0) {
    for (const result of failed.slice(0, 20)) {
      client.log.warn(
        {
          correlationId: result.correlationId,
          objectType,
          operation,
          recordId: result.id,
          code: result.errors[0]?.code,
          retryable: result.retryable,
        },
        `Salesforce ${operation} of ${objectType} failed for one record: ${result.errors[0]?.message ?? ''}`,
      );
    }
  }
  client.log.debug(
    { objectType, operation, records: records.length, failed: failed.length, bulk: useBulk },
    `Salesforce ${operation} of ${records.length} ${objectType} record(s) done`,
  );
  return final;
}

function inputProblem(
  operation: WriteOperation,
  record: WriteRecord,
  externalIdField?: string,
): RecordError | undefined {
  if (operation === 'update' && !isSalesforceId(record.Id)) {
    return { code: 'MISSING_ID', message: 'an update needs the record Id', fields: ['Id'] };
  }
  if (operation === 'insert' && record.Id !== undefined && record.Id !== null) {
    return {
      code: 'INVALID_FIELD_FOR_INSERT_UPDATE',
      message: 'an insert cannot carry an Id',
      fields: ['Id'],
    };
  }
  if (operation === 'upsert') {
    const key = record[externalIdField!];
    if (key === undefined || key === null || key === '') {
      return {
        code: 'MISSING_EXTERNAL_ID',
        message: `an upsert needs a value for ${externalIdField}`,
        fields: [externalIdField!],
      };
    }
  }
  return undefined;
}

function failure(
  index: number,
  record: WriteRecord,
  error: RecordError,
  retryable: boolean,
  options: WriteOptions,
): WriteResult {
  return {
    index,
    id: isSalesforceId(record.Id) ? record.Id : null,
    success: false,
    errors: [error],
    retryable,
    correlationId: options.correlationIds?.[index],
  };
}

// ------------------------------------------------------------------ sObject Collections

interface CollectionResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode: string; message: string; fields?: string[] }>;
}

async function collections(
  client: SalesforceClient,
  operation: WriteOperation,
  objectType: string,
  records: readonly WriteRecord[],
  indexes: readonly number[],
  options: WriteOptions,
): Promise<WriteResult[]> {
  const done: WriteResult[] = [];
  let pending = [...indexes];
  const { attempts, baseDelayMs } = client.lockRetry;
  for (let round = 0; pending.length > 0; round += 1) {
    const locked: number[] = [];
    for (let start = 0; start < pending.length; start += COLLECTION_SIZE) {
      const chunk = pending.slice(start, start + COLLECTION_SIZE);
      for (const result of await sendChunk(client, operation, objectType, records, chunk, options)) {
        if (!result.success && result.errors[0]?.code === 'UNABLE_TO_LOCK_ROW' && round < attempts) {
          locked.push(result.index);
        } else done.push(result);
      }
    }
    if (locked.length > 0) {
      const delay = baseDelayMs * 2 ** round;
      client.log.info(
        { objectType, operation, records: locked.length, retryInMs: delay },
        'records locked by another transaction (UNABLE_TO_LOCK_ROW): sending them again',
      );
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
    pending = locked;
  }
  return done;
}

/** One collection call for up to 200 records, with retries of the call and isolation of unreadable values. */
async function sendChunk(
  client: SalesforceClient,
  operation: WriteOperation,
  objectType: string,
  records: readonly WriteRecord[],
  indexes: readonly number[],
  options: WriteOptions,
): Promise<WriteResult[]> {
  const body = {
    allOrNone: false,
    records: indexes.map((index) => toCollectionRecord(operation, objectType, records[index]!)),
  };
  const path =
    operation === 'upsert'
      ? `${client.dataPath}/composite/sobjects/${objectType}/${options.externalIdField}`
      : `${client.dataPath}/composite/sobjects`;
  const method = operation === 'insert' ? 'POST' : 'PATCH';
  const kind = `collections.${operation}`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const answer = await client.call(
        kind,
        (conn) =>
          conn.request<CollectionResult[]>({
            method,
            url: path,
            body: JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }),
        options,
      );
      return indexes.map((index, position) =>
        fromCollectionResult(index, records[index]!, answer[position], options),
      );
    } catch (error) {
      if (!(error instanceof SalesforceApiError)) throw error;
      if (error.code === 'JSON_PARSER_ERROR' && indexes.length > 1) {
        // One unreadable value fails the whole request: split until it stands alone.
        const half = Math.ceil(indexes.length / 2);
        return [
          ...(await sendChunk(client, operation, objectType, records, indexes.slice(0, half), options)),
          ...(await sendChunk(client, operation, objectType, records, indexes.slice(half), options)),
        ];
      }
      // Updates and upserts are idempotent: a failed call may be sent again. An insert only when
      // Salesforce said it did not process it.
      const safeToRepeat =
        operation !== 'insert' ||
        error.code === 'SERVER_UNAVAILABLE' ||
        error.code === 'ERROR_HTTP_503' ||
        error.code === 'REQUEST_LIMIT_EXCEEDED';
      if (error.retryable && safeToRepeat && attempt < WHOLE_CALL_RETRIES && !error.info.retryAfterMs) {
        await sleep(500 * 3 ** attempt);
        continue;
      }
      return indexes.map((index) =>
        failure(
          index,
          records[index]!,
          { code: error.code, message: error.info.message, fields: [] },
          error.retryable,
          options,
        ),
      );
    }
  }
}

function toCollectionRecord(operation: WriteOperation, objectType: string, record: WriteRecord): WriteRecord {
  const { Id, attributes: _ignored, ...values } = record;
  return operation === 'update'
    ? { attributes: { type: objectType }, id: Id, ...values }
    : { attributes: { type: objectType }, ...values };
}

function fromCollectionResult(
  index: number,
  record: WriteRecord,
  result: CollectionResult | undefined,
  options: WriteOptions,
): WriteResult {
  if (!result) {
    return failure(
      index,
      record,
      { code: 'NO_RESULT', message: 'Salesforce returned no result', fields: [] },
      true,
      options,
    );
  }
  if (result.success) {
    return {
      index,
      id: result.id ?? (isSalesforceId(record.Id) ? record.Id : null),
      success: true,
      ...(result.created !== undefined ? { created: result.created } : {}),
      errors: [],
      retryable: false,
      correlationId: options.correlationIds?.[index],
    };
  }
  const errors = (result.errors ?? []).map((error) => ({
    code: error.statusCode,
    message: error.message,
    fields: error.fields ?? [],
  }));
  return {
    index,
    id: result.id ?? (isSalesforceId(record.Id) ? record.Id : null),
    success: false,
    errors:
      errors.length > 0 ? errors : [{ code: 'UNKNOWN', message: 'failed without an error', fields: [] }],
    retryable: errors.length === 0 || errors.every((error) => isRetryableRecordError(error.code)),
    correlationId: options.correlationIds?.[index],
  };
}

// ------------------------------------------------------------------ Bulk API 2.0 ingest

interface IngestJob {
  id: string;
  state: 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
  errorMessage?: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
}

// Salesforce accepts 100 MB of raw CSV per job (150 MB base64); stay well below.
const MAX_JOB_BYTES = 80 * 1024 * 1024;
const MAX_JOB_RECORDS = 150_000;

async function bulkIngest(
  client: SalesforceClient,
  operation: WriteOperation,
  objectType: string,
  records: readonly WriteRecord[],
  indexes: readonly number[],
  options: WriteOptions,
): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  for (const job of splitJobs(operation, records, indexes, options.externalIdField)) {
    results.push(...(await runIngestJob(client, operation, objectType, records, job, options)));
  }
  // Lock errors inside a job are worth another try, now, as a smaller write.
  const locked = results.filter(
    (result) => !result.success && result.errors[0]?.code === 'UNABLE_TO_LOCK_ROW',
  );
  if (locked.length === 0) return results;
  client.log.info({ objectType, records: locked.length }, 'Bulk API rows were locked: sending them again');
  const again = await collectionsOrBulk(
    client,
    operation,
    objectType,
    records,
    locked.map((result) => result.index),
    options,
  );
  const byIndex = new Map(again.map((result) => [result.index, result]));
  return results.map((result) => byIndex.get(result.index) ?? result);
}

async function collectionsOrBulk(
  client: SalesforceClient,
  operation: WriteOperation,
  objectType: string,
  records: readonly WriteRecord[],
  indexes: readonly number[],
  options: WriteOptions,
): Promise<WriteResult[]> {
  if (indexes.length <= client.settings.bulkThreshold) {
    return collections(client, operation, objectType, records, indexes, options);
  }
  const results: WriteResult[] = [];
  for (const job of splitJobs(operation, records, indexes, options.externalIdField)) {
    results.push(...(await runIngestJob(client, operation, objectType, records, job, options)));
  }
  return results;
}

interface JobPlan {
  columns: string[];
  indexes: number[];
  csv: string;
}

function splitJobs(
  operation: WriteOperation,
  records: readonly WriteRecord[],
  indexes: readonly number[],
  externalIdField?: string,
): JobPlan[] {
  const plans: JobPlan[] = [];
  let current: number[] = [];
  let bytes = 0;
  const flush = () => {
    if (current.length === 0) return;
    plans.push(planJob(operation, records, current, externalIdField));
    current = [];
    bytes = 0;
  };
  for (const index of indexes) {
    const size = Buffer.byteLength(JSON.stringify(records[index]));
    if (current.length >= MAX_JOB_RECORDS || bytes + size > MAX_JOB_BYTES) flush();
    current.push(index);
    bytes += size;
  }
  flush();
  return plans;
}

function planJob(
  operation: WriteOperation,
  records: readonly WriteRecord[],
  indexes: number[],
  externalIdField?: string,
): JobPlan {
  const rows = indexes.map((index) => flatten(records[index]!));
  const columns = new Set<string>();
  if (operation === 'update') columns.add('Id');
  if (operation === 'upsert') columns.add(externalIdField!);
  for (const row of rows) for (const column of Object.keys(row)) columns.add(column);
  const header = [...columns];
  const csv = stringifyCsv(
    rows.map((row) => header.map((column) => row[column] ?? '')),
    { header: true, columns: header, record_delimiter: '\n', quoted_string: true },
  );
  return { columns: header, indexes, csv };
}

/** One record as CSV cells: null -> #N/A (sets the field to null), absent -> empty (leaves it). */
function flatten(record: WriteRecord): Record<string, string> {
  const row: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === 'attributes' || value === undefined) continue;
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      for (const [inner, innerValue] of Object.entries(value)) {
        if (inner !== 'attributes' && innerValue !== undefined) row[`${key}.${inner}`] = cell(innerValue);
      }
    } else row[key] = cell(value);
  }
  return row;
}

function cell(value: unknown): string {
  if (value === null) return '#N/A';
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

async function runIngestJob(
  client: SalesforceClient,
  operation: WriteOperation,
  objectType: string,
  records: readonly WriteRecord[],
  plan: JobPlan,
  options: WriteOptions,
): Promise<WriteResult[]> {
  const base = `${client.dataPath}/jobs/ingest`;
  const job = await client.call(
    'bulk2.ingest.create',
    (conn) =>
      conn.request<IngestJob>({
        method: 'POST',
        url: base,
        body: JSON.stringify({
          object: objectType,
          operation,
          contentType: 'CSV',
          lineEnding: 'LF',
          columnDelimiter: 'COMMA',
          ...(operation === 'upsert' ? { externalIdFieldName: options.externalIdField } : {}),
        }),
        headers: { 'content-type': 'application/json' },
      }),
    options,
  );
  const log = client.log.child({ bulkJobId: job.id, objectType, operation });
  log.info({ records: plan.indexes.length }, 'Bulk API ingest job created');
  try {
    await client.call(
      'bulk2.ingest.upload',
      client.raw({
        method: 'PUT',
        path: `${base}/${job.id}/batches`,
        body: plan.csv,
        headers: { 'content-type': 'text/csv' },
      }),
      options,
    );
    await client.call(
      'bulk2.ingest.close',
      (conn) =>
        conn.request({
          method: 'PATCH',
          url: `${base}/${job.id}`,
          body: JSON.stringify({ state: 'UploadComplete' }),
          headers: { 'content-type': 'application/json' },
        }),
      options,
    );
  } catch (error) {
    // Nothing was processed: abort the job so it does not linger, and report every record.
    await client
      .call('bulk2.ingest.abort', (conn) =>
        conn.request({
          method: 'PATCH',
          url: `${base}/${job.id}`,
          body: JSON.stringify({ state: 'Aborted' }),
          headers: { 'content-type': 'application/json' },
        }),
      )
      .catch(() => undefined);
    const info = error instanceof SalesforceApiError ? error.info : undefined;
    return plan.indexes.map((index) =>
      failure(
        index,
        records[index]!,
        { code: info?.code ?? 'BULK_UPLOAD_FAILED', message: info?.message ?? String(error), fields: [] },
        info?.retryable ?? true,
        options,
      ),
    );
  }

  const finished = await waitForIngest(client, `${base}/${job.id}`, options);
  if (finished.state === 'Failed') log.warn({ reason: finished.errorMessage }, 'Bulk API ingest job failed');
  const read = async (resource: string) => {
    const response = await client.call(
      `bulk2.ingest.${resource}`,
      client.raw({ method: 'GET', path: `${base}/${job.id}/${resource}/`, headers: { Accept: 'text/csv' } }),
      options,
    );
    return parseCsv(response.body, { columns: true, skip_empty_lines: true, bom: true }) as Array<
      Record<string, string>
    >;
  };
  const [successful, failed, unprocessed] = [
    await read('successfulResults'),
    await read('failedResults'),
    await read('unprocessedrecords'),
  ];
  log.info(
    { succeeded: successful.length, failed: failed.length, unprocessed: unprocessed.length },
    'Bulk API ingest job results read',
  );
  return matchIngestResults(operation, records, plan, { successful, failed, unprocessed }, options);
}

async function waitForIngest(
  client: SalesforceClient,
  path: string,
  options: CallOptions,
): Promise<IngestJob> {
  const { pollIntervalMs, maxPollIntervalMs, timeoutMs } = client.bulkOptions;
  const deadline = Date.now() + timeoutMs;
  let interval = pollIntervalMs;
  for (;;) {
    const job = await client.call(
      'bulk2.ingest.status',
      (conn) => conn.request<IngestJob>({ method: 'GET', url: path }),
      options,
    );
    if (job.state === 'JobComplete' || job.state === 'Failed' || job.state === 'Aborted') return job;
    if (Date.now() + interval > deadline) {
      throw new BridgeError(
        'UPSTREAM_FAILED',
        `Bulk API ingest job ${job.id} still ${job.state} after ${Math.round(timeoutMs / 1000)} s; ` +
          'it keeps running in Salesforce (Setup > Bulk Data Load Jobs)',
      );
    }
    await sleep(interval);
    interval = Math.min(maxPollIntervalMs, Math.round(interval * 1.5));
  }
}

/** Matches CSV result rows (in no guaranteed order) to the input records. */
function matchIngestResults(
  operation: WriteOperation,
  records: readonly WriteRecord[],
  plan: JobPlan,
  rows: {
    successful: Array<Record<string, string>>;
    failed: Array<Record<string, string>>;
    unprocessed: Array<Record<string, string>>;
  },
  options: WriteOptions,
): WriteResult[] {
  // Key of a row: the Id for updates, the external id for upserts, every uploaded cell for inserts.
  const keyColumns =
    operation === 'update' ? ['Id'] : operation === 'upsert' ? [options.externalIdField!] : plan.columns;
  const keyOf = (row: Record<string, string>) => keyColumns.map((column) => row[column] ?? '').join('\u0000');
  const waiting = new Map<string, number[]>();
  const flat = new Map(plan.indexes.map((index) => [index, flatten(records[index]!)]));
  for (const index of plan.indexes) {
    const row = flat.get(index)!;
    const key = keyColumns.map((column) => row[column] ?? '').join('\u0000');
    waiting.set(key, [...(waiting.get(key) ?? []), index]);
  }
  const take = (row: Record<string, string>) => {
    const queue = waiting.get(keyOf(row));
    return queue?.shift();
  };
  const results: WriteResult[] = [];
  for (const row of rows.successful) {
    const index = take(row);
    if (index === undefined) continue;
    results.push({
      index,
      id: row.sf__Id || null,
      success: true,
      created: row.sf__Created?.toLowerCase() === 'true',
      errors: [],
      retryable: false,
      correlationId: options.correlationIds?.[index],
    });
  }
  for (const row of rows.failed) {
    const index = take(row);
    if (index === undefined) continue;
    const error = parseBulkError(row.sf__Error ?? '');
    results.push({
      index,
      id: row.sf__Id || (isSalesforceId(records[index]!.Id) ? (records[index]!.Id as string) : null),
      success: false,
      errors: [error],
      retryable: isRetryableRecordError(error.code),
      correlationId: options.correlationIds?.[index],
    });
  }
  for (const row of rows.unprocessed) {
    const index = take(row);
    if (index === undefined) continue;
    results.push(
      failure(
        index,
        records[index]!,
        { code: 'UNPROCESSED', message: 'the Bulk API job ended before processing this record', fields: [] },
        true,
        options,
      ),
    );
  }
  const matched = new Set(results.map((result) => result.index));
  for (const index of plan.indexes) {
    if (matched.has(index)) continue;
    // An insert may have happened: sending it again could duplicate the record.
    results.push(
      failure(
        index,
        records[index]!,
        { code: 'RESULT_UNMATCHED', message: 'no Bulk API result row matched this record', fields: [] },
        operation !== 'insert',
        options,
      ),
    );
  }
  return results;
}

/** `sf__Error` reads `CODE:message:fields --`. */
export function parseBulkError(value: string): RecordError {
  const match = /^([A-Z_]+):(.*?)(?::([^:]*?))?\s*--\s*$/s.exec(value.trim());
  if (!match) return { code: 'UNKNOWN', message: value, fields: [] };
  return {
    code: match[1]!,
    message: match[2]!.trim(),
    fields: (match[3] ?? '')
      .split(',')
      .map((field) => field.trim())
      .filter(Boolean),
  };
}

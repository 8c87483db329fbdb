import { ApiError, RecordFailure, type RecordError } from '../../errors.js';
import { indexKey } from '../../data/store.js';
import type { UnitOfWork } from '../../data/write-pipeline.js';
import type { SalesforceOrg } from '../../org.js';
import { normalizeId } from '../../schema/ids.js';
import type { FieldValue } from '../../schema/types.js';
import { readRecord, resolveParents, type RecordInput } from './record-input.js';
import type { RestRequest, RestResponse, RestRouter } from './router.js';
import { objectOr404, parseFieldList, recordErrors, recordJson, withUnit } from './support.js';

// sObject Collections (`/composite/sobjects`): up to 200 records per call, results in request order,
// HTTP 200 whenever the request is well formed. Without allOrNone each record stands alone; with it,
// one failure rolls back every record, and the others report ALL_OR_NONE_OPERATION_ROLLED_BACK.

const MAX_RECORDS = 200;

const ROLLED_BACK: RecordError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};

type SaveResult = { id?: string; success: boolean; errors: RecordError[]; created?: boolean };

function tooMany(): ApiError {
  return ApiError.of(
    400,
    'EXCEEDED_ID_LIMIT',
    `record limit reached. cannot submit more than ${MAX_RECORDS} records into this call`,
    [],
  );
}

function collectionBody(req: RestRequest): { allOrNone: boolean; records: unknown[] } {
  const body = req.body as { allOrNone?: unknown; records?: unknown } | undefined;
  if (!body || typeof body !== 'object' || !Array.isArray(body.records)) {
    throw ApiError.of(400, 'JSON_PARSER_ERROR', 'The request body must be an object with a records array');
  }
  if (body.records.length > MAX_RECORDS) throw tooMany();
  return { allOrNone: body.allOrNone === true, records: body.records };
}

/**
 * Runs one write per record. Each record has its own savepoint; with allOrNone a failure undoes
 * everything (the whole transaction is rolled back) and successes are reported as rolled back.
 */
function runRecords<T>(
  org: SalesforceOrg,
  req: RestRequest,
  allOrNone: boolean,
  items: T[],
  write: (unit: UnitOfWork, item: T, index: number) => SaveResult,
  upsert = false,
): SaveResult[] {
  const results: SaveResult[] = [];
  const rollback = new Error('all or none');
  try {
    withUnit(org, req, (unit) => {
      const savepoint = unit.tx.savepoint();
      items.forEach((item, index) => {
        const outcome = unit.attempt(() => write(unit, item, index));
        results.push(outcome.ok ? outcome.value : { success: false, errors: recordErrors(outcome.error) });
      });
      if (allOrNone && results.some((r) => !r.success)) {
        unit.tx.rollbackTo(savepoint);
        if (!req.unit) throw rollback;
      }
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  if (allOrNone && results.some((r) => !r.success)) {
    // A record created and then rolled back never existed, so it reports no id.
    return results.map((r) =>
      r.success ? { ...(r.id && !r.created ? { id: r.id } : {}), success: false, errors: [ROLLED_BACK] } : r,
    );
  }
  return results.map(({ created, ...r }) => (created === undefined || !upsert ? r : { ...r, created }));
}

export function registerCollectionRoutes(router: RestRouter, org: SalesforceOrg): void {
  router.add('POST', '/composite/sobjects', 'collections.create', (req) => {
    const { allOrNone, records } = collectionBody(req);
    const inputs = records.map((record) => {
      const type = (record as { attributes?: { type?: unknown } } | null)?.attributes?.type;
      if (typeof type !== 'string') {
        throw ApiError.of(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
      }
      const object = org.catalog.object(type);
      if (!object) throw ApiError.of(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
      return { object, input: readRecord(org.catalog, object, record, req.rawBody, { idKey: true }) };
    });
    const results = runRecords(org, req, allOrNone, inputs, (unit, { object, input }) => {
      if (input.id !== undefined)
        throw RecordFailure.of('INVALID_FIELD', 'cannot specify Id in an insert call', ['Id']);
      if (object.kind === 'event') {
        const published = unit.publish(object.name, input.values);
        return {
          id: published.id,
          success: true,
          errors: [{ statusCode: 'OPERATION_ENQUEUED', message: published.eventUuid, fields: [] }],
          created: true,
        };
      }
      const row = unit.insert(object.name, resolveParents(input, org.store));
      return { id: row.Id as string, success: true, errors: [], created: true };
    });
    return { status: 200, body: results };
  });

  router.add('PATCH', '/composite/sobjects', 'collections.update', (req) => {
    const { allOrNone, records } = collectionBody(req);
    const inputs = records.map((record) => {
      const type = (record as { attributes?: { type?: unknown } } | null)?.attributes?.type;
      if (typeof type !== 'string')
        throw ApiError.of(400, 'INVALID_TYPE', 'Must send a concrete entity type.');
      const object = org.catalog.object(type);
      if (!object) throw ApiError.of(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
      return { object, input: readRecord(org.catalog, object, record, req.rawBody, { idKey: true }) };
    });
    const results = runRecords(org, req, allOrNone, inputs, (unit, { object, input }) => {
      if (!input.id) throw RecordFailure.of('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
      const row = unit.update(object.name, input.id, resolveParents(input, org.store));
      return { id: row.Id as string, success: true, errors: [] };
    });
    return { status: 200, body: results };
  });

  router.add('PATCH', '/composite/sobjects/:type/:field', 'collections.upsert', (req, p) => {
    const object = objectOr404(org, p.type);
    const externalField = org.catalog.field(object, p.field!);
    if (!externalField || !(externalField.externalId || externalField.idLookup)) {
      throw ApiError.of(
        404,
        'NOT_FOUND',
        `Provided external ID field does not exist or is not accessible: ${p.field!}`,
      );
    }
    const { allOrNone, records } = collectionBody(req);
    const inputs: RecordInput[] = records.map((record) => {
      const type = (record as { attributes?: { type?: unknown } } | null)?.attributes?.type;
      if (typeof type === 'string' && type.toLowerCase() !== object.name.toLowerCase()) {
        throw ApiError.of(
          400,
          'INVALID_TYPE',
          `Record type ${type} does not match the sObject type ${object.name}`,
        );
      }
      return readRecord(org.catalog, object, record, req.rawBody);
    });
    // The same external id twice in one call fails both records.
    const seen = new Map<string, number>();
    for (const input of inputs) {
      const key = indexKey(externalField, input.values[externalField.name] ?? null);
      if (key !== undefined) seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const results = runRecords(
      org,
      req,
      allOrNone,
      inputs,
      (unit, input) => {
        const value: FieldValue = input.values[externalField.name] ?? null;
        const key = indexKey(externalField, value);
        if (key === undefined) {
          throw RecordFailure.of('MISSING_ARGUMENT', `${externalField.name} not specified`, [
            externalField.name,
          ]);
        }
        if ((seen.get(key) ?? 0) > 1) {
          throw RecordFailure.of(
            'DUPLICATE_EXTERNAL_ID',
            `Duplicate external id specified: ${String(value)}`,
            [externalField.name],
          );
        }
        const { record, created } = unit.upsert(
          object.name,
          externalField.name,
          value,
          resolveParents(input, org.store),
        );
        return { id: record.Id as string, success: true, errors: [], created };
      },
      true,
    );
    return { status: 200, body: results };
  });

  router.add('DELETE', '/composite/sobjects', 'collections.delete', (req) => {
    const ids = (req.query.ids ?? '').split(',').filter(Boolean);
    if (ids.length === 0) throw ApiError.of(400, 'MISSING_ARGUMENT', 'The ids parameter is required');
    if (ids.length > MAX_RECORDS) throw tooMany();
    const allOrNone = req.query.allOrNone === 'true';
    const results = runRecords(org, req, allOrNone, ids, (unit, rawId) => {
      const id = normalizeId(rawId);
      if (!id) throw RecordFailure.of('MALFORMED_ID', `malformed id ${rawId}`, []);
      unit.delete(id);
      return { id, success: true, errors: [] };
    });
    return { status: 200, body: results };
  });

  const retrieve = (
    req: RestRequest,
    type: string,
    ids: string[],
    fields: string[] | undefined,
  ): RestResponse => {
    const object = objectOr404(org, type);
    if (!fields?.length) throw ApiError.of(400, 'MISSING_ARGUMENT', 'The fields parameter is required');
    if (ids.length > 2000) throw tooMany();
    const records = ids.map((raw) => {
      const id = normalizeId(raw);
      const row = id && org.catalog.objectForId(id) === object ? org.store.getLive(id) : undefined;
      return row ? recordJson(org, object, row, req.version, fields) : null;
    });
    return { status: 200, body: records };
  };

  router.add('GET', '/composite/sobjects/:type', 'collections.retrieve', (req, p) =>
    retrieve(
      req,
      p.type!,
      (req.query.ids ?? '').split(',').filter(Boolean),
      parseFieldList(req.query.fields),
    ),
  );

  router.add('POST', '/composite/sobjects/:type', 'collections.retrieve', (req, p) => {
    const body = req.body as { ids?: unknown; fields?: unknown } | undefined;
    const ids = Array.isArray(body?.ids) ? body.ids.map(String) : [];
    const fields = Array.isArray(body?.fields) ? body.fields.map(String) : undefined;
    return retrieve(req, p.type!, ids, fields);
  });
}

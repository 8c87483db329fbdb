import { ApiError, notFound, RecordFailure } from '../../errors.js';
import { MultipleMatches } from '../../data/write-pipeline.js';
import { parseDateTime, restDateTime } from '../../data/values.js';
import type { SalesforceOrg } from '../../org.js';
import { describeGlobal, describeGlobalEntry, describeSObject } from '../../schema/describe.js';
import { normalizeId } from '../../schema/ids.js';
import type { ObjectDef } from '../../schema/types.js';
import { readRecord, resolveParents } from './record-input.js';
import type { RestRequest, RestResponse, RestRouter } from './router.js';
import { objectOr404, parseFieldList, recordErrors, recordJson, sobjectUrl, withUnit } from './support.js';

// sObject resources: describe, create, retrieve, update, delete, upsert by external id, platform
// event publishing, and the replication calls (getUpdated / getDeleted).

const DAY = 86_400_000;

function createdResponse(id: string, extra: Record<string, unknown> = {}): RestResponse {
  return { status: 201, body: { id, success: true, errors: [], ...extra } };
}

/** The live row of `object` behind an id in a URL, or the 404/400 Salesforce answers. */
function rowFor(org: SalesforceOrg, object: ObjectDef, rawId: string) {
  const id = normalizeId(rawId);
  if (!id) throw notFound(`Provided external ID field does not exist or is not accessible: ${rawId}`);
  if (org.catalog.objectForId(id) !== object) {
    throw ApiError.of(400, 'MALFORMED_ID', `${object.label} ID: id value of incorrect type: ${id}`, ['Id']);
  }
  const row = org.store.get(id);
  return { id, row };
}

function externalIdField(org: SalesforceOrg, object: ObjectDef, name: string) {
  const f = org.catalog.field(object, name);
  if (!f || !(f.externalId || f.idLookup)) {
    throw notFound(`Provided external ID field does not exist or is not accessible: ${name}`);
  }
  return f;
}

function create(org: SalesforceOrg, req: RestRequest, object: ObjectDef): RestResponse {
  const input = readRecord(org.catalog, object, req.body, req.rawBody);
  if (object.kind === 'event') {
    const outcome = withUnit(org, req, (unit) => unit.attempt(() => unit.publish(object.name, input.values)));
    if (!outcome.ok) throw new RecordFailure(recordErrors(outcome.error)).toApiError();
    return {
      status: 201,
      body: {
        id: outcome.value.id,
        success: true,
        errors: [{ statusCode: 'OPERATION_ENQUEUED', message: outcome.value.eventUuid, fields: [] }],
      },
    };
  }
  if (!object.createable) {
    throw ApiError.of(400, 'INVALID_TYPE_FOR_OPERATION', `entity type cannot be inserted: ${object.label}`);
  }
  const outcome = withUnit(org, req, (unit) =>
    unit.attempt(() => unit.insert(object.name, resolveParents(input, org.store))),
  );
  if (!outcome.ok) throw new RecordFailure(recordErrors(outcome.error)).toApiError();
  return createdResponse(outcome.value.Id as string);
}

function replicationWindow(req: RestRequest, nowMs: number): { start: number; end: number } {
  const start = parseDateTime(req.query.start ?? '');
  const end = parseDateTime(req.query.end ?? '');
  if (!start || !end) {
    throw ApiError.of(400, 'INVALID_REPLICATION_DATE', 'start and end must be valid dateTime values');
  }
  const s = Date.parse(start);
  const e = Date.parse(end);
  if (e - s < 60_000) {
    throw ApiError.of(
      400,
      'INVALID_REPLICATION_DATE',
      'startDate must chronologically precede endDate by more than one minute',
    );
  }
  if (nowMs - s > 30 * DAY) {
    throw ApiError.of(400, 'INVALID_REPLICATION_DATE', 'startDate cannot be more than 30 days ago');
  }
  // Salesforce covers whole minutes, up to the end date or now, whichever comes first.
  const covered = Math.floor(Math.min(e, nowMs) / 60_000) * 60_000;
  return { start: s, end: covered };
}

export function registerSObjectRoutes(router: RestRouter, org: SalesforceOrg): void {
  router.add('GET', '/sobjects', 'describe.global', (req) => ({
    status: 200,
    body: describeGlobal(org.catalog, req.version),
  }));

  router.add('GET', '/sobjects/:type', 'describe.basic', (req, p) => {
    const object = objectOr404(org, p.type);
    return {
      status: 200,
      body: { objectDescribe: describeGlobalEntry(object, req.version), recentItems: [] },
    };
  });

  router.add('POST', '/sobjects/:type', 'sobject.create', (req, p) =>
    create(org, req, objectOr404(org, p.type)),
  );

  router.add('GET', '/sobjects/:type/describe', 'describe.sobject', (req, p) => {
    const object = objectOr404(org, p.type);
    return { status: 200, body: describeSObject(object, req.version) };
  });

  router.add('GET', '/sobjects/:type/updated', 'sobject.updated', (req, p) => {
    const object = objectOr404(org, p.type);
    const { start, end } = replicationWindow(req, org.clock.nowMs());
    const ids: string[] = [];
    for (const row of org.store.table(object.name).rows.values()) {
      if (row.IsDeleted === true) continue;
      const stamp = Date.parse(String(row.SystemModstamp ?? row.LastModifiedDate ?? ''));
      if (stamp >= start && stamp < end) ids.push(row.Id as string);
    }
    return { status: 200, body: { ids, latestDateCovered: restDateTime(new Date(end).toISOString()) } };
  });

  router.add('GET', '/sobjects/:type/deleted', 'sobject.deleted', (req, p) => {
    const object = objectOr404(org, p.type);
    const { start, end } = replicationWindow(req, org.clock.nowMs());
    const deletedRecords: Array<{ id: string; deletedDate: string }> = [];
    for (const row of org.store.table(object.name).rows.values()) {
      if (row.IsDeleted !== true) continue;
      const at = org.pipeline.deletedAt(row.Id as string);
      if (!at) continue;
      const ms = Date.parse(at);
      if (ms >= start && ms < end)
        deletedRecords.push({ id: row.Id as string, deletedDate: restDateTime(at) });
    }
    return {
      status: 200,
      body: {
        deletedRecords,
        earliestDateAvailable: restDateTime(new Date(org.clock.nowMs() - 15 * DAY).toISOString()),
        latestDateCovered: restDateTime(new Date(end).toISOString()),
      },
    };
  });

  router.add('GET', '/sobjects/:type/:id', 'sobject.retrieve', (req, p) => {
    const object = objectOr404(org, p.type);
    const { row } = rowFor(org, object, p.id!);
    if (!row || row.IsDeleted === true) throw notFound();
    return { status: 200, body: recordJson(org, object, row, req.version, parseFieldList(req.query.fields)) };
  });

  router.add('PATCH', '/sobjects/:type/:id', 'sobject.update', (req, p) => {
    const object = objectOr404(org, p.type);
    const { id, row } = rowFor(org, object, p.id!);
    if (!row) throw notFound();
    if (row.IsDeleted === true) throw ApiError.of(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
    const input = readRecord(org.catalog, object, req.body, req.rawBody);
    const outcome = withUnit(org, req, (unit) =>
      unit.attempt(() => unit.update(object.name, id, resolveParents(input, org.store))),
    );
    if (!outcome.ok) throw new RecordFailure(recordErrors(outcome.error)).toApiError();
    return { status: 204 };
  });

  router.add('DELETE', '/sobjects/:type/:id', 'sobject.delete', (req, p) => {
    const object = objectOr404(org, p.type);
    const { id, row } = rowFor(org, object, p.id!);
    if (!row) throw notFound();
    if (row.IsDeleted === true) throw ApiError.of(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
    const outcome = withUnit(org, req, (unit) => unit.attempt(() => unit.delete(id, object.name)));
    if (!outcome.ok) throw new RecordFailure(recordErrors(outcome.error)).toApiError();
    return { status: 204 };
  });

  // POST /sobjects/X/Id creates a record, treating Id as the external id (v37+).
  router.add('POST', '/sobjects/:type/:field', 'sobject.create', (req, p) => {
    const object = objectOr404(org, p.type);
    if (p.field !== 'Id')
      throw ApiError.of(
        405,
        'METHOD_NOT_ALLOWED',
        `HTTP Method 'POST' not allowed. Allowed are GET,PATCH,HEAD,DELETE`,
      );
    return create(org, req, object);
  });

  router.add('GET', '/sobjects/:type/:field/:value', 'sobject.retrieve', (req, p) => {
    const object = objectOr404(org, p.type);
    const f = externalIdField(org, object, p.field!);
    const ids =
      f.name === 'Id'
        ? [normalizeId(p.value!)].filter((id): id is string => !!id && !!org.store.getLive(id))
        : org.store.table(object.name).lookup(f, p.value!);
    if (ids.length === 0) throw notFound();
    if (ids.length > 1)
      return { status: 300, body: ids.map((id) => sobjectUrl(req.version, object.name, id)) };
    const row = org.store.get(ids[0]!)!;
    return { status: 200, body: recordJson(org, object, row, req.version, parseFieldList(req.query.fields)) };
  });

  router.add('PATCH', '/sobjects/:type/:field/:value', 'sobject.upsert', (req, p) => {
    const object = objectOr404(org, p.type);
    const f = externalIdField(org, object, p.field!);
    const input = readRecord(org.catalog, object, req.body, req.rawBody);
    const updateOnly = req.query.updateOnly === 'true';
    const table = org.store.table(object.name);
    const matches =
      f.name === 'Id'
        ? [normalizeId(p.value!)].filter((id): id is string => !!id && !!org.store.getLive(id))
        : table.lookup(f, p.value!);
    if (matches.length > 1) {
      return { status: 300, body: matches.map((id) => sobjectUrl(req.version, object.name, id)) };
    }
    if (matches.length === 0 && (updateOnly || f.name === 'Id')) throw notFound();
    const outcome = withUnit(org, req, (unit) =>
      unit.attempt(() => unit.upsert(object.name, f.name, p.value!, resolveParents(input, org.store))),
    );
    if (!outcome.ok) {
      if (outcome.error instanceof MultipleMatches) {
        return { status: 300, body: outcome.error.ids.map((id) => sobjectUrl(req.version, object.name, id)) };
      }
      throw outcome.error.toApiError();
    }
    const { record, created } = outcome.value;
    if (created) return createdResponse(record.Id as string, { created: true });
    // Before v46 an update by external id answered 204 with no body.
    if (Number(req.version) < 46) return { status: 204 };
    return { status: 200, body: { id: record.Id, success: true, errors: [], created: false } };
  });

  router.add('DELETE', '/sobjects/:type/:field/:value', 'sobject.delete', (req, p) => {
    const object = objectOr404(org, p.type);
    const f = externalIdField(org, object, p.field!);
    const ids = org.store.table(object.name).lookup(f, p.value!);
    if (ids.length === 0) throw notFound();
    if (ids.length > 1)
      return { status: 300, body: ids.map((id) => sobjectUrl(req.version, object.name, id)) };
    const outcome = withUnit(org, req, (unit) => unit.attempt(() => unit.delete(ids[0]!, object.name)));
    if (!outcome.ok) throw new RecordFailure(recordErrors(outcome.error)).toApiError();
    return { status: 204 };
  });
}

import { Router, type Request } from 'express';
import { queryAttributes, type MatchColumn } from '../account/definitions.js';
import type { ResponsysCore } from '../core.js';
import { apiRoute } from '../http/route.js';
import { errors } from '../http/wire.js';
import { MAX_RECORDS_PER_REQUEST } from '../options.js';
import type { MemberRecord, ProfileExtension, ProfileList } from '../store/profileList.js';
import { mergeExtensionMembers } from './extensionMembers.js';
import { project, queryValue, selectFields } from './fieldSelection.js';
import { mergeProfileMembers } from './mergeMembers.js';
import { nullMergeRule } from './mergeRule.js';

// Profile lists and their profile extension tables: merge, retrieve, count, delete, and the list and
// field catalogs.

const V13 = '/rest/api/v1.3';
const MAX_FS_LENGTH = 150;
const MAX_DELETE_BY_QUERY = 10;
const DELETE_FAILED = 'DELETEFAILED: NO records found for id\n';

type Link = { rel: string; href: string; method: string };

function requireList(core: ResponsysCore, name: string): ProfileList {
  const list = core.account.lists.get(name);
  if (!list) throw errors.listNotFound(name);
  return list;
}

function requireExtension(list: ProfileList, name: string): ProfileExtension {
  const extension = list.extensions.get(name);
  if (!extension) throw errors.extensionNotFound(name);
  return extension;
}

function param(req: Request, name: string): string {
  return String(req.params[name]);
}

function queryAttribute(value: unknown): MatchColumn {
  const column = typeof value === 'string' ? queryAttributes[value] : undefined;
  if (!column) {
    throw errors.invalidParameter(
      `Invalid query attribute ${JSON.stringify(value ?? null)}; use one of ${Object.keys(queryAttributes).join(', ')}`,
    );
  }
  return column;
}

function jsonBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw errors.invalidParameter('Request body is empty');
  return body as Record<string, unknown>;
}

/** `ids` of action=get / action=delete: ≤200 non-empty strings (numbers accepted as text). */
function idList(body: Record<string, unknown>): string[] {
  const ids = body.ids;
  if (!Array.isArray(ids) || ids.length === 0) throw errors.invalidParameter('ids are null OR empty');
  if (ids.length > MAX_RECORDS_PER_REQUEST) throw errors.recipientLimitExceeded(MAX_RECORDS_PER_REQUEST);
  return ids.map((id) => {
    if ((typeof id !== 'string' && typeof id !== 'number') || String(id) === '' || String(id).length > 500) {
      throw errors.invalidParameter('Each id must be a non-empty string of at most 500 characters');
    }
    return String(id);
  });
}

function fieldList(body: Record<string, unknown>): string[] {
  const list = body.fieldList;
  if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'string')) {
    throw errors.invalidParameter('fieldList is null OR empty');
  }
  return list as string[];
}

function fieldsOf(table: { fields: Array<{ fieldName: string; fieldType: string }> }) {
  return table.fields.map((f) => ({ fieldName: f.fieldName, fieldType: f.fieldType }));
}

function withLinks(
  core: ResponsysCore,
  body: Record<string, unknown>,
  links: Link[],
): Record<string, unknown> {
  return core.quirks.linksOnRetrieve ? { ...body, links } : body;
}

export function listRoutes(core: ResponsysCore): Router {
  const router = Router();
  const memberLinks = (basePath: string, withSelf = true): Link[] => [
    ...(withSelf ? [{ rel: 'self', href: basePath, method: 'POST' }] : []),
    { rel: 'retrieveListRecipientsRIID', href: `${basePath}/<riid>`, method: 'GET' },
    { rel: 'deleteListRecipientsRIID', href: `${basePath}/<riid>`, method: 'DELETE' },
  ];

  router.get(
    `${V13}/lists`,
    apiRoute(core, 'token', ({ core }) => ({
      body: [...core.account.lists.values()].map((list) => ({
        name: list.name,
        folderName: list.folderName,
        fields: fieldsOf(list),
      })),
    })),
  );

  router.get(
    `${V13}/lists/:listName/fields`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      return { body: { name: list.name, folderName: list.folderName, fields: fieldsOf(list) } };
    }),
  );

  router.get(
    `${V13}/lists/:listName/listExtensions`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      return {
        body: [...list.extensions.values()].map((pet) => ({
          profileExtension: { objectName: pet.name, folderName: pet.folderName },
          fields: fieldsOf(pet),
        })),
      };
    }),
  );

  router.post(
    `${V13}/lists/:listName/members`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const action = queryValue(req, 'action');
      if (action === 'get') return { body: retrieveByIds(core, list, req) };
      if (action === 'delete') return { body: deleteByIds(core, list, req) };
      if (action !== undefined) throw errors.invalidParameter(`Unknown action ${action}`);
      const result = mergeProfileMembers(list, req.body, {
        account: core.account,
        now: core.now(),
        sourceIp: req.socket.remoteAddress ?? null,
        quirks: core.quirks,
      });
      return {
        body: {
          recordData: { fieldNames: ['RIID_'], records: result.rows, mapTemplateName: null },
          mergeRule: result.rule.echo,
          links: memberLinks(req.path),
        },
      };
    }),
  );

  // High-availability merge: same body and answer, only the self link.
  router.post(
    '/rest/haApi/v1.3/lists/:listName/members',
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const result = mergeProfileMembers(list, req.body, {
        account: core.account,
        now: core.now(),
        sourceIp: req.socket.remoteAddress ?? null,
        quirks: core.quirks,
      });
      return {
        body: {
          recordData: { fieldNames: ['RIID_'], records: result.rows, mapTemplateName: null },
          mergeRule: result.rule.echo,
          links: [{ rel: 'self', href: req.path, method: 'POST' }],
        },
      };
    }),
  );

  router.get(
    `${V13}/lists/:listName/members/count`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const qa = queryValue(req, 'qa');
      const id = queryValue(req, 'id');
      const count =
        qa === undefined && id === undefined
          ? list.members.size
          : list.find(queryAttribute(qa), id ?? '').length;
      return { body: { count, links: [{ rel: 'self', href: req.path, method: 'GET' }] } };
    }),
  );

  router.get(
    `${V13}/lists/:listName/members`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const column = queryAttribute(queryValue(req, 'qa'));
      const id = queryValue(req, 'id');
      if (!id) throw errors.invalidParameter('id is null OR empty');
      const fields = selectFields(list, queryValue(req, 'fs'), { maxLength: MAX_FS_LENGTH });
      const members = list.find(column, id);
      if (members.length === 0) throw errors.recordNotFound();
      return { body: retrieveBody(core, fields, members, req.path) };
    }),
  );

  router.delete(
    `${V13}/lists/:listName/members`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const column = queryAttribute(queryValue(req, 'qa'));
      const id = queryValue(req, 'id');
      if (!id) throw errors.invalidParameter('id is null OR empty');
      const matched = list.find(column, id).sort((a, b) => Number(a.RIID_) - Number(b.RIID_));
      const deleted = matched.slice(0, MAX_DELETE_BY_QUERY);
      for (const member of deleted) list.remove(Number(member.RIID_));
      const remaining = matched.length - deleted.length;
      return {
        body: {
          recordData: {
            fieldNames: ['RIID_'],
            records: deleted.map((m) => [m.RIID_]),
            mapTemplateName: null,
          },
          totalMatchedRecords: matched.length,
          remainingRecordCount: remaining,
          hasMoreRecords: remaining > 0,
          links: [{ rel: 'self', href: req.path, method: 'DELETE' }],
        },
      };
    }),
  );

  router.get(
    `${V13}/lists/:listName/members/:riid`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const riid = param(req, 'riid');
      if (!/^\d+$/.test(riid)) throw errors.invalidParameter(`The value ${riid} is not a valid RIID`);
      const fields = selectFields(list, queryValue(req, 'fs'), { maxLength: MAX_FS_LENGTH });
      const members = list.find('RIID_', riid);
      if (members.length === 0) throw errors.recordNotFound();
      return { body: retrieveBody(core, fields, members, req.path) };
    }),
  );

  router.delete(
    `${V13}/lists/:listName/members/:riid`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const riid = param(req, 'riid');
      const removed = /^\d+$/.test(riid) && list.remove(Number(riid));
      return {
        body: {
          recordData: {
            fieldNames: ['RIID_'],
            records: [[removed ? riid : DELETE_FAILED]],
            mapTemplateName: null,
          },
          mergeRule: nullMergeRule(),
        },
      };
    }),
  );

  // Profile extension tables.
  router.post(
    `${V13}/lists/:listName/listExtensions/:petName/members`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const extension = requireExtension(list, param(req, 'petName'));
      const action = queryValue(req, 'action');
      if (action === 'get') {
        const body = jsonBody(req);
        const column = queryAttribute(body.queryAttribute);
        const fields = selectFields(extension, fieldList(body));
        const rows = idList(body).flatMap((id) => list.find(column, id).flatMap((m) => rowOf(extension, m)));
        if (rows.length === 0) throw errors.recordNotFound();
        return {
          body: extensionBody(
            fields.map((f) => f.fieldName),
            rows.map((r) => project(r, fields)),
          ),
        };
      }
      if (action !== undefined) throw errors.invalidParameter(`Unknown action ${action}`);
      const result = mergeExtensionMembers(list, extension, req.body, {
        account: core.account,
        now: core.now(),
        sourceIp: null,
        quirks: core.quirks,
      });
      return {
        body: {
          recordData: { fieldNames: ['RIID_'], records: result.rows, mapTemplateName: null },
          ...result.echo,
          links: [{ rel: 'self', href: req.path, method: 'POST' }],
        },
      };
    }),
  );

  router.get(
    `${V13}/lists/:listName/listExtensions/:petName/members`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const extension = requireExtension(list, param(req, 'petName'));
      const column = queryAttribute(queryValue(req, 'qa'));
      const id = queryValue(req, 'id');
      if (!id) throw errors.invalidParameter('id is null OR empty');
      const fields = selectFields(extension, queryValue(req, 'fs'), { maxLength: MAX_FS_LENGTH });
      const rows = list.find(column, id).flatMap((m) => rowOf(extension, m));
      if (rows.length === 0) throw errors.recordNotFound();
      return {
        body: extensionBody(
          fields.map((f) => f.fieldName),
          rows.map((r) => project(r, fields)),
        ),
      };
    }),
  );

  router.get(
    `${V13}/lists/:listName/listExtensions/:petName/members/:riid`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const extension = requireExtension(list, param(req, 'petName'));
      const riid = param(req, 'riid');
      if (!/^\d+$/.test(riid)) throw errors.invalidParameter(`The value ${riid} is not a valid RIID`);
      const fields = selectFields(extension, queryValue(req, 'fs'), { maxLength: MAX_FS_LENGTH });
      const row = extension.rows.get(Number(riid));
      if (!row) throw errors.recordNotFound();
      return {
        body: extensionBody(
          fields.map((f) => f.fieldName),
          [project(row, fields)],
        ),
      };
    }),
  );

  router.delete(
    `${V13}/lists/:listName/listExtensions/:petName/members/:riid`,
    apiRoute(core, 'token', ({ core, req }) => {
      const list = requireList(core, param(req, 'listName'));
      const extension = requireExtension(list, param(req, 'petName'));
      const riid = param(req, 'riid');
      const removed = /^\d+$/.test(riid) && extension.rows.delete(Number(riid));
      return { body: extensionBody(['RIID_'], [[removed ? riid : DELETE_FAILED]]) };
    }),
  );

  return router;
}

function rowOf(extension: ProfileExtension, member: MemberRecord): MemberRecord[] {
  const row = extension.rows.get(Number(member.RIID_));
  return row ? [row] : [];
}

function retrieveBody(
  core: ResponsysCore,
  fields: Array<{ fieldName: string }>,
  members: MemberRecord[],
  path: string,
): Record<string, unknown> {
  return withLinks(
    core,
    {
      recordData: {
        fieldNames: fields.map((f) => f.fieldName),
        records: members.map((m) => fields.map((f) => m[f.fieldName] ?? null)),
        mapTemplateName: null,
      },
      mergeRule: nullMergeRule(),
    },
    [{ rel: 'self', href: path, method: 'GET' }],
  );
}

function extensionBody(fieldNames: string[], records: Array<Array<string | null>>): Record<string, unknown> {
  return {
    recordData: { fieldNames, records, mapTemplateName: null },
    insertOnNoMatch: false,
    updateOnMatch: null,
    matchColumnName1: null,
    matchColumnName2: null,
  };
}

function retrieveByIds(core: ResponsysCore, list: ProfileList, req: Request): Record<string, unknown> {
  const body = jsonBody(req);
  const column = queryAttribute(body.queryAttribute);
  const fields = selectFields(list, fieldList(body), { maxLength: MAX_FS_LENGTH });
  const members = idList(body).flatMap((id) => list.find(column, id));
  if (members.length === 0) throw errors.recordNotFound();
  return retrieveBody(core, fields, members, req.path);
}

function deleteByIds(core: ResponsysCore, list: ProfileList, req: Request): Record<string, unknown> {
  const body = jsonBody(req);
  const column = queryAttribute(body.queryAttribute);
  const records = idList(body).map((id) => {
    const matched = list.find(column, id);
    for (const member of matched) list.remove(Number(member.RIID_));
    return [matched[0]?.RIID_ ?? DELETE_FAILED];
  });
  return {
    recordData: { fieldNames: ['RIID_'], records, mapTemplateName: null },
    mergeRule: nullMergeRule(),
    ...(core.quirks.linksOnRetrieve ? { links: [{ rel: 'self', href: req.path, method: 'POST' }] } : {}),
  };
}

import { Router, type Request } from 'express';
import { checkCell } from '../account/fieldValues.js';
import type { ResponsysCore } from '../core.js';
import { apiRoute } from '../http/route.js';
import { errors } from '../http/wire.js';
import { parseRecordData } from '../lists/mergeMembers.js';
import { project, queryValue, queryValues, selectFields } from '../lists/fieldSelection.js';
import { SupplementalTable, type TableRow } from '../store/supplementalTable.js';

// Supplemental tables: merge (with a primary key, or by `matchColumnNames` without one), retrieve and
// delete by key. Field names are case-sensitive here. A bad row is answered, as recorded, with
// `["MERGEFAILED: Record <i> = <message>\r\n", "", ...]` in an HTTP 200.

const BASE = '/rest/api/v1.3/folders/:folderName/suppData/:tableName/members';
const DELETE_FAILED = 'DELETEFAILED: NO records found for id\n';

class RowFailure extends Error {}

function requireTable(core: ResponsysCore, req: Request): SupplementalTable {
  const folderName = String(req.params.folderName);
  const tableName = String(req.params.tableName);
  const table = core.account.table(folderName, tableName);
  if (!table) throw errors.tableNotFound(folderName, tableName);
  return table;
}

function requireColumns(table: SupplementalTable, names: string[]): void {
  const unknown = names.filter((name) => !table.column(name));
  if (unknown.length > 0) {
    throw errors.invalidFieldName(`Invalid field name(s) for table ${table.name}: ${unknown.join(', ')}`);
  }
}

/** The `qa`/`id` pairs of a retrieve or delete, checked against the table's key. */
function keyQuery(table: SupplementalTable, req: Request): { columns: string[]; values: string[] } {
  const columns = queryValues(req, 'qa');
  const values = queryValues(req, 'id');
  if (columns.length === 0 || columns.length !== values.length) {
    throw errors.invalidParameter('Give one id for each qa (query attribute)');
  }
  requireColumns(table, columns);
  if (table.primaryKey.length > 0) {
    const sameKey =
      columns.length === table.primaryKey.length && columns.every((c, i) => c === table.primaryKey[i]);
    if (!sameKey) {
      throw errors.invalidParameter(
        `Query attributes must be the primary key columns in order: ${table.primaryKey.join(', ')}`,
      );
    }
  }
  return { columns, values };
}

function findRows(
  table: SupplementalTable,
  query: { columns: string[]; values: string[] },
): Array<[string, TableRow]> {
  if (table.primaryKey.length > 0) {
    const id = SupplementalTable.key(query.values);
    const row = table.rows.get(id);
    return row ? [[id, row]] : [];
  }
  return [...table.rows].filter(([, row]) => query.columns.every((c, i) => row[c] === query.values[i]));
}

export function supplementalTableRoutes(core: ResponsysCore): Router {
  const router = Router();

  router.post(
    BASE,
    apiRoute(core, 'token', ({ core, req }) => {
      const table = requireTable(core, req);
      const body: unknown = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw errors.invalidParameter('Request body is empty');
      const request = body as Record<string, unknown>;
      const recordData = parseRecordData(request.recordData);
      const matchColumnNames = request.matchColumnNames ?? null;
      let insert = request.insertOnNoMatch ?? true;
      let update = request.updateOnMatch ?? 'REPLACE_ALL';
      let keyColumns: string[];
      if (table.primaryKey.length > 0) {
        if (matchColumnNames !== null) {
          throw errors.invalidParameter(
            'MatchColumnNames must be null or must not be specified to merge into a table that has primary keys',
          );
        }
        keyColumns = table.primaryKey;
      } else {
        if (!Array.isArray(matchColumnNames) || matchColumnNames.length === 0) {
          throw errors.invalidParameter(
            'MatchColumnNames must be specified to merge into a table that has no primary keys',
          );
        }
        keyColumns = matchColumnNames.map(String);
        requireColumns(table, keyColumns);
        // Without a primary key the server enforces insert and replace.
        insert = true;
        update = 'REPLACE_ALL';
      }
      if (typeof insert !== 'boolean') throw errors.invalidParameter('insertOnNoMatch must be true or false');
      if (update !== 'REPLACE_ALL' && update !== 'NO_UPDATE') {
        throw errors.invalidParameter('updateOnMatch must be REPLACE_ALL or NO_UPDATE');
      }
      const fieldNames = recordData.fieldNames;
      requireColumns(table, fieldNames);
      if (new Set(fieldNames).size !== fieldNames.length)
        throw errors.invalidParameter('Duplicate field names');
      const missingKeys = keyColumns.filter((c) => !fieldNames.includes(c));
      if (missingKeys.length > 0) {
        throw errors.invalidParameter(`Field names must include the key column(s) ${missingKeys.join(', ')}`);
      }
      const fields = fieldNames.map((name) => table.column(name)!);
      const noKeyIndex = table.primaryKey.length === 0 ? table.indexBy(keyColumns) : undefined;

      const records = recordData.records.map((row, i) => {
        try {
          if (!Array.isArray(row) || row.length !== fields.length) {
            throw new RowFailure(
              `Record has ${Array.isArray(row) ? row.length : 0} values but ${fields.length} field names were given`,
            );
          }
          const values = new Map<string, string | null>();
          fields.forEach((field, j) => {
            const check = checkCell(field, row[j]);
            if (!check.ok) throw new RowFailure(check.message);
            values.set(field.fieldName, check.value);
          });
          const keyValues = keyColumns.map((c) => values.get(c) ?? null);
          const nullKey = keyColumns.find((c) => values.get(c) === null);
          if (nullKey) throw new RowFailure(`The key column ${nullKey} is null`);
          const key = SupplementalTable.key(keyValues);
          const id = noKeyIndex ? noKeyIndex.get(key) : key;
          const existing = id !== undefined ? table.rows.get(id) : undefined;
          if (existing) {
            if (update === 'REPLACE_ALL') for (const [column, value] of values) existing[column] = value;
          } else {
            if (!insert) throw new RowFailure('No matching record found and insertOnNoMatch is false');
            const created = table.emptyRow();
            for (const [column, value] of values) created[column] = value;
            const rowId = noKeyIndex ? table.newRowId() : key;
            table.rows.set(rowId, created);
            noKeyIndex?.set(key, rowId);
          }
          return row;
        } catch (error) {
          if (!(error instanceof RowFailure)) throw error;
          return [`MERGEFAILED: Record ${i} = ${error.message}\r\n`, ...fields.slice(1).map(() => '')];
        }
      });
      return {
        body: {
          recordData: { fieldNames, records, mapTemplateName: null },
          insertOnNoMatch: table.primaryKey.length > 0 ? (request.insertOnNoMatch ?? null) : insert,
          updateOnMatch: table.primaryKey.length > 0 ? (request.updateOnMatch ?? null) : update,
          matchColumnNames,
          links: [{ rel: 'self', href: req.path, method: 'POST' }],
        },
      };
    }),
  );

  router.get(
    BASE,
    apiRoute(core, 'token', ({ core, req }) => {
      const table = requireTable(core, req);
      const query = keyQuery(table, req);
      const fs = queryValue(req, 'fs') ?? 'all';
      const fields = selectFields(table, fs, { alwaysRiid: false });
      const rows = findRows(table, query);
      if (rows.length === 0) throw errors.recordNotFound();
      return {
        body: {
          recordData: {
            fieldNames: fields.map((f) => f.fieldName),
            records: rows.map(([, row]) => project(row, fields)),
            mapTemplateName: null,
          },
          insertOnNoMatch: false,
          updateOnMatch: null,
          matchColumnNames: null,
          ...(core.quirks.linksOnRetrieve ? { links: [{ rel: 'self', href: req.path, method: 'GET' }] } : {}),
        },
      };
    }),
  );

  router.delete(
    BASE,
    apiRoute(core, 'token', ({ core, req }) => {
      const table = requireTable(core, req);
      const query = keyQuery(table, req);
      // At most one row per call.
      const [match] = findRows(table, query);
      if (match) table.rows.delete(match[0]);
      return {
        body: {
          recordData: {
            fieldNames: query.columns,
            records: [match ? query.values : [DELETE_FAILED, ...query.columns.slice(1).map(() => '')]],
            mapTemplateName: null,
          },
          insertOnNoMatch: false,
          updateOnMatch: null,
          matchColumnNames: null,
        },
      };
    }),
  );

  return router;
}

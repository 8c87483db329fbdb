import { ApiError, notFound, type RecordFailure, type RecordError } from '../../errors.js';
import type { UnitOfWork } from '../../data/write-pipeline.js';
import { MultipleMatches } from '../../data/write-pipeline.js';
import { readField } from '../../soql/compile.js';
import { toRestValue } from '../../data/values.js';
import type { SalesforceOrg } from '../../org.js';
import type { ObjectDef, StoredRecord } from '../../schema/types.js';
import type { RestRequest } from './router.js';

/** Runs writes in the composite request's transaction when there is one, else in a new one. */
export function withUnit<T>(org: SalesforceOrg, req: RestRequest, work: (unit: UnitOfWork) => T): T {
  return req.unit ? work(req.unit) : org.pipeline.run(req.context, work);
}

export function objectOr404(org: SalesforceOrg, name: string | undefined): ObjectDef {
  const object = name ? org.catalog.object(name) : undefined;
  if (!object) throw notFound();
  return object;
}

/** A save result's errors (`statusCode`) from whatever a record write threw. */
export function recordErrors(error: RecordFailure | MultipleMatches): RecordError[] {
  if (error instanceof MultipleMatches) {
    return [
      {
        statusCode: 'DUPLICATE_EXTERNAL_ID',
        message: `${error.field.label}: more than one record found for external id field: [${error.ids.join(', ')}]`,
        fields: [],
      },
    ];
  }
  return error.errors;
}

export function sobjectUrl(version: string, type: string, id: string): string {
  return `/services/data/v${version}/sobjects/${type}/${id}`;
}

/** A whole record (or the listed fields) as GET /sobjects/X/id returns it. */
export function recordJson(
  org: SalesforceOrg,
  object: ObjectDef,
  row: StoredRecord,
  version: string,
  fieldNames?: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: { type: object.name, url: sobjectUrl(version, object.name, row.Id as string) },
  };
  const fields = fieldNames
    ? fieldNames.map((name) => {
        const f = org.catalog.field(object, name);
        if (!f) {
          throw ApiError.of(
            400,
            'INVALID_FIELD',
            `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
          );
        }
        return f;
      })
    : object.fields;
  for (const f of fields) out[f.name] = toRestValue(f, readField(f, row, org.store));
  return out;
}

export function parseFieldList(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

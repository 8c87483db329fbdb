import type { DescribeSObjectResult } from 'jsforce';
import type { SalesforceClient } from './client.js';

// Object metadata (describe), cached: the mapping engine checks admins' field maps against it, and
// Bulk API reads use it to give CSV cells their types. Fields rarely change; an hour is fresh enough.

export interface FieldDescription {
  name: string;
  label: string;
  /** Salesforce field type: string, email, boolean, int, double, currency, date, datetime, picklist, reference, ... */
  type: string;
  length: number;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  externalId: boolean;
  /** for lookups: the relationship name (`Account` for AccountId) and the objects it points to */
  relationshipName: string | null;
  referenceTo: string[];
  /** active picklist values (API names) */
  picklistValues: string[];
  restrictedPicklist: boolean;
}

export interface ObjectDescription {
  name: string;
  label: string;
  fields: FieldDescription[];
}

const TTL_MS = 60 * 60 * 1000;

export class DescribeCache {
  private readonly entries = new Map<string, { at: number; value: Promise<ObjectDescription> }>();

  constructor(private readonly client: SalesforceClient) {}

  describe(objectType: string): Promise<ObjectDescription> {
    const key = objectType.toLowerCase();
    const now = this.client.clock.now().getTime();
    const cached = this.entries.get(key);
    if (cached && now - cached.at < TTL_MS) return cached.value;
    const value = this.client
      .call('describe', (conn) => conn.describe(objectType), { priority: 'urgent' })
      .then(toDescription);
    this.entries.set(key, { at: now, value });
    value.catch(() => this.entries.delete(key));
    return value;
  }

  /** Forgets everything (after an admin changed fields, or in tests). */
  clear(): void {
    this.entries.clear();
  }
}

function toDescription(result: DescribeSObjectResult): ObjectDescription {
  return {
    name: result.name,
    label: result.label,
    fields: result.fields.map((field) => ({
      name: field.name,
      label: field.label,
      type: field.type,
      length: field.length,
      createable: field.createable,
      updateable: field.updateable,
      nillable: field.nillable,
      externalId: field.externalId,
      relationshipName: field.relationshipName ?? null,
      referenceTo: (field.referenceTo ?? []).filter((name): name is string => typeof name === 'string'),
      picklistValues: (field.picklistValues ?? [])
        .filter((value) => value.active)
        .map((value) => value.value),
      restrictedPicklist: field.restrictedPicklist === true,
    })),
  };
}

/** Finds a field by API name, case-insensitively (SOQL and the Bulk API are case-insensitive). */
export function findField(description: ObjectDescription, name: string): FieldDescription | undefined {
  const lower = name.toLowerCase();
  return description.fields.find((field) => field.name.toLowerCase() === lower);
}

/** Finds the lookup field behind a relationship name (`Account` -> AccountId). */
export function findRelationship(
  description: ObjectDescription,
  relationshipName: string,
): FieldDescription | undefined {
  const lower = relationshipName.toLowerCase();
  return description.fields.find((field) => field.relationshipName?.toLowerCase() === lower);
}

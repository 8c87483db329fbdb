// The Responsys API functions the bridge calls. Responsys limits requests per function, per account,
// per minute, under the names and resource paths that `GET /rest/api/ratelimit` reports.
//
// Fallback limits apply until (or when) that resource cannot be read. They are deliberately
// conservative: Oracle's documented examples where they exist (Login 10, Retrieve List Recipients 100),
// and for merges and custom events the ~400/min a production integrator observed on most accounts
// (Oracle's own example of 1000/min for list merges comes from a test environment).

export type HttpVerb = 'GET' | 'POST' | 'DELETE';

export interface ApiFunctionSpec {
  verb: HttpVerb;
  /** resource path under /rest/api/v1.3, as the ratelimit resource spells it */
  resourcePath: string;
  fallbackLimit: number;
}

export const apiFunctions = {
  login: { verb: 'POST', resourcePath: '/auth/token', fallbackLimit: 10 },
  getThrottlingLimits: { verb: 'GET', resourcePath: '/ratelimit', fallbackLimit: 60 },
  mergeListRecipients: { verb: 'POST', resourcePath: '/lists/{listName}/members', fallbackLimit: 400 },
  retrieveListRecipients: { verb: 'GET', resourcePath: '/lists/{listName}/members', fallbackLimit: 100 },
  deleteListRecipients: { verb: 'DELETE', resourcePath: '/lists/{listName}/members', fallbackLimit: 100 },
  retrieveListFields: { verb: 'GET', resourcePath: '/lists/{listName}/fields', fallbackLimit: 100 },
  retrieveProfileExtensions: {
    verb: 'GET',
    resourcePath: '/lists/{listName}/listExtensions',
    fallbackLimit: 100,
  },
  mergeProfileExtensionRecipients: {
    verb: 'POST',
    resourcePath: '/lists/{listName}/listExtensions/{petName}/members',
    fallbackLimit: 400,
  },
  mergeTableMembers: {
    verb: 'POST',
    resourcePath: '/folders/{folderName}/suppData/{tableName}/members',
    fallbackLimit: 400,
  },
  retrieveTableMembers: {
    verb: 'GET',
    resourcePath: '/folders/{folderName}/suppData/{tableName}/members',
    fallbackLimit: 100,
  },
  deleteTableMembers: {
    verb: 'DELETE',
    resourcePath: '/folders/{folderName}/suppData/{tableName}/members',
    fallbackLimit: 100,
  },
  triggerCustomEvent: { verb: 'POST', resourcePath: '/events/{eventName}', fallbackLimit: 400 },
  retrieveCustomEvents: { verb: 'GET', resourcePath: '/events', fallbackLimit: 100 },
  createCallback: { verb: 'POST', resourcePath: '/notifications/callbacks', fallbackLimit: 60 },
  retrieveCallback: {
    verb: 'GET',
    resourcePath: '/notifications/callbacks/{callbackName}',
    fallbackLimit: 60,
  },
  createSubscription: { verb: 'POST', resourcePath: '/notifications/subscriptions', fallbackLimit: 60 },
  retrieveEventList: { verb: 'GET', resourcePath: '/notifications/eventList', fallbackLimit: 60 },
} as const satisfies Record<string, ApiFunctionSpec>;

export type ApiFunctionName = keyof typeof apiFunctions;

export const apiFunctionNames = Object.keys(apiFunctions) as ApiFunctionName[];

export interface RateLimitEntry {
  api?: string;
  resourcePath?: string;
  verb?: string;
  limit: number;
}

const comparableName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
const comparablePath = (path: string) =>
  path
    .trim()
    .toLowerCase()
    .replace(/^\/rest\/(ha)?api(\/v1\.3)?/, '')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\/+$/, '');

/**
 * Reads the answer of `GET /rest/api/ratelimit`. Its outer envelope is not documented (most likely a
 * bare array), so any array of entries with a numeric `limit` is accepted, at the top or one or two
 * levels down. Entries that cannot be read are skipped; an answer without any gives an empty list.
 */
export function parseRateLimitAnswer(body: unknown): RateLimitEntry[] {
  const entries = findEntryArray(body, 0) ?? [];
  const parsed: RateLimitEntry[] = [];
  for (const raw of entries) {
    if (!raw || typeof raw !== 'object') continue;
    const entry = raw as Record<string, unknown>;
    const limit = Number(entry.limit ?? entry.requestsPerMinute ?? entry.rateLimit);
    if (!Number.isFinite(limit) || limit < 0) continue;
    const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
    parsed.push({
      api: text(entry.api) ?? text(entry.apiName) ?? text(entry.name) ?? text(entry.function),
      resourcePath: text(entry.resource_path) ?? text(entry.resourcePath) ?? text(entry.path),
      verb: text(entry.verb) ?? text(entry.method),
      limit: Math.floor(limit),
    });
  }
  return parsed;
}

function findEntryArray(value: unknown, depth: number): unknown[] | undefined {
  if (Array.isArray(value)) {
    return value.some((item) => item && typeof item === 'object' && 'limit' in item) ? value : undefined;
  }
  if (!value || typeof value !== 'object' || depth >= 2) return undefined;
  for (const child of Object.values(value)) {
    const found = findEntryArray(child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Matches reported limits to the functions the bridge calls: by API name first (ignoring case and
 * punctuation), then by verb and resource path when exactly one function has them.
 */
export function limitsForFunctions(entries: RateLimitEntry[]): Partial<Record<ApiFunctionName, number>> {
  const limits: Partial<Record<ApiFunctionName, number>> = {};
  const byName = new Map(apiFunctionNames.map((name) => [comparableName(name), name]));
  for (const entry of entries) {
    const named = entry.api ? byName.get(comparableName(entry.api)) : undefined;
    if (named) {
      limits[named] = entry.limit;
      continue;
    }
    if (!entry.resourcePath || !entry.verb) continue;
    const path = comparablePath(entry.resourcePath);
    const verb = entry.verb.toUpperCase();
    const candidates = apiFunctionNames.filter(
      (name) => apiFunctions[name].verb === verb && comparablePath(apiFunctions[name].resourcePath) === path,
    );
    if (candidates.length === 1 && limits[candidates[0]!] === undefined) limits[candidates[0]!] = entry.limit;
  }
  return limits;
}

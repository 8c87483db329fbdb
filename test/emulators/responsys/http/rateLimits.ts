// Per-function, per-minute request limits, as `GET /rest/api/ratelimit` reports them. The values are
// Oracle's documented examples where they exist (Login 10, Retrieve Profile Lists 100, Merge List
// Recipients 1000, Retrieve List Recipients 100, HA Merge 1000); the others are chosen defaults,
// documented in docs/emulators-responsys.md. All of them are configurable.

export interface ApiFunction {
  api: string;
  resource_path: string;
  verb: 'GET' | 'POST' | 'PUT' | 'DELETE';
  description: string;
  limit: number;
}

export const apiFunctions: readonly ApiFunction[] = [
  {
    api: 'login',
    resource_path: '/auth/token',
    verb: 'POST',
    description: 'Login and refresh token',
    limit: 10,
  },
  {
    api: 'mergeListRecipients',
    resource_path: '/lists/{listName}/members',
    verb: 'POST',
    description: 'Merge List Recipients',
    limit: 1000,
  },
  {
    api: 'haMergeListRecipients',
    resource_path: '/haApi/lists/{listName}/members',
    verb: 'POST',
    description: 'HA Merge List Recipients',
    limit: 1000,
  },
  {
    api: 'retrieveListRecipients',
    resource_path: '/lists/{listName}/members',
    verb: 'GET',
    description: 'Retrieve List Recipients (query attribute or action=get)',
    limit: 100,
  },
  {
    api: 'retrieveListRecipientsRIID',
    resource_path: '/lists/{listName}/members/{riid}',
    verb: 'GET',
    description: 'Retrieve a List Recipient by RIID',
    limit: 100,
  },
  {
    api: 'retrieveListRecipientCount',
    resource_path: '/lists/{listName}/members/count',
    verb: 'GET',
    description: 'Retrieve List Recipients Count',
    limit: 100,
  },
  {
    api: 'deleteListRecipients',
    resource_path: '/lists/{listName}/members',
    verb: 'DELETE',
    description: 'Delete List Recipients (RIID, query attribute or action=delete)',
    limit: 100,
  },
  {
    api: 'retrieveProfileLists',
    resource_path: '/lists',
    verb: 'GET',
    description: 'Retrieve Profile Lists',
    limit: 100,
  },
  {
    api: 'retrieveListFields',
    resource_path: '/lists/{listName}/fields',
    verb: 'GET',
    description: 'Retrieve Profile List Fields',
    limit: 100,
  },
  {
    api: 'retrieveProfileExtensions',
    resource_path: '/lists/{listName}/listExtensions',
    verb: 'GET',
    description: 'Retrieve Profile Extension Tables of a Profile List',
    limit: 100,
  },
  {
    api: 'mergeProfileExtensionRecipients',
    resource_path: '/lists/{listName}/listExtensions/{petName}/members',
    verb: 'POST',
    description: 'Merge Profile Extension Recipients',
    limit: 1000,
  },
  {
    api: 'retrieveProfileExtensionRecipients',
    resource_path: '/lists/{listName}/listExtensions/{petName}/members',
    verb: 'GET',
    description: 'Retrieve Profile Extension Recipients',
    limit: 100,
  },
  {
    api: 'deleteProfileExtensionRecipients',
    resource_path: '/lists/{listName}/listExtensions/{petName}/members/{riid}',
    verb: 'DELETE',
    description: 'Delete Profile Extension Recipients',
    limit: 100,
  },
  {
    api: 'mergeTableMembers',
    resource_path: '/folders/{folderName}/suppData/{tableName}/members',
    verb: 'POST',
    description: 'Merge Supplemental Table Records',
    limit: 1000,
  },
  {
    api: 'retrieveTableMembers',
    resource_path: '/folders/{folderName}/suppData/{tableName}/members',
    verb: 'GET',
    description: 'Retrieve Supplemental Table Records',
    limit: 100,
  },
  {
    api: 'deleteTableMembers',
    resource_path: '/folders/{folderName}/suppData/{tableName}/members',
    verb: 'DELETE',
    description: 'Delete Supplemental Table Records',
    limit: 100,
  },
  {
    api: 'triggerCustomEvent',
    resource_path: '/events/{eventName}',
    verb: 'POST',
    description: 'Trigger Custom Event',
    limit: 1000,
  },
  {
    api: 'retrieveCustomEvents',
    resource_path: '/events',
    verb: 'GET',
    description: 'Fetch Custom Events',
    limit: 100,
  },
  {
    api: 'mergeTriggerEmail',
    resource_path: '/campaigns/{campaignName}/email',
    verb: 'POST',
    description: 'Trigger Email Message / Merge Trigger Email',
    limit: 1000,
  },
  {
    api: 'createCallback',
    resource_path: '/notifications/callbacks',
    verb: 'POST',
    description: 'Create Event Notification Callback',
    limit: 60,
  },
  {
    api: 'retrieveCallback',
    resource_path: '/notifications/callbacks/{callbackName}',
    verb: 'GET',
    description: 'Retrieve or Verify Event Notification Callback',
    limit: 60,
  },
  {
    api: 'createSubscription',
    resource_path: '/notifications/subscriptions',
    verb: 'POST',
    description: 'Create Event Notification Subscription',
    limit: 60,
  },
  {
    api: 'retrieveEventList',
    resource_path: '/notifications/eventList',
    verb: 'GET',
    description: 'Retrieve Event Notification Event Types',
    limit: 60,
  },
  {
    api: 'getThrottlingLimits',
    resource_path: '/ratelimit',
    verb: 'GET',
    description: 'Get Throttling Limits',
    limit: 60,
  },
];

const knownApis = new Set(apiFunctions.map((f) => f.api));

/** A sliding one-minute window per API function. Throttled requests do not use up the budget. */
export class RateLimiter {
  private readonly limits = new Map<string, number>();
  private readonly windows = new Map<string, number[]>();

  constructor(
    overrides: Record<string, number>,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {
    for (const f of apiFunctions) this.limits.set(f.api, f.limit);
    this.setLimits(overrides);
  }

  /** Throws on an unknown function name so a typo in a test configuration shows at once. */
  setLimits(overrides: Record<string, number>): void {
    for (const [api, limit] of Object.entries(overrides)) {
      if (!knownApis.has(api)) {
        throw new Error(`Unknown Responsys API function "${api}"; known: ${[...knownApis].join(', ')}`);
      }
      if (!Number.isInteger(limit) || limit < 0)
        throw new Error(`Rate limit for ${api} must be an integer >= 0`);
      this.limits.set(api, limit);
    }
  }

  /** Counts a request against its function; false when the function is over its limit. */
  take(api: string): boolean {
    const limit = this.limits.get(api);
    if (limit === undefined) return true;
    const now = this.now();
    let window = this.windows.get(api);
    if (!window) this.windows.set(api, (window = []));
    let expired = 0;
    while (expired < window.length && window[expired]! <= now - this.windowMs) expired++;
    if (expired > 0) window.splice(0, expired);
    if (window.length >= limit) return false;
    window.push(now);
    return true;
  }

  /** Requests counted in the current window, per function. */
  usage(): Record<string, number> {
    const now = this.now();
    const usage: Record<string, number> = {};
    for (const [api, window] of this.windows) {
      usage[api] = window.filter((t) => t > now - this.windowMs).length;
    }
    return usage;
  }

  describe(): ApiFunction[] {
    return apiFunctions.map((f) => ({ ...f, limit: this.limits.get(f.api) ?? f.limit }));
  }

  resetWindows(): void {
    this.windows.clear();
  }
}

type QueryLike = Record<string, unknown>;
const segment = '[^/]+';
const v13 = '/rest/(?:api|haApi)/v1\\.3';

/** Request → API function, mirroring the routes; shared by routing, call counting and fault rendering. */
const functionTable: Array<{
  method: string;
  pattern: RegExp;
  api: string | ((query: QueryLike) => string);
}> = [
  { method: 'POST', pattern: new RegExp(`^${v13}/auth/token$`), api: 'login' },
  { method: 'GET', pattern: /^\/rest\/api\/ratelimit$/, api: 'getThrottlingLimits' },
  { method: 'GET', pattern: new RegExp(`^${v13}/lists$`), api: 'retrieveProfileLists' },
  { method: 'GET', pattern: new RegExp(`^${v13}/lists/${segment}/fields$`), api: 'retrieveListFields' },
  {
    method: 'GET',
    pattern: new RegExp(`^${v13}/lists/${segment}/listExtensions$`),
    api: 'retrieveProfileExtensions',
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${v13}/lists/${segment}/members/count$`),
    api: 'retrieveListRecipientCount',
  },
  {
    method: 'POST',
    pattern: /^\/rest\/haApi\/v1\.3\/lists\/[^/]+\/members$/,
    api: 'haMergeListRecipients',
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${v13}/lists/${segment}/members$`),
    api: (q) =>
      q.action === 'get'
        ? 'retrieveListRecipients'
        : q.action === 'delete'
          ? 'deleteListRecipients'
          : 'mergeListRecipients',
  },
  { method: 'GET', pattern: new RegExp(`^${v13}/lists/${segment}/members$`), api: 'retrieveListRecipients' },
  { method: 'DELETE', pattern: new RegExp(`^${v13}/lists/${segment}/members$`), api: 'deleteListRecipients' },
  {
    method: 'GET',
    pattern: new RegExp(`^${v13}/lists/${segment}/members/${segment}$`),
    api: 'retrieveListRecipientsRIID',
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^${v13}/lists/${segment}/members/${segment}$`),
    api: 'deleteListRecipients',
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${v13}/lists/${segment}/listExtensions/${segment}/members$`),
    api: (q) =>
      q.action === 'get' ? 'retrieveProfileExtensionRecipients' : 'mergeProfileExtensionRecipients',
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${v13}/lists/${segment}/listExtensions/${segment}/members(/${segment})?$`),
    api: 'retrieveProfileExtensionRecipients',
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^${v13}/lists/${segment}/listExtensions/${segment}/members/${segment}$`),
    api: 'deleteProfileExtensionRecipients',
  },
  {
    method: 'POST',
    pattern: new RegExp(`^${v13}/folders/${segment}/suppData/${segment}/members$`),
    api: 'mergeTableMembers',
  },
  {
    method: 'GET',
    pattern: new RegExp(`^${v13}/folders/${segment}/suppData/${segment}/members$`),
    api: 'retrieveTableMembers',
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^${v13}/folders/${segment}/suppData/${segment}/members$`),
    api: 'deleteTableMembers',
  },
  { method: 'GET', pattern: new RegExp(`^${v13}/events$`), api: 'retrieveCustomEvents' },
  { method: 'POST', pattern: new RegExp(`^${v13}/events/${segment}$`), api: 'triggerCustomEvent' },
  { method: 'POST', pattern: new RegExp(`^${v13}/campaigns/${segment}/email$`), api: 'mergeTriggerEmail' },
  { method: 'POST', pattern: new RegExp(`^${v13}/notifications/callbacks$`), api: 'createCallback' },
  {
    method: 'GET',
    pattern: new RegExp(`^${v13}/notifications/callbacks/${segment}(/actions/verify)?$`),
    api: 'retrieveCallback',
  },
  { method: 'POST', pattern: new RegExp(`^${v13}/notifications/subscriptions$`), api: 'createSubscription' },
  { method: 'GET', pattern: new RegExp(`^${v13}/notifications/eventList$`), api: 'retrieveEventList' },
];

export function apiFunctionFor(method: string, path: string, query: QueryLike): string | undefined {
  for (const entry of functionTable) {
    if (entry.method !== method.toUpperCase() || !entry.pattern.test(path)) continue;
    return typeof entry.api === 'function' ? entry.api(query) : entry.api;
  }
  return undefined;
}

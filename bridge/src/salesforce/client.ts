import { performance } from 'node:perf_hooks';
import { Connection } from 'jsforce';
import { HttpApi } from 'jsforce/lib/http-api.js';
import type { CheckResult } from '../http/readiness.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { BridgeError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { BridgeMetrics } from '../shared/metrics.js';
import { ApiBudget, type ApiPriority, type ApiUsage } from './api-budget.js';
import {
  SalesforceAuthenticator,
  SalesforceLoginError,
  type SalesforceSession,
  type SalesforceSettings,
} from './auth.js';
import { DescribeCache, type ObjectDescription } from './describe.js';
import { classifySalesforceError, SalesforceApiError } from './errors.js';
import {
  bulkQuery,
  queryAll,
  queryPages,
  retrieveByIds,
  retrieveWhereIn,
  type BulkQueryOptions,
  type QueryOptions,
  type RetrieveOptions,
} from './reads.js';
import type { SObjectRecord } from './soql.js';
import { writeRecords, type WriteOptions, type WriteRecord, type WriteResult } from './writes.js';

// The one door to Salesforce. Every call the bridge makes goes through `call()`: it logs in on first
// use, admits the call against the API budget, counts it in the metrics by kind and outcome, reads
// the daily usage Salesforce reports, and turns failures into SalesforceApiError with their meaning
// (code, retryable). jsforce runs with an explicit API version, `Sforce-Call-Options:
// client=responsys-bridge` on every REST and Bulk request, and a refresh function that runs the
// login grant again when a session expires (JWT and client credentials give no refresh token).

export const BRIDGE_CLIENT_NAME = 'responsys-bridge';

export interface SalesforceClientOptions {
  settings: SalesforceSettings;
  logger: Logger;
  metrics: BridgeMetrics;
  clock?: Clock;
  /** the Sforce-Call-Options client name (default responsys-bridge) */
  clientName?: string;
  /** Bulk API 2.0 polling: first interval and ceiling (ms), and how long a job may take */
  bulk?: { pollIntervalMs?: number; maxPollIntervalMs?: number; timeoutMs?: number };
  /** UNABLE_TO_LOCK_ROW: retries per record and the first delay (doubled each time, with jitter) */
  lockRetry?: { attempts?: number; baseDelayMs?: number };
}

export interface CallOptions {
  priority?: ApiPriority;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** Where the client stands, for the status API and readiness. */
export interface SalesforceClientStatus {
  connected: boolean;
  instanceUrl: string | null;
  userId: string | null;
  organizationId: string | null;
  apiVersion: string;
  auth: string;
  sessionIssuedAt: string | null;
  sessionRenewals: number;
  lastCallAt: string | null;
  lastError: { kind: string; code: string; message: string; at: string } | null;
  apiUsage: ApiUsage | null;
}

// A renewal that keeps being refused right after it succeeded means the token is unusable (IP
// restrictions, a revoked app): fail the call instead of looping through jsforce's refresh.
const MAX_RENEWALS_PER_MINUTE = 3;

type RefreshCallback = (error?: Error | null, accessToken?: string, response?: unknown) => void;

/** jsforce's HttpApi, keeping CSV bodies as text so the bridge parses them with a single delimiter. */
class RawHttpApi extends HttpApi<never> {
  override async parseResponseBody(response: { headers: Record<string, string>; body: string }) {
    const type = response.headers?.['content-type'] ?? '';
    if (/^text\/csv/.test(type)) return response.body;
    return super.parseResponseBody(response as never);
  }
}

export class SalesforceClient {
  readonly apiVersion: string;
  readonly budget: ApiBudget;
  readonly settings: SalesforceSettings;
  readonly clientName: string;
  readonly log: Logger;
  readonly clock: Clock;
  private readonly authenticator: SalesforceAuthenticator;
  private conn: Connection | undefined;
  private currentSession: SalesforceSession | undefined;
  private connecting: Promise<SalesforceSession> | undefined;
  private renewing: Promise<SalesforceSession> | undefined;
  private renewalTimes: number[] = [];
  private renewals = 0;
  private lastCallAt: number | undefined;
  private lastError: SalesforceClientStatus['lastError'] = null;
  private lastUsage: string | undefined;
  private readonly sessionListeners = new Set<(session: SalesforceSession) => void>();
  private readonly describer: DescribeCache;

  constructor(private readonly options: SalesforceClientOptions) {
    this.settings = options.settings;
    this.apiVersion = options.settings.apiVersion;
    this.clientName = options.clientName ?? BRIDGE_CLIENT_NAME;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ component: 'salesforce' });
    this.budget = new ApiBudget(options.settings.apiReservePercent, this.clock);
    this.authenticator = new SalesforceAuthenticator(options.settings);
    this.describer = new DescribeCache(this);
  }

  // ---------------------------------------------------------------- reads and writes

  /** Object metadata, cached for an hour. */
  describe(objectType: string): Promise<ObjectDescription> {
    return this.describer.describe(objectType);
  }

  /** Records by id (chunked SOQL), keyed by 18-character id; missing ids are absent. */
  retrieve(
    objectType: string,
    ids: readonly string[],
    fields: readonly string[],
    options?: RetrieveOptions,
  ): Promise<Map<string, SObjectRecord>> {
    return retrieveByIds(this, objectType, ids, fields, options);
  }

  /** Records whose `field` is one of `values` (chunked SOQL `field IN (...)`). */
  retrieveWhere(
    objectType: string,
    field: string,
    values: readonly string[],
    fields: readonly string[],
    options?: RetrieveOptions,
  ): Promise<SObjectRecord[]> {
    return retrieveWhereIn(this, objectType, field, values, fields, options);
  }

  /** Every record of a SOQL query (REST, pages followed). */
  query(soql: string, options?: QueryOptions): Promise<SObjectRecord[]> {
    return queryAll(this, soql, options);
  }

  /** The pages of a SOQL query (REST), one call per page. */
  queryPages(soql: string, options?: QueryOptions): AsyncGenerator<SObjectRecord[]> {
    return queryPages(this, soql, options);
  }

  /** A Bulk API 2.0 query, its result pages typed like REST records. */
  bulkQuery(soql: string, options?: BulkQueryOptions): AsyncGenerator<SObjectRecord[]> {
    return bulkQuery(this, this.describer, soql, options);
  }

  create(
    objectType: string,
    records: readonly WriteRecord[],
    options?: WriteOptions,
  ): Promise<WriteResult[]> {
    return writeRecords(this, 'insert', objectType, records, options);
  }

  update(
    objectType: string,
    records: readonly WriteRecord[],
    options?: WriteOptions,
  ): Promise<WriteResult[]> {
    return writeRecords(this, 'update', objectType, records, options);
  }

  upsert(
    objectType: string,
    externalIdField: string,
    records: readonly WriteRecord[],
    options?: WriteOptions,
  ): Promise<WriteResult[]> {
    return writeRecords(this, 'upsert', objectType, records, { ...options, externalIdField });
  }

  // ---------------------------------------------------------------- session and calls

  get metrics(): BridgeMetrics {
    return this.options.metrics;
  }

  get bulkOptions(): Required<NonNullable<SalesforceClientOptions['bulk']>> {
    return {
      pollIntervalMs: this.options.bulk?.pollIntervalMs ?? 500,
      maxPollIntervalMs: this.options.bulk?.maxPollIntervalMs ?? 5000,
      timeoutMs: this.options.bulk?.timeoutMs ?? 15 * 60 * 1000,
    };
  }

  get lockRetry(): { attempts: number; baseDelayMs: number } {
    return {
      attempts: this.options.lockRetry?.attempts ?? 3,
      baseDelayMs: this.options.lockRetry?.baseDelayMs ?? 250,
    };
  }

  get session(): SalesforceSession | undefined {
    return this.currentSession;
  }

  /** Logs in (once; concurrent callers share the login). */
  async connect(): Promise<SalesforceSession> {
    if (this.currentSession && this.conn) return this.currentSession;
    this.connecting ??= (async () => {
      try {
        const session = await this.login('connect');
        this.conn = new Connection({
          loginUrl: this.authenticator.loginUrl,
          instanceUrl: session.instanceUrl,
          accessToken: session.accessToken,
          version: this.apiVersion,
          callOptions: { client: this.clientName },
          refreshFn: (_conn, callback) => void this.refreshForJsforce(callback as RefreshCallback),
        });
        this.log.info(
          {
            instanceUrl: session.instanceUrl,
            userId: session.userId,
            organizationId: session.organizationId,
            apiVersion: this.apiVersion,
          },
          `connected to Salesforce (${this.authenticator.describe()})`,
        );
        return session;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** The jsforce connection (after connect()). */
  get connection(): Connection {
    if (!this.conn) throw new BridgeError('NOT_READY', 'The Salesforce client is not connected yet');
    return this.conn;
  }

  /**
   * Runs the login grant again and installs the new token (for the Streaming API, whose client keeps
   * the token it was built with, and for jsforce's refresh on a 401). Concurrent callers share one grant.
   */
  async renewSession(reason: string): Promise<SalesforceSession> {
    this.renewing ??= (async () => {
      try {
        const now = this.clock.now().getTime();
        this.renewalTimes = this.renewalTimes.filter((at) => now - at < 60_000);
        if (this.renewalTimes.length >= MAX_RENEWALS_PER_MINUTE) {
          throw new BridgeError(
            'UPSTREAM_FAILED',
            `Salesforce rejected ${this.renewalTimes.length} new sessions within a minute; not logging in again ` +
              'until it calms down (check IP restrictions, the connected app and the integration user)',
          );
        }
        this.renewalTimes.push(now);
        const session = await this.login(reason);
        this.renewals += 1;
        if (this.conn) this.conn.accessToken = session.accessToken;
        this.log.info({ reason, renewals: this.renewals }, 'Salesforce session renewed');
        for (const listener of this.sessionListeners) listener(session);
        return session;
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  /** Called with every new session (e.g. to rebuild a streaming client). */
  onSessionRenewed(listener: (session: SalesforceSession) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  private async login(reason: string): Promise<SalesforceSession> {
    const started = performance.now();
    try {
      const session = await this.authenticator.grant();
      this.currentSession = session;
      this.options.metrics.apiCall({
        service: 'salesforce',
        fn: 'oauth.token',
        outcome: 'success',
        seconds: (performance.now() - started) / 1000,
      });
      return session;
    } catch (error) {
      // Salesforce's refusal (invalid_grant...) is a client error; no answer at all is a network error.
      const refusal = error instanceof SalesforceLoginError ? error.oauthError : undefined;
      const info = classifySalesforceError(error instanceof SalesforceLoginError ? error.cause : error);
      this.options.metrics.apiCall({
        service: 'salesforce',
        fn: 'oauth.token',
        outcome: refusal ? 'client_error' : info.outcome,
        seconds: (performance.now() - started) / 1000,
      });
      this.recordError('oauth.token', refusal ?? info.code, errorMessage(error));
      this.log.error({ reason, err: error }, errorMessage(error));
      throw error;
    }
  }

  private refreshForJsforce(callback: RefreshCallback): void {
    this.renewSession('session expired or invalid (401 INVALID_SESSION_ID)').then(
      (session) => callback(null, session.accessToken, { access_token: session.accessToken }),
      (error: unknown) => callback(error instanceof Error ? error : new Error(errorMessage(error))),
    );
  }

  /**
   * Runs one Salesforce call: admitted by the API budget for its priority, measured as `kind`
   * (e.g. `query`, `collections.update`, `bulk2.ingest.create`), and its failure classified.
   */
  async call<T>(kind: string, fn: (conn: Connection) => Promise<T>, options: CallOptions = {}): Promise<T> {
    await this.connect();
    this.budget.admit(kind, options.priority ?? 'normal');
    const started = performance.now();
    try {
      const result = await fn(this.connection);
      this.afterCall(kind, 'success', started);
      return result;
    } catch (error) {
      const info = classifySalesforceError(error);
      if (info.code === 'REQUEST_LIMIT_EXCEEDED' && /TotalRequests/i.test(info.message)) {
        this.budget.markExhausted(info.retryAfterMs);
      }
      this.afterCall(kind, info.outcome, started);
      this.recordError(kind, info.code, info.message);
      this.log.warn(
        { kind, code: info.code, retryable: info.retryable },
        `Salesforce ${kind} failed: ${info.message}`,
      );
      throw new SalesforceApiError(kind, info, { cause: error });
    }
  }

  /**
   * A REST or Bulk request whose headers and raw body the caller needs (Bulk API CSV results and the
   * Sforce-Locator header). Session renewal on 401 works as for every other call.
   */
  raw(request: {
    method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
    path: string;
    body?: string;
    headers?: Record<string, string>;
  }): (conn: Connection) => Promise<RawResponse> {
    return async (conn) => {
      const api = new RawHttpApi(conn as never, {});
      let captured: RawResponse | undefined;
      api.on(
        'response',
        (response: { statusCode: number; headers: Record<string, string>; body: string }) => {
          captured = { status: response.statusCode, headers: response.headers, body: response.body };
          const usage = /api-usage=(\d+)\/(\d+)/.exec(response.headers['sforce-limit-info'] ?? '');
          if (usage) this.observeUsage(Number(usage[1]), Number(usage[2]));
        },
      );
      const url = new URL(request.path.replace(/^\//, ''), `${conn.instanceUrl}/`).toString();
      await api.request({
        method: request.method,
        url,
        body: request.body,
        headers: request.headers ?? {},
      });
      if (!captured) throw new Error(`no response to ${request.method} ${request.path}`);
      return captured;
    };
  }

  /** The versioned REST base path, e.g. /services/data/v62.0 */
  get dataPath(): string {
    return `/services/data/v${this.apiVersion}`;
  }

  private afterCall(
    kind: string,
    outcome: Parameters<BridgeMetrics['apiCall']>[0]['outcome'],
    started: number,
  ) {
    this.lastCallAt = this.clock.now().getTime();
    const usage = this.conn?.limitInfo?.apiUsage;
    if (usage) this.observeUsage(usage.used, usage.limit);
    this.options.metrics.apiCall({
      service: 'salesforce',
      fn: kind,
      outcome,
      seconds: (performance.now() - started) / 1000,
    });
  }

  private observeUsage(used: number, limit: number): void {
    const key = `${used}/${limit}`;
    if (key === this.lastUsage && this.budget.ageMs() < 1000) return;
    this.lastUsage = key;
    const before = this.budget.usage()?.reserveReached;
    this.budget.observe(used, limit);
    this.options.metrics.apiDailyUsage({ service: 'salesforce', used, limit });
    const after = this.budget.usage();
    if (after && after.reserveReached !== before) {
      if (after.reserveReached) {
        this.log.warn(
          { used, limit, reserve: after.reserve },
          'Salesforce API usage reached the reserve: background work pauses until usage falls back',
        );
      } else if (before !== undefined) {
        this.log.info(
          { used, limit },
          'Salesforce API usage is out of the reserve again: background work resumes',
        );
      }
    }
  }

  private recordError(kind: string, code: string, message: string): void {
    this.lastError = { kind, code, message, at: this.clock.now().toISOString() };
  }

  /** Reads /limits: the freshest usage figure, for readiness when no call happened for a while. */
  async refreshLimits(): Promise<ApiUsage | undefined> {
    const limits = await this.call(
      'limits',
      (conn) => conn.request<Record<string, { Max: number; Remaining: number }>>(`${this.dataPath}/limits/`),
      { priority: 'urgent' },
    );
    const daily = limits.DailyApiRequests;
    if (daily) this.observeUsage(daily.Max - daily.Remaining, daily.Max);
    return this.budget.usage();
  }

  /** Readiness: logged in, and a usage reading no older than five minutes (one cheap call if needed). */
  async readiness(): Promise<CheckResult> {
    await this.connect();
    if (this.budget.ageMs() > 5 * 60 * 1000) await this.refreshLimits();
    const usage = this.budget.usage();
    const usageText = usage ? `API usage ${usage.used}/${usage.limit}` : 'API usage unknown';
    if (usage?.exhausted) {
      return { ok: false, detail: `daily API allocation spent (${usageText}); calls resume as it refills` };
    }
    return {
      ok: true,
      detail: `${this.currentSession!.instanceUrl} as ${this.currentSession!.userId}, ${usageText}${
        usage?.reserveReached ? ' (inside the reserve: background work paused)' : ''
      }`,
    };
  }

  status(): SalesforceClientStatus {
    return {
      connected: this.conn !== undefined,
      instanceUrl: this.currentSession?.instanceUrl ?? null,
      userId: this.currentSession?.userId ?? null,
      organizationId: this.currentSession?.organizationId ?? null,
      apiVersion: this.apiVersion,
      auth: this.authenticator.describe(),
      sessionIssuedAt: this.currentSession?.issuedAt.toISOString() ?? null,
      sessionRenewals: this.renewals,
      lastCallAt: this.lastCallAt ? new Date(this.lastCallAt).toISOString() : null,
      lastError: this.lastError,
      apiUsage: this.budget.usage() ?? null,
    };
  }
}

import type { BridgeConfig } from '../config/config.js';
import type { BackoffPolicy } from '../shared/backoff.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { BridgeMetrics } from '../shared/metrics.js';
import { registerSecret } from '../shared/redaction.js';
import type { ApiFunctionName } from './api-functions.js';
import { isResponsysError, ResponsysError } from './errors.js';
import { HttpExchange } from './http-exchange.js';
import {
  isListColumnName,
  isTableColumnName,
  listMatchColumns,
  type ExtensionMatchColumn,
  type ListMatchColumn,
} from './naming.js';
import { ResponsysRateLimiter } from './rate-limiter.js';
import { parseDeleteFailure, parseMergeFailure, readRecordData, rowObject } from './records.js';
import { ResponsysSession } from './session.js';
import { ResponsysTransport } from './transport.js';
import type {
  CallOptions,
  ColumnDescription,
  CustomEventDescription,
  CustomEventOutcome,
  CustomEventRecipient,
  DeleteOutcome,
  DeleteProfileMembersOptions,
  EventNotificationRegistration,
  EventNotificationRegistrationResult,
  ExtensionMergeOutcome,
  MergeMemberOutcome,
  MergeProfileExtensionOptions,
  MergeProfileMembersOptions,
  MergeSupplementalTableOptions,
  ProfileExtensionDescription,
  ProfileListDescription,
  ProfileRecord,
  ProfileRow,
  RecordFailure,
  RetrievedMembers,
  RetrieveProfileMembersOptions,
  TableMergeOutcome,
  TriggerCustomEventOptions,
} from './types.js';

// The one Responsys client of the bridge. Every operation speaks the domain (merge profile members,
// trigger a custom event) and goes through the same transport: session, per-function rate limiter,
// retries, metrics and logs. Batch operations split their input into calls of at most 200 records,
// run a few calls at once, and answer one outcome per input record in input order.

export const MAX_RECORDS_PER_CALL = 200;
const V13 = '/rest/api/v1.3';
const MAX_FIELD_LIST_CHARS = 150;
const MAX_ID_CHARS = 500;

export interface ResponsysClientOptions {
  loginUrl: string;
  username: string;
  password: string;
  /** the profile list the bridge merges into, and its folder */
  profileList: string;
  profileListFolder: string;
  logger: Logger;
  metrics: BridgeMetrics;
  clock?: Clock;
  /** refresh the token once it is this old (default 90 min; the lifetime is 2-3 h, UNCONFIRMED) */
  tokenRefreshAfterMs?: number;
  /** log in again instead of refreshing once the token is this old (default 2 h) */
  tokenMaxAgeMs?: number;
  /** per HTTP request (default 30 s) */
  requestTimeoutMs?: number;
  /** attempts of one call for 5xx, timeouts and dropped connections (default 4) */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  /** length of Responsys' rate-limit window (60 s; tests shorten it with the emulator's) */
  rateLimitWindowMs?: number;
  /** share of each per-function limit this process uses, 0 < share ≤ 1 (default 1) */
  rateLimitShare?: number;
  /** how often the limits are read again from GET /rest/api/ratelimit (default 1 h) */
  rateLimitRefreshMs?: number;
  /** API_LIMIT_EXCEEDED answers waited out per call before it fails (default 3) */
  maxThrottleWaits?: number;
  /** calls of one batch operation in flight at once (default 4) */
  concurrency?: number;
  random?: () => number;
}

export class ResponsysClient {
  readonly profileList: string;
  readonly profileListFolder: string;
  private readonly limiter: ResponsysRateLimiter;
  private readonly exchange: HttpExchange;
  private readonly session: ResponsysSession;
  private readonly transport: ResponsysTransport;
  private readonly logger: Logger;
  private readonly concurrency: number;

  constructor(options: ResponsysClientOptions) {
    const now = () => (options.clock ?? { now: () => new Date() }).now().getTime();
    const random = options.random ?? Math.random;
    const windowMs = options.rateLimitWindowMs ?? 60_000;
    const backoff = options.backoff ?? { baseMs: 500, maxMs: 15_000 };
    const maxAttempts = options.maxAttempts ?? 4;
    const maxThrottleWaits = options.maxThrottleWaits ?? 3;
    const share = options.rateLimitShare ?? 1;
    if (!(share > 0 && share <= 1)) throw new RangeError('rateLimitShare must be above 0 and at most 1');

    this.profileList = options.profileList;
    this.profileListFolder = options.profileListFolder;
    this.logger = options.logger.child({ component: 'responsys' });
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    registerSecret(options.password);

    this.limiter = new ResponsysRateLimiter({ windowMs, share, now });
    this.exchange = new HttpExchange({
      limiter: this.limiter,
      logger: this.logger,
      metrics: options.metrics,
      timeoutMs: options.requestTimeoutMs ?? 30_000,
      rateLimitWindowMs: windowMs,
    });
    const refreshAfterMs = options.tokenRefreshAfterMs ?? 90 * 60_000;
    this.session = new ResponsysSession({
      loginUrl: options.loginUrl.replace(/\/+$/, ''),
      username: options.username,
      password: options.password,
      exchange: this.exchange,
      limiter: this.limiter,
      logger: this.logger,
      now,
      refreshAfterMs,
      maxAgeMs: Math.max(options.tokenMaxAgeMs ?? 120 * 60_000, refreshAfterMs),
      maxAttempts,
      backoff,
      random,
      maxThrottleWaits,
    });
    this.transport = new ResponsysTransport({
      exchange: this.exchange,
      session: this.session,
      limiter: this.limiter,
      logger: this.logger,
      now,
      maxAttempts,
      backoff,
      random,
      maxThrottleWaits,
      rateLimitWindowMs: windowMs,
      rateLimitRefreshMs: options.rateLimitRefreshMs ?? 60 * 60_000,
    });
  }

  /** A client for the bridge's configuration (RESPONSYS_* variables). */
  static fromConfig(
    config: BridgeConfig,
    tools: { logger: Logger; metrics: BridgeMetrics; clock?: Clock },
  ): ResponsysClient {
    const { responsys } = config;
    const missing = (
      [
        ['RESPONSYS_LOGIN_URL', responsys.loginUrl],
        ['RESPONSYS_USERNAME', responsys.username],
        ['RESPONSYS_PASSWORD', responsys.password],
        ['RESPONSYS_PROFILE_LIST', responsys.profileList],
        ['RESPONSYS_PROFILE_LIST_FOLDER', responsys.profileListFolder],
      ] as const
    )
      .filter(([, value]) => !value)
      .map(([name]) => name);
    if (missing.length > 0) {
      throw new ResponsysError(`The Responsys connection is not configured: set ${missing.join(', ')}`, {
        errorCode: 'REQUEST_REFUSED_BY_CLIENT',
        apiFunction: 'login',
        retryable: false,
        bridgeCode: 'CONFIG_INVALID',
      });
    }
    return new ResponsysClient({
      loginUrl: responsys.loginUrl!,
      username: responsys.username!,
      password: responsys.password!,
      profileList: responsys.profileList!,
      profileListFolder: responsys.profileListFolder!,
      tokenRefreshAfterMs: responsys.tokenRefreshMinutes * 60_000,
      requestTimeoutMs: responsys.requestTimeoutSeconds * 1000,
      maxAttempts: responsys.maxAttempts,
      rateLimitShare: responsys.rateLimitPercent / 100,
      concurrency: responsys.concurrency,
      ...tools,
    });
  }

  // ---------------------------------------------------------------- profile list

  /**
   * Merges (inserts or updates) profile-list members, at most 200 per call. Records with different
   * column sets go in different calls, so a column one record leaves out is never emptied for it.
   * Refused without `defaultPermissionStatus`; each record needs EMAIL_PERMISSION_STATUS_ `I` or `O`.
   */
  async mergeProfileMembers(
    records: ProfileRecord[],
    options: MergeProfileMembersOptions,
  ): Promise<MergeMemberOutcome[]> {
    const rule = this.mergeRule(options);
    const listName = options.listName ?? this.profileList;
    const matchColumns = [
      options.matchColumn,
      ...(rule.matchOperator === 'AND' ? [options.secondMatchColumn!] : []),
    ];
    const outcomes: MergeMemberOutcome[] = new Array(records.length);
    const groups = groupRows(records, outcomes, listRowPreparer(matchColumns, true));
    await this.runCalls(groups, outcomes, options, async (group) => {
      const body = await this.transport.request({
        fn: 'mergeListRecipients',
        method: 'POST',
        path: `${V13}/lists/${encodeURIComponent(listName)}/members`,
        json: {
          recordData: { fieldNames: group.columns, records: group.rows, mapTemplateName: null },
          mergeRule: rule,
        },
        idempotent: true,
        signal: options.signal,
        size: group.rows.length,
      });
      return riidRows(body, 'mergeListRecipients', group.rows.length);
    });
    this.logBatch('mergeListRecipients', listName, outcomes);
    return outcomes;
  }

  /** Reads members by RIID, CUSTOMER_ID_, email or mobile number (200 ids per call). */
  async retrieveProfileMembers(
    ids: string[],
    options: RetrieveProfileMembersOptions,
  ): Promise<RetrievedMembers> {
    const listName = options.listName ?? this.profileList;
    const column = options.by;
    const queryAttribute = queryAttributes[column];
    if (!queryAttribute)
      throw refused('retrieveListRecipients', `Cannot look members up by ${String(column)}`);
    const normalise = (id: string) => (column === 'EMAIL_ADDRESS_' ? id.trim().toLowerCase() : id.trim());
    const byId = new Map<string, ProfileRow[]>();
    const wanted = new Map<string, string[]>();
    for (const id of ids) {
      byId.set(id, []);
      const key = normalise(id);
      if (key === '' || key.length > MAX_ID_CHARS) continue;
      wanted.set(key, [...(wanted.get(key) ?? []), id]);
    }
    const requested = options.fields === undefined || options.fields === 'all' ? undefined : options.fields;
    const selected = requested ? unique([...requested.map((f) => f.toUpperCase()), column]) : undefined;
    const fieldList = selected && selected.join(',').length <= MAX_FIELD_LIST_CHARS ? selected : ['all'];

    const rows: ProfileRow[] = [];
    for (const chunk of chunks([...wanted.keys()], MAX_RECORDS_PER_CALL)) {
      let body: unknown;
      try {
        body = await this.transport.request({
          fn: 'retrieveListRecipients',
          method: 'POST',
          path: `${V13}/lists/${encodeURIComponent(listName)}/members`,
          query: [['action', 'get']],
          json: { fieldList, ids: chunk, queryAttribute },
          idempotent: true,
          signal: options.signal,
          size: chunk.length,
        });
      } catch (error) {
        if (isResponsysError(error) && error.errorCode === 'RECORD_NOT_FOUND') continue;
        throw error;
      }
      const data = readRecordData(body, 'retrieveListRecipients');
      for (const cells of data.records) {
        const row = rowObject(data.fieldNames, cells);
        rows.push(selected ? project(row, ['RIID_', ...selected]) : row);
      }
    }
    for (const row of rows) {
      const value = row[column];
      if (value === null || value === undefined) continue;
      for (const id of wanted.get(normalise(value)) ?? []) byId.get(id)!.push(row);
    }
    return { rows, byId };
  }

  /** Deletes members (and their PET rows) by RIID, CUSTOMER_ID_, email or mobile number. */
  async deleteProfileMembers(ids: string[], options: DeleteProfileMembersOptions): Promise<DeleteOutcome[]> {
    const listName = options.listName ?? this.profileList;
    const queryAttribute = queryAttributes[options.by];
    if (!queryAttribute)
      throw refused('deleteListRecipients', `Cannot delete members by ${String(options.by)}`);
    const outcomes: DeleteOutcome[] = new Array(ids.length);
    const groups = groupRows(
      ids.map((id) => ({ id })),
      outcomes,
      ({ id }) =>
        typeof id === 'string' && id.trim() !== ''
          ? { columns: [], row: id.trim() }
          : recordFailure('MISSING_MATCH_VALUE', `No ${options.by} to delete by`),
    );
    await this.runCalls(groups, outcomes, options, async (group) => {
      const body = await this.transport.request({
        fn: 'deleteListRecipients',
        method: 'POST',
        path: `${V13}/lists/${encodeURIComponent(listName)}/members`,
        query: [['action', 'delete']],
        json: { queryAttribute, ids: group.rows },
        idempotent: true,
        signal: options.signal,
        size: group.rows.length,
      });
      const data = readRecordData(body, 'deleteListRecipients');
      if (data.records.length !== group.rows.length)
        return wrongRowCount('deleteListRecipients', group.rows.length);
      return data.records.map((row): DeleteOutcome => {
        const failure = parseDeleteFailure(row[0]);
        if (failure?.notFound) return { ok: true, deleted: false };
        if (failure) return recordFailure(failure.code, failure.message);
        return { ok: true, deleted: true, ...(row[0] ? { riid: row[0] } : {}) };
      });
    });
    return outcomes;
  }

  /** Columns of a profile list (for validating mappings). */
  async describeProfileList(
    listName = this.profileList,
    options: CallOptions = {},
  ): Promise<ProfileListDescription> {
    const body = await this.transport.request({
      fn: 'retrieveListFields',
      method: 'GET',
      path: `${V13}/lists/${encodeURIComponent(listName)}/fields`,
      idempotent: true,
      signal: options.signal,
    });
    const answer = (body ?? {}) as { name?: unknown; folderName?: unknown; fields?: unknown };
    const fields = readColumns(answer.fields);
    if (!fields) throw unexpected('retrieveListFields', 'without a fields array');
    return {
      name: typeof answer.name === 'string' ? answer.name : listName,
      folderName: typeof answer.folderName === 'string' ? answer.folderName : '',
      fields,
    };
  }

  /** The profile extension tables of a list, with their columns. */
  async listProfileExtensions(
    listName = this.profileList,
    options: CallOptions = {},
  ): Promise<ProfileExtensionDescription[]> {
    const body = await this.transport.request({
      fn: 'retrieveProfileExtensions',
      method: 'GET',
      path: `${V13}/lists/${encodeURIComponent(listName)}/listExtensions`,
      idempotent: true,
      signal: options.signal,
    });
    if (!Array.isArray(body)) throw unexpected('retrieveProfileExtensions', 'that is not an array');
    return body.flatMap((item: unknown) => {
      const entry = (item ?? {}) as {
        profileExtension?: { objectName?: unknown; folderName?: unknown };
        fields?: unknown;
      };
      const name = entry.profileExtension?.objectName;
      const fields = readColumns(entry.fields);
      if (typeof name !== 'string' || !fields) return [];
      const folderName = entry.profileExtension?.folderName;
      return [{ name, folderName: typeof folderName === 'string' ? folderName : '', fields }];
    });
  }

  // ---------------------------------------------------------------- profile extension tables

  /**
   * Merges rows into a profile extension table. Each record must carry the list key of the match
   * column (RIID_ for RIID, CUSTOMER_ID_ for CUSTOMER_ID...); the match column itself is sent without
   * its trailing underscore, as PET merges require.
   */
  async mergeProfileExtension(
    petName: string,
    records: ProfileRecord[],
    options: MergeProfileExtensionOptions,
  ): Promise<ExtensionMergeOutcome[]> {
    const matchColumn = options.matchColumn.replace(/_$/, '') as ExtensionMatchColumn;
    const listKey = `${matchColumn}_` as ListMatchColumn;
    if (!listMatchColumns.includes(listKey)) {
      throw refused('mergeProfileExtensionRecipients', `${options.matchColumn} is not a list match column`);
    }
    if (listKey.includes('HASH') && options.insertOnNoMatch !== false) {
      throw refused(
        'mergeProfileExtensionRecipients',
        'A hash match column never inserts: set insertOnNoMatch to false',
      );
    }
    const listName = options.listName ?? this.profileList;
    const outcomes: ExtensionMergeOutcome[] = new Array(records.length);
    const groups = groupRows(records, outcomes, listRowPreparer([listKey], false));
    await this.runCalls(groups, outcomes, options, async (group) => {
      const body = await this.transport.request({
        fn: 'mergeProfileExtensionRecipients',
        method: 'POST',
        path: `${V13}/lists/${encodeURIComponent(listName)}/listExtensions/${encodeURIComponent(petName)}/members`,
        json: {
          recordData: { fieldNames: group.columns, records: group.rows, mapTemplateName: null },
          insertOnNoMatch: options.insertOnNoMatch ?? true,
          updateOnMatch: options.updateOnMatch ?? 'REPLACE_ALL',
          matchColumnName1: matchColumn,
          matchColumnName2: null,
        },
        idempotent: true,
        signal: options.signal,
        size: group.rows.length,
      });
      return riidRows(body, 'mergeProfileExtensionRecipients', group.rows.length);
    });
    this.logBatch('mergeProfileExtensionRecipients', petName, outcomes);
    return outcomes;
  }

  // ---------------------------------------------------------------- supplemental tables

  /** Merges rows into a supplemental table. Column names are case-sensitive and sent as given. */
  async mergeSupplementalTable(
    folderName: string,
    tableName: string,
    records: ProfileRecord[],
    options: MergeSupplementalTableOptions = {},
  ): Promise<TableMergeOutcome[]> {
    const outcomes: TableMergeOutcome[] = new Array(records.length);
    const groups = groupRows(records, outcomes, prepareTableRow);
    await this.runCalls(groups, outcomes, options, async (group) => {
      const body = await this.transport.request({
        fn: 'mergeTableMembers',
        method: 'POST',
        path: tablePath(folderName, tableName),
        json: {
          recordData: { fieldNames: group.columns, records: group.rows, mapTemplateName: null },
          insertOnNoMatch: options.insertOnNoMatch ?? true,
          updateOnMatch: options.updateOnMatch ?? 'REPLACE_ALL',
          ...(options.matchColumnNames ? { matchColumnNames: options.matchColumnNames } : {}),
        },
        idempotent: true,
        signal: options.signal,
        size: group.rows.length,
      });
      const data = readRecordData(body, 'mergeTableMembers');
      if (data.records.length !== group.rows.length)
        return wrongRowCount('mergeTableMembers', group.rows.length);
      return data.records.map((row): TableMergeOutcome => {
        const failure = parseMergeFailure(row[0]);
        return failure ? recordFailure(failure.code, failure.message) : { ok: true };
      });
    });
    this.logBatch('mergeTableMembers', `${folderName}/${tableName}`, outcomes);
    return outcomes;
  }

  /**
   * Deletes supplemental-table rows by primary key, one call per row (Responsys deletes at most one
   * row per call). Each key lists the primary key columns in key order: `{CAMPAIGN_ID, SF_MEMBER_ID}`.
   */
  async deleteSupplementalTableRows(
    folderName: string,
    tableName: string,
    keys: Array<Record<string, string>>,
    options: CallOptions = {},
  ): Promise<DeleteOutcome[]> {
    const outcomes: DeleteOutcome[] = new Array(keys.length);
    const groups = keys.flatMap((key, index) => {
      const entries = Object.entries(key);
      if (entries.length === 0 || entries.some(([column, value]) => !isTableColumnName(column) || !value)) {
        outcomes[index] = recordFailure(
          'MISSING_MATCH_VALUE',
          'A row key needs every primary key column with a value',
        );
        return [];
      }
      return [{ columns: [], rows: [entries], indices: [index] }];
    });
    await this.runCalls(groups, outcomes, options, async (group) => {
      const body = await this.transport.request({
        fn: 'deleteTableMembers',
        method: 'DELETE',
        path: tablePath(folderName, tableName),
        query: group.rows[0]!.flatMap(([column, value]): Array<[string, string]> => [
          ['qa', column],
          ['id', value],
        ]),
        idempotent: true,
        signal: options.signal,
        size: 1,
      });
      const data = readRecordData(body, 'deleteTableMembers');
      const failure = parseDeleteFailure(data.records[0]?.[0]);
      if (failure?.notFound) return [{ ok: true, deleted: false }];
      if (failure) return [recordFailure(failure.code, failure.message)];
      return [{ ok: true, deleted: true }];
    });
    return outcomes;
  }

  // ---------------------------------------------------------------- custom events

  /**
   * Puts recipients (who must already be in the list) into the program listening to `eventName`,
   * 200 per call; one outcome per recipient, in order. Not idempotent: a call whose outcome is
   * unknown is not repeated and its recipients fail with OUTCOME_UNKNOWN (see transport.ts).
   */
  async triggerCustomEvent(
    eventName: string,
    recipients: CustomEventRecipient[],
    options: TriggerCustomEventOptions = {},
  ): Promise<CustomEventOutcome[]> {
    const listName = options.listName ?? this.profileList;
    const folderName =
      options.folderName ?? (listName === this.profileList ? this.profileListFolder : undefined);
    if (!folderName) throw refused('triggerCustomEvent', `Name the folder of the list ${listName}`);
    const outcomes: CustomEventOutcome[] = new Array(recipients.length);
    const groups = groupRows(recipients, outcomes, (recipient) => {
      const entry = recipientEntry(recipient, { folderName, objectName: listName }, options.optionalData);
      return 'recipient' in entry ? { columns: [], row: entry } : entry;
    });
    await this.runCalls(groups, outcomes, options, async (group) => {
      const body = await this.transport.request({
        fn: 'triggerCustomEvent',
        method: 'POST',
        path: `${V13}/events/${encodeURIComponent(eventName)}`,
        json: {
          customEvent: { eventNumberDataMapping: '', eventDateDataMapping: '', eventStringDataMapping: '' },
          recipientData: group.rows,
        },
        idempotent: false,
        signal: options.signal,
        size: group.rows.length,
      });
      if (!Array.isArray(body) || body.length !== group.rows.length) {
        // HTTP 200, so Responsys took the call, but which recipients entered cannot be told.
        const failure: RecordFailure = {
          ok: false,
          code: 'OUTCOME_UNKNOWN',
          message: `Responsys answered triggerCustomEvent without one result per recipient; whether these recipients entered ${eventName} is unknown`,
          retryable: false,
          scope: 'request',
          outcomeUnknown: true,
        };
        return group.rows.map(() => failure);
      }
      return body.map((result: unknown): CustomEventOutcome => {
        const answer = (result ?? {}) as { success?: unknown; recipientId?: unknown; errorMessage?: unknown };
        if (answer.success === true) return { ok: true, riid: String(answer.recipientId) };
        const text = typeof answer.errorMessage === 'string' ? answer.errorMessage.trim() : '';
        const match = /^([A-Z][A-Z0-9_]*)(?::\s*([\s\S]*))?$/.exec(text);
        return recordFailure(
          match?.[1] ?? 'EVENT_FAILED',
          match?.[2]?.trim() || text || 'Responsys refused the recipient',
        );
      });
    });
    this.logBatch('triggerCustomEvent', eventName, outcomes);
    return outcomes;
  }

  /** The custom events the account defines. */
  async listCustomEvents(options: CallOptions = {}): Promise<CustomEventDescription[]> {
    const body = await this.transport.request({
      fn: 'retrieveCustomEvents',
      method: 'GET',
      path: `${V13}/events`,
      idempotent: true,
      signal: options.signal,
    });
    if (!Array.isArray(body)) throw unexpected('retrieveCustomEvents', 'that is not an array');
    return body.flatMap((item: unknown) => {
      const event = (item ?? {}) as Record<string, unknown>;
      if (typeof event.eventName !== 'string') return [];
      return [
        {
          eventName: event.eventName,
          ...(typeof event.description === 'string' ? { description: event.description } : {}),
          ...(typeof event.eventType === 'string' ? { eventType: event.eventType } : {}),
        },
      ];
    });
  }

  // ---------------------------------------------------------------- event notifications

  /**
   * Registers the bridge's receiver for Event Notifications: creates the callback (HTTP Basic to
   * `url`), has Responsys verify it, and subscribes it to `eventTypes`. A callback or subscription
   * that already exists under the name is kept (the call can be repeated safely).
   */
  async registerEventNotificationCallback(
    registration: EventNotificationRegistration,
  ): Promise<EventNotificationRegistrationResult> {
    const callbackName = registration.callbackName ?? 'responsys_bridge';
    const subscriptionName = registration.subscriptionName ?? `${callbackName}_subscription`;
    const signal = registration.signal;
    registerSecret(registration.basicAuth.password);
    const createdCallback = await this.createUnlessExists(
      'createCallback',
      `${V13}/notifications/callbacks`,
      signal,
      {
        name: callbackName,
        url: registration.url,
        batchSize: registration.batchSize ?? 100,
        authentication: { type: 'B', data: registration.basicAuth },
        ...(registration.backupUrl ? { backupUrl: registration.backupUrl } : {}),
      },
    );
    await this.transport.request({
      fn: 'retrieveCallback',
      method: 'GET',
      path: `${V13}/notifications/callbacks/${encodeURIComponent(callbackName)}`,
      query: [['action', 'verify']],
      idempotent: true,
      signal,
    });
    const createdSubscription = await this.createUnlessExists(
      'createSubscription',
      `${V13}/notifications/subscriptions`,
      signal,
      {
        name: subscriptionName,
        callBackName: callbackName,
        eventTypes: registration.eventTypes,
        ...(registration.filters ? { filters: registration.filters } : {}),
      },
    );
    this.logger.info(
      { responsys: { callbackName, subscriptionName, eventTypes: registration.eventTypes } },
      'Responsys Event Notification callback registered',
    );
    return { callbackName, subscriptionName, createdCallback, createdSubscription, verified: true };
  }

  /** Event types Responsys can notify about. */
  async listEventNotificationTypes(options: CallOptions = {}): Promise<string[]> {
    const body = await this.transport.request({
      fn: 'retrieveEventList',
      method: 'GET',
      path: `${V13}/notifications/eventList`,
      idempotent: true,
      signal: options.signal,
    });
    const list = Array.isArray(body) ? body : (body as { eventTypes?: unknown } | null)?.eventTypes;
    if (!Array.isArray(list)) throw unexpected('retrieveEventList', 'without a list of event types');
    return list.map((item: unknown) =>
      typeof item === 'string'
        ? item
        : String(
            (item as { eventType?: unknown; name?: unknown })?.eventType ??
              (item as { name?: unknown })?.name,
          ),
    );
  }

  // ---------------------------------------------------------------- operations

  /** Logs in when needed; for readiness. */
  async checkConnection(): Promise<{ ok: boolean; detail: string }> {
    try {
      await this.session.token();
      const state = this.session.describe();
      const minutes = Math.round((state.ageMs ?? 0) / 60_000);
      return { ok: true, detail: `logged in to ${state.endPoint}, token ${minutes} min old` };
    } catch (error) {
      return { ok: false, detail: isResponsysError(error) ? error.message : String(error) };
    }
  }

  /** Reads the per-function limits from GET /rest/api/ratelimit now (also done on first use and hourly). */
  refreshRateLimits(options: CallOptions = {}): Promise<boolean> {
    return this.transport.readLimits(options.signal);
  }

  /** The limit (requests per window) this process applies to a function. */
  rateLimitOf(fn: ApiFunctionName): number {
    return this.limiter.limitOf(fn);
  }

  /** Stops timers and closes kept-alive connections. */
  close(): void {
    this.transport.close();
    this.limiter.close();
    this.exchange.close();
  }

  // ---------------------------------------------------------------- internals

  private mergeRule(options: MergeProfileMembersOptions) {
    const permission = (options as { defaultPermissionStatus?: unknown }).defaultPermissionStatus;
    if (permission !== 'OPTIN' && permission !== 'OPTOUT') {
      throw refused(
        'mergeListRecipients',
        'A profile merge needs an explicit defaultPermissionStatus (OPTIN or OPTOUT): Responsys would silently apply OPTOUT',
      );
    }
    if (!listMatchColumns.includes(options.matchColumn)) {
      throw refused(
        'mergeListRecipients',
        `${String(options.matchColumn)} is not a match column (${listMatchColumns.join(', ')})`,
      );
    }
    const second = options.secondMatchColumn;
    if (second !== undefined && !listMatchColumns.includes(second)) {
      throw refused('mergeListRecipients', `${String(second)} is not a match column`);
    }
    const columns = [options.matchColumn, second].filter((c) => c !== undefined);
    const hashes = columns.filter((c) => c.includes('HASH'));
    if (hashes.length > 0 && options.insertOnNoMatch !== false) {
      throw refused('mergeListRecipients', 'A hash match column never inserts: set insertOnNoMatch to false');
    }
    if (hashes.length === 2 || (hashes.length === 1 && columns.includes('EMAIL_ADDRESS_'))) {
      throw refused(
        'mergeListRecipients',
        'Two hash match columns, or an email and a hash, cannot be combined',
      );
    }
    if (options.matchOperator === 'AND' && !second) {
      throw refused('mergeListRecipients', 'matchOperator AND needs a secondMatchColumn');
    }
    return {
      htmlValue: 'H',
      textValue: 'T',
      optinValue: 'I',
      optoutValue: 'O',
      insertOnNoMatch: options.insertOnNoMatch ?? true,
      updateOnMatch: options.updateOnMatch ?? 'REPLACE_ALL',
      matchColumnName1: options.matchColumn,
      matchColumnName2: second ?? null,
      matchOperator: second ? (options.matchOperator ?? 'NONE') : 'NONE',
      rejectRecordIfChannelEmpty: options.rejectRecordIfChannelEmpty ?? null,
      defaultPermissionStatus: permission,
    };
  }

  /** Runs the calls of a batch operation, a few at a time; a failed call fails its records. */
  private async runCalls<Row, Outcome>(
    groups: Array<RowGroup<Row>>,
    outcomes: Array<Outcome | RecordFailure>,
    options: CallOptions,
    send: (group: RowGroup<Row>) => Promise<Array<Outcome | RecordFailure>>,
  ): Promise<void> {
    const calls = groups.flatMap((group) =>
      chunks(group.indices, MAX_RECORDS_PER_CALL).map((indices, n) => ({
        columns: group.columns,
        indices,
        rows: group.rows.slice(n * MAX_RECORDS_PER_CALL, n * MAX_RECORDS_PER_CALL + indices.length),
      })),
    );
    let next = 0;
    const worker = async () => {
      while (next < calls.length) {
        const call = calls[next++]!;
        let results: Array<Outcome | RecordFailure>;
        try {
          results = await send(call);
        } catch (error) {
          const failure = requestFailure(error);
          if (failure.code !== 'ABORTED' || !options.signal?.aborted) {
            this.logger.warn(
              { errorCode: failure.code, records: call.indices.length },
              `A Responsys call failed for ${call.indices.length} records: ${failure.message}`,
            );
          }
          results = call.indices.map(() => failure);
        }
        call.indices.forEach((index, i) => {
          outcomes[index] = results[i]!;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, calls.length) }, worker));
  }

  private async createUnlessExists(
    fn: 'createCallback' | 'createSubscription',
    path: string,
    signal: AbortSignal | undefined,
    json: unknown,
  ): Promise<boolean> {
    try {
      await this.transport.request({ fn, method: 'POST', path, json, idempotent: true, signal });
      return true;
    } catch (error) {
      if (isResponsysError(error) && /already exists/i.test(error.detail ?? '')) return false;
      throw error;
    }
  }

  private logBatch(fn: ApiFunctionName, target: string, outcomes: Array<{ ok: boolean }>): void {
    const refused = outcomes.filter((outcome) => !outcome.ok).length;
    this.logger.debug(
      { responsys: { fn, target, records: outcomes.length, refused } },
      `Responsys ${fn} on ${target}: ${outcomes.length - refused} of ${outcomes.length} records accepted`,
    );
  }
}

// ------------------------------------------------------------------ helpers

/** Records that go in the same calls: the same column set (one fieldNames list per call). */
interface RowGroup<Row> {
  columns: string[];
  rows: Row[];
  indices: number[];
}

interface PreparedRow<Row> {
  columns: string[];
  row: Row;
}

type TableRow = Array<string | null>;

interface RecipientData {
  recipient: Record<string, unknown>;
  optionalData: Array<{ name: string; value: string }>;
}

const queryAttributes: Record<string, string> = {
  RIID_: 'r',
  CUSTOMER_ID_: 'c',
  EMAIL_ADDRESS_: 'e',
  MOBILE_NUMBER_: 'm',
};

/** Groups prepared rows by their column set (a call has one fieldNames list); refused rows get their outcome. */
function groupRows<Input, Row, Outcome>(
  inputs: Input[],
  outcomes: Array<Outcome | RecordFailure>,
  prepare: (input: Input) => PreparedRow<Row> | RecordFailure,
): Array<RowGroup<Row>> {
  const groups = new Map<string, RowGroup<Row>>();
  const byColumns = new Map<string[], RowGroup<Row>>();
  inputs.forEach((input, index) => {
    const prepared = prepare(input);
    if ('ok' in prepared) {
      outcomes[index] = prepared;
      return;
    }
    // Rows prepared alike share their columns array, so most need no signature of their own.
    let group = byColumns.get(prepared.columns);
    if (!group) {
      const signature = prepared.columns.join('\u0000');
      group = groups.get(signature) ?? { columns: prepared.columns, rows: [], indices: [] };
      groups.set(signature, group);
      byColumns.set(prepared.columns, group);
    }
    group.rows.push(prepared.row);
    group.indices.push(index);
  });
  return [...groups.values()];
}

/**
 * How records with one set of keys (in their order) become list rows: the upper-case columns in a
 * stable order, the key each column's value comes from, and where the match and permission columns
 * sit. Worked out once per key set, as the records of a batch almost always share theirs.
 */
interface ListRowShape {
  columns: string[];
  keys: string[];
  matchIndices: number[];
  permissionIndex: number;
}

/** Prepares list or PET rows; its shapes live as long as one merge. */
function listRowPreparer(
  matchColumns: readonly string[],
  requirePermissionStatus: boolean,
): (record: ProfileRecord) => PreparedRow<TableRow> | RecordFailure {
  const shapes = new Map<string, ListRowShape | RecordFailure>();
  // The previous record's keys and shape: consecutive records nearly always share them, and comparing
  // the keys costs less than a signature string per record.
  let lastKeys: string[] = [];
  let lastShape: ListRowShape | RecordFailure | undefined;
  return (record) => {
    if (!record || typeof record !== 'object')
      return recordFailure('INVALID_RECORD', 'The record is not an object');
    const keys: string[] = [];
    for (const key of Object.keys(record)) if (record[key] !== undefined) keys.push(key);
    let shape = sameKeys(keys, lastKeys) ? lastShape : undefined;
    if (!shape) {
      const signature = keys.join('\u0000');
      shape = shapes.get(signature);
      if (!shape) {
        shape = listRowShape(keys, matchColumns);
        shapes.set(signature, shape);
      }
      lastKeys = keys;
      lastShape = shape;
    }
    if ('ok' in shape) return { ...shape };
    return prepareListRow(record, shape, matchColumns, requirePermissionStatus);
  };
}

function sameKeys(keys: readonly string[], other: readonly string[]): boolean {
  if (keys.length !== other.length) return false;
  for (let index = 0; index < keys.length; index += 1) if (keys[index] !== other[index]) return false;
  return true;
}

function listRowShape(
  keys: readonly string[],
  matchColumns: readonly string[],
): ListRowShape | RecordFailure {
  const byColumn = new Map<string, string>();
  for (const key of keys) {
    const column = key.trim().toUpperCase();
    if (!isListColumnName(column))
      return recordFailure('INVALID_COLUMN_NAME', `${key} is not a valid Responsys column name`);
    if (byColumn.has(column))
      return recordFailure('DUPLICATE_COLUMN', `${column} appears twice in the record`);
    byColumn.set(column, key);
  }
  const columns = [...byColumn.keys()].sort();
  return {
    columns,
    keys: columns.map((column) => byColumn.get(column)!),
    matchIndices: matchColumns.map((column) => columns.indexOf(column)),
    permissionIndex: columns.indexOf('EMAIL_PERMISSION_STATUS_'),
  };
}

/** A list or PET row: upper-case column names in a stable order, values as strings or null. */
function prepareListRow(
  record: ProfileRecord,
  shape: ListRowShape,
  matchColumns: readonly string[],
  requirePermissionStatus: boolean,
): PreparedRow<TableRow> | RecordFailure {
  const row: TableRow = new Array(shape.keys.length);
  for (let index = 0; index < shape.keys.length; index += 1) {
    const raw = record[shape.keys[index]!];
    row[index] = raw === null ? null : String(raw);
  }
  for (let match = 0; match < matchColumns.length; match += 1) {
    const value = row[shape.matchIndices[match]!];
    if (value === undefined || value === null || value.trim() === '') {
      return recordFailure('MISSING_MATCH_VALUE', `The record has no ${matchColumns[match]} to match on`);
    }
  }
  if (requirePermissionStatus) {
    const status = row[shape.permissionIndex];
    if (status === undefined || status === null) {
      return recordFailure(
        'MISSING_PERMISSION_STATUS',
        'The record has no EMAIL_PERMISSION_STATUS_: the bridge always sends the permission status explicitly (I or O)',
      );
    }
    const normalised = status.trim().toUpperCase();
    if (normalised !== 'I' && normalised !== 'O') {
      return recordFailure(
        'INVALID_PERMISSION_STATUS',
        `EMAIL_PERMISSION_STATUS_ must be I or O, not ${JSON.stringify(status)}`,
      );
    }
    row[shape.permissionIndex] = normalised;
  }
  return { columns: shape.columns, row };
}

/** A supplemental-table row: column names exactly as given (they are case-sensitive). */
function prepareTableRow(record: ProfileRecord): PreparedRow<TableRow> | RecordFailure {
  if (!record || typeof record !== 'object')
    return recordFailure('INVALID_RECORD', 'The record is not an object');
  const entries = Object.entries(record).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return recordFailure('INVALID_RECORD', 'The record has no columns');
  for (const [name] of entries) {
    if (!isTableColumnName(name))
      return recordFailure('INVALID_COLUMN_NAME', `${name} is not a valid column name`);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    columns: entries.map(([name]) => name),
    row: entries.map(([, value]) => (value === null ? null : String(value))),
  };
}

function recipientEntry(
  recipient: CustomEventRecipient,
  listName: { folderName: string; objectName: string },
  shared: TriggerCustomEventOptions['optionalData'],
): RecipientData | RecordFailure {
  const target: Record<string, unknown> = { listName };
  const riid = recipient.riid === undefined || recipient.riid === null ? '' : String(recipient.riid).trim();
  if (riid !== '') {
    if (!/^\d+$/.test(riid))
      return recordFailure('INVALID_RECIPIENT', `RIID ${JSON.stringify(riid)} is not a number`);
    target.recipientId = Number(riid);
  }
  if (recipient.customerId?.trim()) target.customerId = recipient.customerId.trim();
  if (recipient.email?.trim()) target.emailAddress = recipient.email.trim();
  if (recipient.mobileNumber?.trim()) target.mobileNumber = recipient.mobileNumber.trim();
  if (Object.keys(target).length === 1) {
    return recordFailure(
      'MISSING_RECIPIENT_ID',
      'The recipient has no RIID, customer id, email or mobile number',
    );
  }
  const data = { ...shared, ...recipient.optionalData };
  const optionalData = Object.entries(data)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => ({ name, value: String(value) }));
  return { recipient: target, optionalData };
}

/** Rows of `[RIID]` or MERGEFAILED strings, in request order (list and PET merges). */
function riidRows(body: unknown, fn: ApiFunctionName, expected: number): MergeMemberOutcome[] {
  const data = readRecordData(body, fn);
  if (data.records.length !== expected) return wrongRowCount(fn, expected);
  return data.records.map((row): MergeMemberOutcome => {
    const cell = row[0];
    const failure = parseMergeFailure(cell);
    if (failure) return recordFailure(failure.code, failure.message);
    if (typeof cell === 'string' && /^\d+$/.test(cell.trim())) return { ok: true, riid: cell.trim() };
    return recordFailure(
      'UNEXPECTED_RESPONSE',
      `Responsys answered ${fn} with ${JSON.stringify(cell)} instead of a RIID`,
      true,
    );
  });
}

function wrongRowCount(fn: ApiFunctionName, expected: number): RecordFailure[] {
  const failure: RecordFailure = {
    ok: false,
    code: 'UNEXPECTED_RESPONSE',
    message: `Responsys answered ${fn} with a different number of rows than the ${expected} sent`,
    retryable: true,
    scope: 'request',
  };
  return Array.from({ length: expected }, () => failure);
}

function recordFailure(code: string, message: string, retryable = false): RecordFailure {
  return { ok: false, code, message, retryable, scope: 'record' };
}

function requestFailure(error: unknown): RecordFailure {
  if (isResponsysError(error)) {
    return {
      ok: false,
      code: error.errorCode,
      message: error.message,
      retryable: error.retryable,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      scope: 'request',
      ...(error.outcomeUnknown ? { outcomeUnknown: true } : {}),
    };
  }
  return {
    ok: false,
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    retryable: true,
    scope: 'request',
  };
}

function refused(fn: ApiFunctionName, message: string): ResponsysError {
  return new ResponsysError(message, {
    errorCode: 'REQUEST_REFUSED_BY_CLIENT',
    apiFunction: fn,
    retryable: false,
    bridgeCode: 'VALIDATION_FAILED',
  });
}

function unexpected(fn: ApiFunctionName, what: string): ResponsysError {
  return new ResponsysError(`Responsys answered ${fn} ${what}`, {
    errorCode: 'UNEXPECTED_RESPONSE',
    apiFunction: fn,
    httpStatus: 200,
    retryable: true,
  });
}

function readColumns(fields: unknown): ColumnDescription[] | undefined {
  if (!Array.isArray(fields)) return undefined;
  return fields.flatMap((field: unknown) => {
    const entry = (field ?? {}) as { fieldName?: unknown; fieldType?: unknown };
    return typeof entry.fieldName === 'string'
      ? [{ name: entry.fieldName, type: typeof entry.fieldType === 'string' ? entry.fieldType : '' }]
      : [];
  });
}

function tablePath(folderName: string, tableName: string): string {
  return `${V13}/folders/${encodeURIComponent(folderName)}/suppData/${encodeURIComponent(tableName)}/members`;
}

function project(row: ProfileRow, columns: string[]): ProfileRow {
  const projected: ProfileRow = {};
  for (const column of columns) projected[column] = row[column] ?? null;
  return projected;
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

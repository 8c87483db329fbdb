import type { ExtensionMatchColumn, ListMatchColumn } from './naming.js';

// What the Responsys client's operations take and give back. Batch operations answer one outcome per
// input record, in input order, and never throw because of one record or one failed call: a call
// that fails as a whole marks each of its records failed with scope 'request'.

/** A row to merge: column name -> value. `undefined` leaves the column out; `null` empties it. */
export type ProfileRecord = Record<string, string | null | undefined>;

/** A row as Responsys returns it: column name (upper case for lists and PETs) -> value. */
export type ProfileRow = Record<string, string | null>;

export interface RecordFailure {
  ok: false;
  /** Responsys code (INVALID_PARAMETER, NO_RECIPIENT_FOUND...) or the client's (MISSING_PERMISSION_STATUS...) */
  code: string;
  message: string;
  /** whether trying this record again later can succeed */
  retryable: boolean;
  retryAfterMs?: number;
  /** `record`: this record was refused; `request`: the whole call it was part of failed */
  scope: 'record' | 'request';
  /** the call may have been processed although it failed (custom events are not repeated then) */
  outcomeUnknown?: boolean;
}

export type MergeMemberOutcome = { ok: true; riid: string } | RecordFailure;
export type ExtensionMergeOutcome = { ok: true; riid: string } | RecordFailure;
export type TableMergeOutcome = { ok: true } | RecordFailure;
export type CustomEventOutcome = { ok: true; riid: string } | RecordFailure;
/** `deleted: false` when there was nothing to delete (deleting is idempotent). */
export type DeleteOutcome = { ok: true; deleted: boolean; riid?: string } | RecordFailure;

export type PermissionStatus = 'OPTIN' | 'OPTOUT';

export interface CallOptions {
  /** aborts waits and calls (shutdown, batch deadline); unfinished records fail with ABORTED */
  signal?: AbortSignal;
}

export interface MergeProfileMembersOptions extends CallOptions {
  /** default: the configured profile list (RESPONSYS_PROFILE_LIST) */
  listName?: string;
  matchColumn: ListMatchColumn;
  secondMatchColumn?: ListMatchColumn;
  /** how the two match columns combine (default NONE: the first, then the second) */
  matchOperator?: 'NONE' | 'AND';
  /** default true */
  insertOnNoMatch?: boolean;
  /** default REPLACE_ALL (replaces the columns sent, not the others) */
  updateOnMatch?: 'REPLACE_ALL' | 'NO_UPDATE';
  /**
   * Required: Responsys applies OPTOUT when it is omitted, silently. Each record must also carry its
   * own EMAIL_PERMISSION_STATUS_ (`I` or `O`), so no recipient's permission is ever left to a default.
   */
  defaultPermissionStatus: PermissionStatus;
  /** comma list of channels (E, M, P) whose address must not be empty */
  rejectRecordIfChannelEmpty?: string;
}

export interface RetrieveProfileMembersOptions extends CallOptions {
  listName?: string;
  by: 'RIID_' | 'CUSTOMER_ID_' | 'EMAIL_ADDRESS_' | 'MOBILE_NUMBER_';
  /** columns to read (default all) */
  fields?: string[] | 'all';
}

export interface RetrievedMembers {
  /** every row found, in answer order */
  rows: ProfileRow[];
  /** rows per requested id (email ids compare case-insensitively); [] when none */
  byId: Map<string, ProfileRow[]>;
}

export interface DeleteProfileMembersOptions extends CallOptions {
  listName?: string;
  by: 'RIID_' | 'CUSTOMER_ID_' | 'EMAIL_ADDRESS_' | 'MOBILE_NUMBER_';
}

export interface MergeProfileExtensionOptions extends CallOptions {
  listName?: string;
  /** a list key; `RIID` and `RIID_` both work (PET merges take it without the underscore) */
  matchColumn: ExtensionMatchColumn | ListMatchColumn;
  /** default true */
  insertOnNoMatch?: boolean;
  /** default REPLACE_ALL */
  updateOnMatch?: 'REPLACE_ALL' | 'NO_UPDATE';
}

export interface MergeSupplementalTableOptions extends CallOptions {
  /** only for tables without a primary key */
  matchColumnNames?: string[];
  insertOnNoMatch?: boolean;
  updateOnMatch?: 'REPLACE_ALL' | 'NO_UPDATE';
}

export interface CustomEventRecipient {
  riid?: string | number;
  customerId?: string;
  email?: string;
  mobileNumber?: string;
  /** per-recipient data for the program (merged over the call's optionalData) */
  optionalData?: Record<string, string | number | null | undefined>;
}

export interface TriggerCustomEventOptions extends CallOptions {
  /** data for every recipient of the call */
  optionalData?: Record<string, string | number | null | undefined>;
  listName?: string;
  folderName?: string;
}

export interface ColumnDescription {
  name: string;
  /** STR50, INTEGER, TIMESTAMP, CHAR... */
  type: string;
}

export interface ProfileListDescription {
  name: string;
  folderName: string;
  fields: ColumnDescription[];
}

export interface ProfileExtensionDescription {
  name: string;
  folderName: string;
  fields: ColumnDescription[];
}

export interface CustomEventDescription {
  eventName: string;
  description?: string;
  eventType?: string;
}

export interface EventNotificationRegistration extends CallOptions {
  /** the bridge's public receiver URL */
  url: string;
  /** HTTP Basic credentials Responsys will send to the receiver */
  basicAuth: { userName: string; password: string };
  eventTypes: string[];
  /** default `responsys_bridge` */
  callbackName?: string;
  /** default `<callbackName>_subscription` */
  subscriptionName?: string;
  /** payloads per POST, at most 200 (default 100) */
  batchSize?: number;
  backupUrl?: string;
  filters?: Array<{ eventTypes: string[]; values: { campaignNames: string[] } }>;
}

export interface EventNotificationRegistrationResult {
  callbackName: string;
  subscriptionName: string;
  /** false when a callback or subscription of that name existed already (it was kept) */
  createdCallback: boolean;
  createdSubscription: boolean;
  verified: true;
}

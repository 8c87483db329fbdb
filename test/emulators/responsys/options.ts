import type { AccountDefinitionInput } from './account/definitions.js';

export const cedDelimiters = [',', ';', '\t', '|'] as const;
export type CedDelimiter = (typeof cedDelimiters)[number];

/** Contact Event Data feeds (email channel) the emulator writes. */
export const cedFeeds = [
  'SENT',
  'OPEN',
  'CLICK',
  'CONVERT',
  'BOUNCE',
  'SKIPPED',
  'FAIL',
  'COMPLAINT',
  'OPT_OUT',
  'OPT_IN',
  'LAUNCH_STATE',
] as const;
export type CedFeed = (typeof cedFeeds)[number];

export interface CedOptions {
  /** Comma, semicolon, tab or pipe, as chosen in the Connect job. Default `,`. */
  delimiter?: CedDelimiter;
  /** Write a header row (default true). */
  header?: boolean;
  /** Quote every value (default false: quote only values that need it). */
  quoteAll?: boolean;
  /** Write a `<name>.ready` marker after each data file (default false). */
  readyFiles?: boolean;
  /** Write a file for feeds without events in this run (default false). */
  emptyFeeds?: boolean;
  /** Also write `<accountId>_PROFILE_LIST_<LIST>_<ts>.txt` with members changed since the last export. */
  profileListExport?: boolean;
  /** EVENT_TYPE_ID per feed; the defaults for SKIPPED, FAIL and COMPLAINT are UNCONFIRMED. */
  eventTypeIds?: Partial<Record<CedFeed, number>>;
  /** Fill CUSTOMER_ID in the BOUNCE feed (Oracle: "not populated at this time"; default false). */
  customerIdInBounce?: boolean;
}

export interface NotificationOptions {
  /** Attempts per URL before giving up on it (default 3, Oracle's count before the backup URL). */
  attempts?: number;
  /** Delay before the first retry, doubled for each further retry (default 1000 ms). */
  retryDelayMs?: number;
  /** Events are gathered this long before a batch is sent (default 50 ms). */
  batchWindowMs?: number;
  /** A delivery that takes longer than this counts as failed (default 10 s). */
  timeoutMs?: number;
}

/** Behaviours the API notes mark UNCONFIRMED; each default is documented in docs/emulators-responsys.md. */
export interface ResponsysQuirks {
  /** A token refresh invalidates the token it was called with (default false: tokens are stateless). */
  refreshRevokesOldToken: boolean;
  /** Appended to list MERGEFAILED / DELETEFAILED strings (recorded `\r\n` on supplemental tables). */
  listFailureLineEnding: string;
  /** defaultPermissionStatus also applies to matched members when the status column is absent. */
  defaultPermissionStatusOnUpdate: boolean;
  /** Retrieve responses carry a `links` array (Oracle's sample shows none). */
  linksOnRetrieve: boolean;
  /** A complaint also opts the recipient out. */
  complaintOptsOut: boolean;
  /** A hard bounce sets EMAIL_DELIVERABILITY_STATUS_ to `U`. */
  hardBounceMarksUndeliverable: boolean;
  /** Custom events reject a recipient whose listName.folderName is not the list's folder. */
  eventListFolderMustMatch: boolean;
}

export const defaultQuirks: ResponsysQuirks = {
  refreshRevokesOldToken: false,
  listFailureLineEnding: '\r\n',
  defaultPermissionStatusOnUpdate: false,
  linksOnRetrieve: false,
  complaintOptsOut: false,
  hardBounceMarksUndeliverable: true,
  eventListFolderMustMatch: true,
};

export interface SftpOptions {
  port?: number;
  username?: string;
  password?: string;
  /** OpenSSH public keys (`ssh-ed25519 AAAA... comment`) accepted for public-key authentication. */
  authorizedKeys?: string[];
}

export interface ResponsysEmulatorOptions {
  /** Default 0 (tests); the standalone launcher uses 4020. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** API user, default `api_user` / `api_password`. */
  username?: string;
  password?: string;
  /** Token lifetime, default 2 h (Oracle says 3 h, clients assume 2 h: UNCONFIRMED). */
  tokenTtlMs?: number;
  /** Per API function, requests per minute; overrides the defaults (see GET /rest/api/ratelimit). */
  rateLimits?: Record<string, number>;
  /** Length of the rate-limit window, default 60 000 ms. */
  rateLimitWindowMs?: number;
  /** Where Contact Event Data files are written (default: a fresh temp directory). */
  eventFilesDir?: string;
  /** SFTP server over eventFilesDir; on by default (port 0), `false` to disable. */
  sftp?: false | SftpOptions;
  /** Seed CONTACTS_LIST members, PET rows and supplemental rows. Default false. */
  demoData?: boolean;
  /** Added to every API answer (benchmarks use 20 ms). */
  latencyMs?: number;
  /** Seed for faults, RIIDs and tokens. Default 1. */
  seed?: number;
  /** Account id in CED file names; default `12345` (or the account definition's). */
  accountId?: string;
  /** Replaces the default account objects (lists, PETs, tables, events, campaigns). */
  account?: AccountDefinitionInput;
  /** Requests larger than this are dropped at the gateway. Default 10 MB (10 485 760 bytes). */
  maxPayloadBytes?: number;
  /** Clock, for tests of expiry and rate windows. Default Date.now. */
  now?: () => number;
  ced?: CedOptions;
  /** Run an export every N ms (default: only on demand through /__control/export). */
  exportIntervalMs?: number;
  notifications?: NotificationOptions;
  quirks?: Partial<ResponsysQuirks>;
}

export const DEFAULT_USERNAME = 'api_user';
export const DEFAULT_PASSWORD = 'api_password';
export const DEFAULT_SFTP_USERNAME = 'sftp_user';
export const DEFAULT_SFTP_PASSWORD = 'sftp_password';
export const DEFAULT_TOKEN_TTL_MS = 2 * 60 * 60 * 1000;
export const DEFAULT_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** Records, recipients or ids per request for merge, PET, supplemental, trigger, event, get/delete. */
export const MAX_RECORDS_PER_REQUEST = 200;

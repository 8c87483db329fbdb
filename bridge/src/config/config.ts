// The typed, validated configuration every part of the bridge receives.

export type BridgeMode = 'sandbox' | 'live';
export type SalesforceAuth = 'jwt' | 'client_credentials' | 'password';
export type ValueSource = 'environment' | '.env file' | 'default' | 'unset';

export type EventFilesLocation =
  | { kind: 'sftp'; host: string; port: number; username: string; password?: string; path: string }
  | { kind: 'directory'; path: string };

export interface BridgeConfig {
  /** sandbox: no Salesforce and no Responsys credentials; emulators run in-process. */
  mode: BridgeMode;
  instanceId: string;
  salesforce: {
    loginUrl?: string;
    auth: SalesforceAuth;
    clientId?: string;
    clientSecret?: string;
    username?: string;
    password?: string;
    privateKeyFile?: string;
    apiVersion: string;
    bulkThreshold: number;
    /** percent of the daily API allocation kept in reserve; below it, non-urgent work pauses */
    apiReservePercent: number;
    /** rebuild the Streaming API client after this long without a /meta/connect answer */
    streamStallSeconds: number;
    /** cron schedule of the SystemModstamp reconciliation, or undefined when off */
    reconcileSchedule?: string;
  };
  responsys: {
    loginUrl?: string;
    username?: string;
    password?: string;
    profileList?: string;
    profileListFolder?: string;
    eventFiles?: EventFilesLocation;
    tokenRefreshMinutes: number;
    requestTimeoutSeconds: number;
    maxAttempts: number;
    rateLimitPercent: number;
    concurrency: number;
  };
  /** the flows from Responsys to Salesforce (F2 engagement, F5 lead status, F7 opt-outs in) */
  inbound: {
    eventFiles: {
      pollSeconds: number;
      afterRead: 'move' | 'keep' | 'delete';
      readyMarkers: 'auto' | 'required' | 'off';
      settleSeconds: number;
      privateKeyFile?: string;
      hostKey?: string;
    };
    /** HTTP Basic credentials Event Notification callbacks present; unset: the receiver refuses them */
    callbacks: { username?: string; password?: string };
    /** CED OPT_IN SOURCE values that count as the person's own opt-in */
    optInSources: string[];
    engagement: {
      opens: 'record' | 'count';
      scoreWeights: Record<string, number>;
      scoreHalfLifeDays: number;
      retentionDays: number;
      purgeSchedule?: string;
      batchSize: number;
    };
    /** Lead statuses from least to most advanced; unset: the picklist order */
    leadStatusOrder?: string[];
    optOutReconcileSchedule?: string;
  };
  /** the flows from Salesforce to Responsys (F1, F3, F4, F6, F7 out) */
  outbound: {
    campaignSegments: {
      /** `<folder>/<table>` or `pet:<table>` */
      target: string;
      /** member status labels, `@responded` for the campaign's responded statuses */
      statuses: string[];
      leftMembers: 'flag' | 'remove';
      schedule?: string;
      /** campaigns the schedule always syncs */
      campaignIds: string[];
    };
  };
  mapping: {
    /** how often Responsys_Field_Map__mdt is read again */
    refreshSeconds: number;
  };
  store: {
    /** set: a PostgreSQL server; unset: the embedded store in dataDir */
    databaseUrl?: string;
    dataDir: string;
    poolSize: number;
  };
  http: {
    host: string;
    port: number;
    adminToken: string;
    bodyLimit: string;
  };
  queue: {
    batchSize: number;
    maxAttempts: number;
    retryBaseSeconds: number;
    retryMaxSeconds: number;
    pollIntervalMs: number;
    jobTimeoutSeconds: number;
  };
  retention: {
    syncLogDays: number;
    deadLetterDays: number;
  };
  leaderLeaseSeconds: number;
  shutdownTimeoutSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  metrics: { enabled: boolean; processMetrics: boolean };
  /** Where each variable's value came from, for check-config. */
  sources: Record<string, ValueSource>;
}

/** The admin token used in sandbox mode when BRIDGE_ADMIN_TOKEN is unset (documented, not secret). */
export const SANDBOX_ADMIN_TOKEN = 'sandbox-admin-token';

/** Event Notification callback credentials in sandbox mode when unset (documented, not secret). */
export const SANDBOX_CALLBACK_USERNAME = 'responsys-callback';
export const SANDBOX_CALLBACK_PASSWORD = 'sandbox-callback-password';

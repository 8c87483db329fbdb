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

import { redactUrl } from '../shared/redaction.js';
import type { BridgeConfig, EventFilesLocation } from './config.js';
import { variables } from './variables.js';

// The effective configuration as an operator may see it: every variable, its value with secrets
// masked, and where the value came from. Used by `check-config` and the status API.

export interface ConfigEntry {
  variable: string;
  value: string;
  source: string;
  description: string;
}

const MASK = '********';

function eventFilesText(location: EventFilesLocation | undefined): string | undefined {
  if (!location) return undefined;
  if (location.kind === 'directory') return location.path;
  const password = location.password ? `:${MASK}` : '';
  return `sftp://${location.username}${password}@${location.host}:${location.port}${location.path}`;
}

function effectiveValue(config: BridgeConfig, name: string): string | number | boolean | undefined {
  const values: Record<string, string | number | boolean | undefined> = {
    SALESFORCE_LOGIN_URL: config.salesforce.loginUrl,
    SALESFORCE_AUTH: config.salesforce.auth,
    SALESFORCE_CLIENT_ID: config.salesforce.clientId,
    SALESFORCE_CLIENT_SECRET: config.salesforce.clientSecret,
    SALESFORCE_USERNAME: config.salesforce.username,
    SALESFORCE_PASSWORD: config.salesforce.password,
    SALESFORCE_PRIVATE_KEY_FILE: config.salesforce.privateKeyFile,
    SALESFORCE_API_VERSION: config.salesforce.apiVersion,
    SALESFORCE_BULK_THRESHOLD: config.salesforce.bulkThreshold,
    RESPONSYS_LOGIN_URL: config.responsys.loginUrl,
    RESPONSYS_USERNAME: config.responsys.username,
    RESPONSYS_PASSWORD: config.responsys.password,
    RESPONSYS_PROFILE_LIST: config.responsys.profileList,
    RESPONSYS_PROFILE_LIST_FOLDER: config.responsys.profileListFolder,
    RESPONSYS_EVENT_FILES: eventFilesText(config.responsys.eventFiles),
    DATABASE_URL: config.store.databaseUrl,
    DATABASE_POOL_SIZE: config.store.poolSize,
    BRIDGE_DATA_DIR: config.store.dataDir,
    BRIDGE_HOST: config.http.host,
    BRIDGE_PORT: config.http.port,
    BRIDGE_ADMIN_TOKEN: config.http.adminToken,
    BRIDGE_BODY_LIMIT: config.http.bodyLimit,
    BRIDGE_QUEUE_BATCH_SIZE: config.queue.batchSize,
    BRIDGE_QUEUE_MAX_ATTEMPTS: config.queue.maxAttempts,
    BRIDGE_QUEUE_RETRY_BASE_SECONDS: config.queue.retryBaseSeconds,
    BRIDGE_QUEUE_RETRY_MAX_SECONDS: config.queue.retryMaxSeconds,
    BRIDGE_QUEUE_POLL_INTERVAL_MS: config.queue.pollIntervalMs,
    BRIDGE_QUEUE_JOB_TIMEOUT_SECONDS: config.queue.jobTimeoutSeconds,
    BRIDGE_SYNC_LOG_RETENTION_DAYS: config.retention.syncLogDays,
    BRIDGE_DEAD_LETTER_RETENTION_DAYS: config.retention.deadLetterDays,
    BRIDGE_LEADER_LEASE_SECONDS: config.leaderLeaseSeconds,
    BRIDGE_SHUTDOWN_TIMEOUT_SECONDS: config.shutdownTimeoutSeconds,
    BRIDGE_INSTANCE_ID: config.instanceId,
    BRIDGE_LOG_LEVEL: config.logLevel,
    BRIDGE_METRICS_ENABLED: config.metrics.enabled,
    BRIDGE_PROCESS_METRICS: config.metrics.processMetrics,
  };
  return values[name];
}

export function describeConfig(config: BridgeConfig): ConfigEntry[] {
  return variables.map((spec) => {
    const value = effectiveValue(config, spec.name);
    const source = config.sources[spec.name] ?? 'default';
    let text: string;
    if (value === undefined || value === '') text = '(not set)';
    else if (spec.name === 'DATABASE_URL') text = redactUrl(String(value));
    else if (spec.name === 'BRIDGE_ADMIN_TOKEN' && config.mode === 'sandbox' && source === 'unset') {
      text = `${String(value)} (sandbox default)`;
    } else if (spec.secret) text = MASK;
    else text = String(value);
    return { variable: spec.name, value: text, source, description: spec.description };
  });
}

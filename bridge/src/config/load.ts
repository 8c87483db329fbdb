import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { BridgeError } from '../shared/errors.js';
import { registerSecret } from '../shared/redaction.js';
import {
  SANDBOX_ADMIN_TOKEN,
  SANDBOX_CALLBACK_PASSWORD,
  SANDBOX_CALLBACK_USERNAME,
  type BridgeConfig,
  type EventFilesLocation,
  type SalesforceAuth,
  type ValueSource,
} from './config.js';
import { credentialVariables, variables } from './variables.js';

export interface LoadConfigOptions {
  /** The environment to read; process.env by default. */
  env?: Record<string, string | undefined>;
  /** A .env file to read. When given explicitly it must exist; otherwise ./.env is read if present; false reads none. */
  envFile?: string | false;
  cwd?: string;
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

/**
 * Reads, validates and types the configuration. Every problem is collected (not just the first) and
 * reported in one BridgeError('CONFIG_INVALID') whose message names each variable and what it expects.
 * Secret values are registered for log redaction and never appear in a message.
 */
export function loadConfig(options: LoadConfigOptions = {}): BridgeConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const fileValues =
    options.envFile === false
      ? {}
      : readEnvFile(options.envFile ?? env.BRIDGE_ENV_FILE, cwd, options.envFile !== undefined);

  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};
  const sources: Record<string, ValueSource> = {};

  for (const spec of variables) {
    const fromEnv = nonEmpty(env[spec.name]);
    const fromFile = nonEmpty(fileValues[spec.name]);
    const raw = fromEnv ?? fromFile ?? spec.default;
    sources[spec.name] =
      fromEnv !== undefined
        ? 'environment'
        : fromFile !== undefined
          ? '.env file'
          : raw !== undefined
            ? 'default'
            : 'unset';
    if (spec.secret && raw !== undefined) registerSecret(raw);
    if (raw === undefined || (spec.default?.startsWith('<') && sources[spec.name] === 'default')) continue;
    const parsed = spec.parse.safeParse(raw);
    if (parsed.success) {
      values[spec.name] = parsed.data;
    } else {
      const message = parsed.error.issues[0]?.message ?? 'is invalid';
      problems.push({
        variable: spec.name,
        message: spec.secret ? message : `${message} (got ${JSON.stringify(raw)})`,
      });
    }
  }

  const str = (name: string) => values[name] as string | undefined;
  const num = (name: string) => values[name] as number;

  const credentialsSet = credentialVariables.filter((name) => str(name) !== undefined);
  const mode = credentialsSet.length === 0 ? 'sandbox' : 'live';

  const eventFiles = str('RESPONSYS_EVENT_FILES')
    ? parseEventFiles(str('RESPONSYS_EVENT_FILES')!, cwd, problems)
    : undefined;
  if (eventFiles?.kind === 'sftp' && eventFiles.password) registerSecret(eventFiles.password);
  registerUrlPassword(str('DATABASE_URL'));

  const auth = (str('SALESFORCE_AUTH') ?? 'jwt') as SalesforceAuth;
  if (mode === 'live') checkLiveRequirements(auth, str, cwd, problems);

  const adminToken = str('BRIDGE_ADMIN_TOKEN') ?? (mode === 'sandbox' ? SANDBOX_ADMIN_TOKEN : undefined);
  if (!adminToken && !problems.some((problem) => problem.variable === 'BRIDGE_ADMIN_TOKEN')) {
    problems.push({
      variable: 'BRIDGE_ADMIN_TOKEN',
      message:
        'is required outside sandbox mode (a random value of at least 16 characters protects the admin API)',
    });
  }

  const callbackUserSet = sources.RESPONSYS_CALLBACK_USERNAME !== 'unset';
  if (callbackUserSet !== (sources.RESPONSYS_CALLBACK_PASSWORD !== 'unset')) {
    problems.push({
      variable: callbackUserSet ? 'RESPONSYS_CALLBACK_PASSWORD' : 'RESPONSYS_CALLBACK_USERNAME',
      message: 'must be set together with the other callback credential',
    });
  }
  const keyFile = str('RESPONSYS_EVENT_FILES_PRIVATE_KEY_FILE');
  if (keyFile && !existsSync(resolve(cwd, keyFile))) {
    problems.push({
      variable: 'RESPONSYS_EVENT_FILES_PRIVATE_KEY_FILE',
      message: `must be a readable key file (${resolve(cwd, keyFile)} does not exist)`,
    });
  }

  if (num('BRIDGE_QUEUE_RETRY_MAX_SECONDS') < num('BRIDGE_QUEUE_RETRY_BASE_SECONDS')) {
    problems.push({
      variable: 'BRIDGE_QUEUE_RETRY_MAX_SECONDS',
      message: 'must not be smaller than BRIDGE_QUEUE_RETRY_BASE_SECONDS',
    });
  }

  if (problems.length > 0) {
    const why =
      mode === 'live'
        ? ` (live mode, because ${credentialsSet.join(', ')} ${credentialsSet.length === 1 ? 'is' : 'are'} set; ` +
          'leave every Salesforce and Responsys credential unset for sandbox mode)'
        : '';
    throw new BridgeError(
      'CONFIG_INVALID',
      `Invalid configuration${why}:\n${problems.map((problem) => `  - ${problem.variable} ${problem.message}`).join('\n')}`,
      { details: { mode, problems } },
    );
  }

  const dataDir = resolve(cwd, str('BRIDGE_DATA_DIR') ?? './data');
  return {
    mode,
    instanceId: str('BRIDGE_INSTANCE_ID') ?? `${hostname()}-${process.pid}`,
    salesforce: {
      loginUrl: str('SALESFORCE_LOGIN_URL'),
      auth,
      clientId: str('SALESFORCE_CLIENT_ID'),
      clientSecret: str('SALESFORCE_CLIENT_SECRET'),
      username: str('SALESFORCE_USERNAME'),
      password: str('SALESFORCE_PASSWORD'),
      privateKeyFile: str('SALESFORCE_PRIVATE_KEY_FILE') && resolve(cwd, str('SALESFORCE_PRIVATE_KEY_FILE')!),
      apiVersion: str('SALESFORCE_API_VERSION')!,
      bulkThreshold: num('SALESFORCE_BULK_THRESHOLD'),
      apiReservePercent: num('SALESFORCE_API_RESERVE_PERCENT'),
      streamStallSeconds: num('SALESFORCE_STREAM_STALL_SECONDS'),
      reconcileSchedule:
        str('SALESFORCE_RECONCILE_SCHEDULE') === 'off' ? undefined : str('SALESFORCE_RECONCILE_SCHEDULE'),
    },
    responsys: {
      loginUrl: str('RESPONSYS_LOGIN_URL'),
      username: str('RESPONSYS_USERNAME'),
      password: str('RESPONSYS_PASSWORD'),
      profileList: str('RESPONSYS_PROFILE_LIST'),
      profileListFolder: str('RESPONSYS_PROFILE_LIST_FOLDER'),
      eventFiles,
      tokenRefreshMinutes: num('RESPONSYS_TOKEN_REFRESH_MINUTES'),
      requestTimeoutSeconds: num('RESPONSYS_REQUEST_TIMEOUT_SECONDS'),
      maxAttempts: num('RESPONSYS_MAX_ATTEMPTS'),
      rateLimitPercent: num('RESPONSYS_RATE_LIMIT_PERCENT'),
      concurrency: num('RESPONSYS_CONCURRENCY'),
    },
    inbound: {
      eventFiles: {
        pollSeconds: num('RESPONSYS_EVENT_FILES_POLL_SECONDS'),
        afterRead:
          values.RESPONSYS_EVENT_FILES_AFTER_READ as BridgeConfig['inbound']['eventFiles']['afterRead'],
        readyMarkers: values.RESPONSYS_EVENT_FILES_READY_MARKERS as 'auto' | 'required' | 'off',
        settleSeconds: num('RESPONSYS_EVENT_FILES_SETTLE_SECONDS'),
        privateKeyFile:
          str('RESPONSYS_EVENT_FILES_PRIVATE_KEY_FILE') &&
          resolve(cwd, str('RESPONSYS_EVENT_FILES_PRIVATE_KEY_FILE')!),
        hostKey: str('RESPONSYS_EVENT_FILES_HOST_KEY'),
      },
      callbacks:
        mode === 'sandbox' && !str('RESPONSYS_CALLBACK_USERNAME') && !str('RESPONSYS_CALLBACK_PASSWORD')
          ? { username: SANDBOX_CALLBACK_USERNAME, password: SANDBOX_CALLBACK_PASSWORD }
          : { username: str('RESPONSYS_CALLBACK_USERNAME'), password: str('RESPONSYS_CALLBACK_PASSWORD') },
      optInSources: values.RESPONSYS_OPT_IN_SOURCES as string[],
      engagement: {
        opens: values.BRIDGE_ENGAGEMENT_OPENS as 'record' | 'count',
        scoreWeights: values.BRIDGE_ENGAGEMENT_SCORE_WEIGHTS as Record<string, number>,
        scoreHalfLifeDays: num('BRIDGE_ENGAGEMENT_SCORE_HALF_LIFE_DAYS'),
        retentionDays: num('BRIDGE_ENGAGEMENT_RETENTION_DAYS'),
        purgeSchedule:
          str('BRIDGE_ENGAGEMENT_PURGE_SCHEDULE') === 'off'
            ? undefined
            : str('BRIDGE_ENGAGEMENT_PURGE_SCHEDULE'),
        batchSize: num('BRIDGE_ENGAGEMENT_BATCH_SIZE'),
      },
      leadStatusOrder: values.BRIDGE_LEAD_STATUS_ORDER as string[] | undefined,
      optOutReconcileSchedule:
        str('BRIDGE_OPT_OUT_RECONCILE_SCHEDULE') === 'off'
          ? undefined
          : str('BRIDGE_OPT_OUT_RECONCILE_SCHEDULE'),
    },
    outbound: {
      campaignSegments: {
        target: str('BRIDGE_CAMPAIGN_SEGMENT_TARGET')!,
        statuses: values.BRIDGE_CAMPAIGN_SEGMENT_STATUSES as string[],
        leftMembers: values.BRIDGE_CAMPAIGN_SEGMENT_LEFT_MEMBERS as 'flag' | 'remove',
        schedule:
          str('BRIDGE_CAMPAIGN_SEGMENT_SCHEDULE') === 'off'
            ? undefined
            : str('BRIDGE_CAMPAIGN_SEGMENT_SCHEDULE'),
        campaignIds: (values.BRIDGE_CAMPAIGN_SEGMENT_CAMPAIGNS as string[] | undefined) ?? [],
      },
    },
    mapping: { refreshSeconds: num('BRIDGE_FIELD_MAP_REFRESH_SECONDS') },
    store: { databaseUrl: str('DATABASE_URL'), dataDir, poolSize: num('DATABASE_POOL_SIZE') },
    http: {
      host: str('BRIDGE_HOST')!,
      port: num('BRIDGE_PORT'),
      adminToken: adminToken!,
      bodyLimit: str('BRIDGE_BODY_LIMIT')!,
    },
    queue: {
      batchSize: num('BRIDGE_QUEUE_BATCH_SIZE'),
      maxAttempts: num('BRIDGE_QUEUE_MAX_ATTEMPTS'),
      retryBaseSeconds: num('BRIDGE_QUEUE_RETRY_BASE_SECONDS'),
      retryMaxSeconds: num('BRIDGE_QUEUE_RETRY_MAX_SECONDS'),
      pollIntervalMs: num('BRIDGE_QUEUE_POLL_INTERVAL_MS'),
      jobTimeoutSeconds: num('BRIDGE_QUEUE_JOB_TIMEOUT_SECONDS'),
    },
    retention: {
      syncLogDays: num('BRIDGE_SYNC_LOG_RETENTION_DAYS'),
      deadLetterDays: num('BRIDGE_DEAD_LETTER_RETENTION_DAYS'),
    },
    leaderLeaseSeconds: num('BRIDGE_LEADER_LEASE_SECONDS'),
    shutdownTimeoutSeconds: num('BRIDGE_SHUTDOWN_TIMEOUT_SECONDS'),
    logLevel: values.BRIDGE_LOG_LEVEL as BridgeConfig['logLevel'],
    metrics: {
      enabled: values.BRIDGE_METRICS_ENABLED as boolean,
      processMetrics: values.BRIDGE_PROCESS_METRICS as boolean,
    },
    sources,
  };
}

function registerUrlPassword(value: string | undefined): void {
  if (!value) return;
  try {
    registerSecret(decodeURIComponent(new URL(value).password));
  } catch {
    // an unparsable URL has already been reported as a problem
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function readEnvFile(path: string | undefined, cwd: string, explicit: boolean): Record<string, string> {
  const file = resolve(cwd, path ?? '.env');
  if (!existsSync(file)) {
    if (explicit || path !== undefined) {
      throw new BridgeError('CONFIG_INVALID', `Invalid configuration: the env file ${file} does not exist`);
    }
    return {};
  }
  return parseDotenv(readFileSync(file));
}

function checkLiveRequirements(
  auth: SalesforceAuth,
  str: (name: string) => string | undefined,
  cwd: string,
  problems: ConfigProblem[],
): void {
  const require = (name: string, why: string) => {
    if (str(name) === undefined && !problems.some((problem) => problem.variable === name)) {
      problems.push({ variable: name, message: `is required ${why}` });
    }
  };
  const live =
    'when credentials are configured (leave every Salesforce and Responsys credential unset for sandbox mode)';
  require('SALESFORCE_LOGIN_URL', live);
  require('SALESFORCE_CLIENT_ID', live);
  if (auth === 'jwt') {
    require('SALESFORCE_USERNAME', 'for SALESFORCE_AUTH=jwt (the JWT subject)');
    require('SALESFORCE_PRIVATE_KEY_FILE', 'for SALESFORCE_AUTH=jwt');
    const keyFile = str('SALESFORCE_PRIVATE_KEY_FILE');
    if (keyFile) checkPrivateKeyFile(resolve(cwd, keyFile), problems);
  } else if (auth === 'client_credentials') {
    require('SALESFORCE_CLIENT_SECRET', 'for SALESFORCE_AUTH=client_credentials');
  } else {
    require('SALESFORCE_CLIENT_SECRET', 'for SALESFORCE_AUTH=password');
    require('SALESFORCE_USERNAME', 'for SALESFORCE_AUTH=password');
    require('SALESFORCE_PASSWORD', 'for SALESFORCE_AUTH=password');
  }
  require('RESPONSYS_LOGIN_URL', live);
  require('RESPONSYS_USERNAME', live);
  require('RESPONSYS_PASSWORD', live);
  require('RESPONSYS_PROFILE_LIST', live);
  require('RESPONSYS_PROFILE_LIST_FOLDER', live);
}

function checkPrivateKeyFile(file: string, problems: ConfigProblem[]): void {
  try {
    accessSync(file, constants.R_OK);
    const head = readFileSync(file, 'utf8').slice(0, 4096);
    if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(head)) {
      problems.push({
        variable: 'SALESFORCE_PRIVATE_KEY_FILE',
        message: `is not a PEM private key file (${file})`,
      });
    }
  } catch {
    problems.push({ variable: 'SALESFORCE_PRIVATE_KEY_FILE', message: `must be a readable file (${file})` });
  }
}

function parseEventFiles(
  value: string,
  cwd: string,
  problems: ConfigProblem[],
): EventFilesLocation | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      problems.push({ variable: 'RESPONSYS_EVENT_FILES', message: 'is not a valid URL' });
      return undefined;
    }
    if (url.protocol !== 'sftp:' || !url.hostname || !url.username) {
      problems.push({
        variable: 'RESPONSYS_EVENT_FILES',
        message: 'must be sftp://user:password@host:port/path or a local directory',
      });
      return undefined;
    }
    return {
      kind: 'sftp',
      host: url.hostname,
      port: url.port ? Number(url.port) : 22,
      username: decodeURIComponent(url.username),
      password: url.password ? decodeURIComponent(url.password) : undefined,
      path: decodeURIComponent(url.pathname) || '/',
    };
  }
  const path = resolve(cwd, value);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    problems.push({
      variable: 'RESPONSYS_EVENT_FILES',
      message: `must be an existing directory (${path} is not)`,
    });
    return undefined;
  }
  return { kind: 'directory', path };
}

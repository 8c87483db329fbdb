import { z } from 'zod';

// Every configuration variable the bridge reads: its name (a contract, DESIGN.md section 6), its
// meaning, its default and whether it is secret. The loader, `check-config` and the operations guide
// all follow this one list (a test checks that the guide documents every variable).

export interface VariableSpec {
  name: string;
  description: string;
  /** The default as documented; absent when the variable has none. */
  default?: string;
  secret?: boolean;
  group: 'salesforce' | 'responsys' | 'store' | 'http' | 'queue' | 'operations' | 'flows';
  /** Parses the raw string (already trimmed and non-empty). Throws a message on bad input. */
  parse: z.ZodType;
}

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be a whole number from ${min} to ${max}` })
        .max(max, { error: `must be a whole number from ${min} to ${max}` }),
    );

const booleanFlag = z
  .string()
  .transform((value) => value.toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' }))
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const httpUrl = z
  .string()
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: 'must be an http(s) URL such as https://login.salesforce.com' },
  )
  .transform((value) => value.replace(/\/+$/, ''));

const postgresUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.pathname.length > 1;
    } catch {
      return false;
    }
  },
  { error: 'must be a PostgreSQL URL such as postgres://user:password@host:5432/database' },
);

/** Event_Type__c values of Responsys_Engagement__c (DESIGN.md section 3). */
const engagementEventTypes = [
  'Sent',
  'Opened',
  'Clicked',
  'Converted',
  'Bounced',
  'Skipped',
  'Failed',
  'Complained',
  'Opted_Out',
  'Opted_In',
];

const text = (max = 255) => z.string().max(max, { error: `must be at most ${max} characters` });

export const variables: VariableSpec[] = [
  {
    name: 'SALESFORCE_LOGIN_URL',
    group: 'salesforce',
    description:
      'OAuth host: https://login.salesforce.com, https://test.salesforce.com, My Domain or the emulator URL',
    parse: httpUrl,
  },
  {
    name: 'SALESFORCE_AUTH',
    group: 'salesforce',
    description: 'jwt (production), client_credentials, or password (development only)',
    default: 'jwt',
    parse: z.enum(['jwt', 'client_credentials', 'password'], {
      error: 'must be one of jwt, client_credentials, password',
    }),
  },
  {
    name: 'SALESFORCE_CLIENT_ID',
    group: 'salesforce',
    description: 'Connected app consumer key',
    parse: text(),
  },
  {
    name: 'SALESFORCE_CLIENT_SECRET',
    group: 'salesforce',
    description: 'Connected app consumer secret (client_credentials and password flows)',
    secret: true,
    parse: text(),
  },
  {
    name: 'SALESFORCE_USERNAME',
    group: 'salesforce',
    description: 'Integration user: JWT subject, or password-flow user',
    parse: text(),
  },
  {
    name: 'SALESFORCE_PASSWORD',
    group: 'salesforce',
    description:
      'Integration user password (password flow; append the security token if the org requires it)',
    secret: true,
    parse: text(),
  },
  {
    name: 'SALESFORCE_PRIVATE_KEY_FILE',
    group: 'salesforce',
    description: 'PEM private key file for the JWT bearer flow',
    parse: text(1024),
  },
  {
    name: 'SALESFORCE_API_VERSION',
    group: 'salesforce',
    description: 'Salesforce API version',
    default: '62.0',
    parse: z.string().regex(/^\d{2}\.0$/, { error: 'must look like 62.0' }),
  },
  {
    name: 'SALESFORCE_BULK_THRESHOLD',
    group: 'salesforce',
    description: 'Reads and writes of more records than this use Bulk API 2.0 instead of the REST API',
    default: '2000',
    parse: wholeNumber(200, 10_000_000),
  },
  {
    name: 'SALESFORCE_API_RESERVE_PERCENT',
    group: 'salesforce',
    description:
      'Share of the daily API allocation kept for people and other integrations: below it, non-urgent work pauses',
    default: '10',
    parse: wholeNumber(0, 90),
  },
  {
    name: 'SALESFORCE_STREAM_STALL_SECONDS',
    group: 'salesforce',
    description:
      'The Streaming API client is rebuilt when no /meta/connect answer arrived for this long (Salesforce answers every 110 s)',
    default: '180',
    parse: wholeNumber(5, 3600),
  },
  {
    name: 'SALESFORCE_RECONCILE_SCHEDULE',
    group: 'salesforce',
    description:
      'Cron schedule (UTC) of the SystemModstamp reconciliation that catches changes the stream missed; "off" disables it',
    default: '*/30 * * * *',
    parse: z
      .string()
      .regex(/^(off|(\S+\s+){4}\S+)$/, { error: 'must be a five-field cron expression or off' }),
  },
  {
    name: 'RESPONSYS_LOGIN_URL',
    group: 'responsys',
    description: 'Responsys login host (pod or global routing URL) or the emulator URL',
    parse: httpUrl,
  },
  {
    name: 'RESPONSYS_USERNAME',
    group: 'responsys',
    description: 'Responsys API user',
    parse: text(),
  },
  {
    name: 'RESPONSYS_PASSWORD',
    group: 'responsys',
    description: 'Responsys API user password',
    secret: true,
    parse: text(),
  },
  {
    name: 'RESPONSYS_PROFILE_LIST',
    group: 'responsys',
    description: 'The profile list the bridge merges into',
    parse: text(),
  },
  {
    name: 'RESPONSYS_PROFILE_LIST_FOLDER',
    group: 'responsys',
    description: 'Folder of that profile list',
    parse: text(),
  },
  {
    name: 'RESPONSYS_EVENT_FILES',
    group: 'responsys',
    description:
      'Where Contact Event Data export files are read: sftp://user:pass@host:port/path or a local directory',
    parse: text(2048),
  },
  {
    name: 'RESPONSYS_EVENT_FILES_POLL_SECONDS',
    group: 'responsys',
    description: 'How often the export folder is checked for new files',
    default: '60',
    parse: wholeNumber(1, 86_400),
  },
  {
    name: 'RESPONSYS_EVENT_FILES_AFTER_READ',
    group: 'responsys',
    description: 'What happens to a file read completely: move (to processed/), keep, or delete',
    default: 'move',
    parse: z.enum(['move', 'keep', 'delete'], { error: 'must be one of move, keep, delete' }),
  },
  {
    name: 'RESPONSYS_EVENT_FILES_READY_MARKERS',
    group: 'responsys',
    description:
      'auto: read a file once its .ready marker exists when the folder uses markers, else once it settled; required; off',
    default: 'auto',
    parse: z.enum(['auto', 'required', 'off'], { error: 'must be one of auto, required, off' }),
  },
  {
    name: 'RESPONSYS_EVENT_FILES_SETTLE_SECONDS',
    group: 'responsys',
    description: 'Without .ready markers, a file is read once it has not changed for this long',
    default: '10',
    parse: wholeNumber(0, 3_600),
  },
  {
    name: 'RESPONSYS_EVENT_FILES_PRIVATE_KEY_FILE',
    group: 'responsys',
    description: 'SSH private key for SFTP key authentication (Responsys-hosted SFTP uses keys)',
    parse: text(1024),
  },
  {
    name: 'RESPONSYS_EVENT_FILES_HOST_KEY',
    group: 'responsys',
    description:
      "The SFTP server's host key fingerprint (SHA256:...); a server presenting another key is refused",
    parse: z.string().regex(/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/, {
      error: 'must be a SHA256 fingerprint as ssh-keygen -lf prints it (SHA256:...)',
    }),
  },
  {
    name: 'RESPONSYS_CALLBACK_USERNAME',
    group: 'responsys',
    description:
      'HTTP Basic user Responsys Event Notification callbacks must present (sandbox: responsys-callback)',
    parse: text(100),
  },
  {
    name: 'RESPONSYS_CALLBACK_PASSWORD',
    group: 'responsys',
    description:
      'HTTP Basic password of the callbacks, at least 16 characters (sandbox: sandbox-callback-password)',
    secret: true,
    parse: z.string().min(16, { error: 'must be at least 16 characters' }).max(200),
  },
  {
    name: 'RESPONSYS_OPT_IN_SOURCES',
    group: 'responsys',
    description:
      'SOURCE values of Contact Event Data OPT_IN rows that show the person opted in themselves (comma-separated)',
    default: 'FORM,LINK',
    parse: z
      .string()
      .regex(/^\s*[A-Za-z0-9_ -]+(\s*,\s*[A-Za-z0-9_ -]+)*\s*$/, {
        error: 'must be a comma-separated list of SOURCE values',
      })
      .transform((value) => value.split(',').map((item) => item.trim().toUpperCase())),
  },
  {
    name: 'RESPONSYS_TOKEN_REFRESH_MINUTES',
    group: 'responsys',
    description:
      'Refresh the Responsys token once it is this old (its lifetime is 2-3 hours, unconfirmed; keep a margin)',
    default: '90',
    parse: wholeNumber(5, 170),
  },
  {
    name: 'RESPONSYS_REQUEST_TIMEOUT_SECONDS',
    group: 'responsys',
    description: 'How long one Responsys call may take before it counts as failed',
    default: '30',
    parse: wholeNumber(1, 600),
  },
  {
    name: 'RESPONSYS_MAX_ATTEMPTS',
    group: 'responsys',
    description: 'Attempts of one Responsys call after 5xx answers, timeouts or dropped connections',
    default: '4',
    parse: wholeNumber(1, 10),
  },
  {
    name: 'RESPONSYS_RATE_LIMIT_PERCENT',
    group: 'responsys',
    description:
      "Share of each per-function Responsys rate limit this process uses (lower it when other processes share the account's limits)",
    default: '100',
    parse: wholeNumber(1, 100),
  },
  {
    name: 'RESPONSYS_CONCURRENCY',
    group: 'responsys',
    description: 'Responsys calls (of up to 200 records each) one batch operation sends at once',
    default: '4',
    parse: wholeNumber(1, 16),
  },
  {
    name: 'BRIDGE_FIELD_MAP_REFRESH_SECONDS',
    group: 'salesforce',
    description: 'How often the field mappings (Responsys_Field_Map__mdt) are read again from Salesforce',
    default: '300',
    parse: wholeNumber(10, 86_400),
  },
  {
    name: 'DATABASE_URL',
    group: 'store',
    description: 'PostgreSQL server; when unset, the embedded store in BRIDGE_DATA_DIR is used',
    secret: true,
    parse: postgresUrl,
  },
  {
    name: 'DATABASE_POOL_SIZE',
    group: 'store',
    description: 'Connections this process opens to the PostgreSQL server',
    default: '10',
    parse: wholeNumber(2, 200),
  },
  {
    name: 'BRIDGE_DATA_DIR',
    group: 'store',
    description: 'Directory of the embedded store (used when DATABASE_URL is unset)',
    default: './data',
    parse: text(1024),
  },
  {
    name: 'BRIDGE_HOST',
    group: 'http',
    description: 'Interface the HTTP server listens on',
    default: '0.0.0.0',
    parse: text(),
  },
  {
    name: 'BRIDGE_PORT',
    group: 'http',
    description: 'HTTP port (0 picks a free port)',
    default: '3000',
    parse: wholeNumber(0, 65535),
  },
  {
    name: 'BRIDGE_ADMIN_TOKEN',
    group: 'http',
    description: 'Bearer token for the admin API (required outside sandbox mode, at least 16 characters)',
    secret: true,
    parse: z
      .string()
      .min(16, { error: 'must be at least 16 characters (use a long random value)' })
      .max(4096),
  },
  {
    name: 'BRIDGE_BODY_LIMIT',
    group: 'http',
    description: 'Largest accepted request body (webhooks, admin API), e.g. 1mb or 512kb',
    default: '1mb',
    parse: z.string().regex(/^\d+(b|kb|mb)$/i, { error: 'must be a size such as 512kb or 1mb' }),
  },
  {
    name: 'BRIDGE_QUEUE_BATCH_SIZE',
    group: 'queue',
    description: 'Records a worker takes per batch (both APIs accept at most 200 per call)',
    default: '200',
    parse: wholeNumber(1, 200),
  },
  {
    name: 'BRIDGE_QUEUE_MAX_ATTEMPTS',
    group: 'queue',
    description: 'Attempts per record before it becomes a dead letter',
    default: '8',
    parse: wholeNumber(1, 100),
  },
  {
    name: 'BRIDGE_QUEUE_RETRY_BASE_SECONDS',
    group: 'queue',
    description: 'First retry delay; each further attempt doubles it (with jitter)',
    default: '5',
    parse: wholeNumber(1, 3600),
  },
  {
    name: 'BRIDGE_QUEUE_RETRY_MAX_SECONDS',
    group: 'queue',
    description: 'Longest delay between two attempts',
    default: '3600',
    parse: wholeNumber(1, 86_400),
  },
  {
    name: 'BRIDGE_QUEUE_POLL_INTERVAL_MS',
    group: 'queue',
    description: 'How often an idle worker looks for new jobs (minimum 500)',
    default: '1000',
    parse: wholeNumber(500, 60_000),
  },
  {
    name: 'BRIDGE_QUEUE_JOB_TIMEOUT_SECONDS',
    group: 'queue',
    description: 'A batch still running after this long is considered lost and its records are retried',
    default: '900',
    parse: wholeNumber(30, 86_000),
  },
  {
    name: 'BRIDGE_SYNC_LOG_RETENTION_DAYS',
    group: 'operations',
    description: 'Days the per-record sync log is kept',
    default: '30',
    parse: wholeNumber(1, 3650),
  },
  {
    name: 'BRIDGE_DEAD_LETTER_RETENTION_DAYS',
    group: 'operations',
    description:
      'Days a dead letter is kept after it was retried or discarded (open ones are kept until handled)',
    default: '90',
    parse: wholeNumber(1, 3650),
  },
  {
    name: 'BRIDGE_LEADER_LEASE_SECONDS',
    group: 'operations',
    description:
      'Lease of the Streaming API subscription lock; another process takes over this long after its holder dies',
    default: '30',
    parse: wholeNumber(2, 600),
  },
  {
    name: 'BRIDGE_SHUTDOWN_TIMEOUT_SECONDS',
    group: 'operations',
    description: 'On SIGTERM, how long in-flight batches may finish before their records return to the queue',
    default: '25',
    parse: wholeNumber(1, 600),
  },
  {
    name: 'BRIDGE_INSTANCE_ID',
    group: 'operations',
    description: 'Name of this process in leases, logs and the status API',
    default: '<hostname>-<pid>',
    parse: z.string().regex(/^[\w.:@-]{1,100}$/, { error: 'must be 1-100 letters, digits or . _ - : @' }),
  },
  {
    name: 'BRIDGE_LOG_LEVEL',
    group: 'operations',
    description: 'fatal, error, warn, info, debug, trace or silent',
    default: 'info',
    parse: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
  },
  {
    name: 'BRIDGE_METRICS_ENABLED',
    group: 'operations',
    description: 'Serve Prometheus metrics on /metrics',
    default: 'true',
    parse: booleanFlag,
  },
  {
    name: 'BRIDGE_PROCESS_METRICS',
    group: 'operations',
    description: 'Include Node process metrics (CPU, memory, event loop) in /metrics',
    default: 'true',
    parse: booleanFlag,
  },
  {
    name: 'BRIDGE_ENGAGEMENT_OPENS',
    group: 'flows',
    description:
      'record: every open becomes an engagement record; count: opens only update the summary fields',
    default: 'record',
    parse: z.enum(['record', 'count'], { error: 'must be record or count' }),
  },
  {
    name: 'BRIDGE_ENGAGEMENT_SCORE_WEIGHTS',
    group: 'flows',
    description:
      'Points per event type for the engagement score (Type=points, comma-separated; unlisted types count 0)',
    default: 'Opened=1,Clicked=5,Converted=20,Complained=-10,Opted_Out=-10',
    parse: z.string().transform((value, ctx) => {
      const weights: Record<string, number> = {};
      for (const part of value.split(',')) {
        const match = /^\s*([A-Za-z_]+)\s*=\s*(-?\d+(?:\.\d+)?)\s*$/.exec(part);
        if (!match || !engagementEventTypes.includes(match[1]!)) {
          ctx.addIssue({
            code: 'custom',
            message: `must be Type=points pairs with types among ${engagementEventTypes.join(', ')}`,
          });
          return z.NEVER;
        }
        weights[match[1]!] = Number(match[2]);
      }
      return weights;
    }),
  },
  {
    name: 'BRIDGE_ENGAGEMENT_SCORE_HALF_LIFE_DAYS',
    group: 'flows',
    description: 'Days after which an event counts half in the engagement score (0: points never decay)',
    default: '30',
    parse: wholeNumber(0, 3_650),
  },
  {
    name: 'BRIDGE_ENGAGEMENT_RETENTION_DAYS',
    group: 'flows',
    description: 'Engagement records older than this are purged by the scheduled purge (0: kept forever)',
    default: '730',
    parse: wholeNumber(0, 36_500),
  },
  {
    name: 'BRIDGE_ENGAGEMENT_PURGE_SCHEDULE',
    group: 'flows',
    description: 'Cron schedule (UTC) of the engagement retention purge; "off" disables it',
    default: '30 2 * * *',
    parse: z
      .string()
      .regex(/^(off|(\S+\s+){4}\S+)$/, { error: 'must be a five-field cron expression or off' }),
  },
  {
    name: 'BRIDGE_ENGAGEMENT_BATCH_SIZE',
    group: 'flows',
    description:
      'Engagement events written to Salesforce per batch (one upsert and one summary update per batch; Bulk API 2.0 above SALESFORCE_BULK_THRESHOLD)',
    default: '10000',
    parse: wholeNumber(1, 100_000),
  },
  {
    name: 'BRIDGE_LEAD_STATUS_ORDER',
    group: 'flows',
    description:
      'Lead statuses from least to most advanced (comma-separated); a status rule never moves a Lead backwards (default: the Lead Status picklist order)',
    parse: z
      .string()
      .max(4000)
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      ),
  },
  {
    name: 'BRIDGE_OPT_OUT_RECONCILE_SCHEDULE',
    group: 'flows',
    description:
      'Cron schedule (UTC) of the opt-out reconciliation between Salesforce and Responsys; "off" disables it',
    default: '0 3 * * *',
    parse: z
      .string()
      .regex(/^(off|(\S+\s+){4}\S+)$/, { error: 'must be a five-field cron expression or off' }),
  },
  {
    name: 'BRIDGE_CAMPAIGN_SEGMENT_TARGET',
    group: 'flows',
    description:
      'Where campaign members go (F6): <folder>/<supplemental table>, or pet:<profile extension table> (one row per person)',
    default: 'SF_Sync/SF_CAMPAIGN_MEMBERS',
    parse: z.string().regex(/^(pet:[A-Za-z][A-Za-z0-9_]*|[^/\s]+\/[A-Za-z][A-Za-z0-9_]*)$/i, {
      error: 'must be <folder>/<supplemental table> (e.g. SF_Sync/SF_CAMPAIGN_MEMBERS) or pet:<table>',
    }),
  },
  {
    name: 'BRIDGE_CAMPAIGN_SEGMENT_STATUSES',
    group: 'flows',
    description:
      'Campaign member statuses that belong in the segment (comma-separated); @responded stands for every status the campaign counts as responded',
    default: '@responded,Sent',
    parse: z
      .string()
      .max(2000)
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string()).min(1, { error: 'must name at least one member status or @responded' })),
  },
  {
    name: 'BRIDGE_CAMPAIGN_SEGMENT_LEFT_MEMBERS',
    group: 'flows',
    description:
      'Members who left a campaign (or its selected statuses): flag (IS_ACTIVE = F) or remove (delete the row; supplemental tables only)',
    default: 'flag',
    parse: z.enum(['flag', 'remove'], { error: 'must be flag or remove' }),
  },
  {
    name: 'BRIDGE_CAMPAIGN_SEGMENT_SCHEDULE',
    group: 'flows',
    description:
      'Cron schedule (UTC) that syncs every campaign synced before (and those of BRIDGE_CAMPAIGN_SEGMENT_CAMPAIGNS) again; "off" disables it',
    default: '*/15 * * * *',
    parse: z
      .string()
      .regex(/^(off|(\S+\s+){4}\S+)$/, { error: 'must be a five-field cron expression or off' }),
  },
  {
    name: 'BRIDGE_CAMPAIGN_SEGMENT_CAMPAIGNS',
    group: 'flows',
    description:
      'Campaign ids the schedule always syncs, besides those synced on demand before (comma-separated)',
    parse: z
      .string()
      .max(20_000)
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z
            .string()
            .regex(/^701[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$/, { error: 'must list Campaign ids (701...)' }),
        ),
      ),
  },
];

export type VariableName = (typeof variables)[number]['name'];

/** Credentials whose presence switches the bridge from sandbox mode to live mode. */
export const credentialVariables = [
  'SALESFORCE_CLIENT_ID',
  'SALESFORCE_CLIENT_SECRET',
  'SALESFORCE_USERNAME',
  'SALESFORCE_PASSWORD',
  'SALESFORCE_PRIVATE_KEY_FILE',
  'RESPONSYS_USERNAME',
  'RESPONSYS_PASSWORD',
] as const;

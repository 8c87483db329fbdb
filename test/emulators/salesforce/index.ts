import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import { DEFAULT_USERS, type UserSeed } from './auth/directory.js';
import { BulkJobs } from './bulk/jobs.js';
import { convertLead, type LeadConvertRequest, type LeadConvertResult } from './data/lead-convert.js';
import type { AfterCommitListener, WriteContext } from './data/write-pipeline.js';
import { createApp } from './http/app.js';
import { ADMIN_USER, defaultConnectedApp, SalesforceOrg, type ConnectedApp } from './org.js';
import type { FieldValue } from './schema/types.js';
import { streamingControlRouter } from './streaming/control-routes.js';
import { startStreamingApi, type StreamingApi, type StreamingOptions } from './streaming/index.js';
import { installPackageTriggers, type PackageTriggers } from './triggers/package-triggers.js';

// The Salesforce emulator, in-process (tests start it on port 0) or standalone (test/emulators/main.ts).
// See docs/emulators-salesforce.md for what it covers, its users and credentials, and the control API.

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');

export const JWT_FIXTURE_DIR = join(repoRoot, 'test/fixtures/salesforce-jwt');
export const JWT_PRIVATE_KEY_FILE = join(JWT_FIXTURE_DIR, 'server.key');
export const JWT_CERTIFICATE_FILE = join(JWT_FIXTURE_DIR, 'server.crt');

export { signJwtAssertion } from './auth/sign-jwt.js';
export type { CommittedTransaction, ActingUser, AfterCommitListener } from './data/write-pipeline.js';
export type { RecordChange } from './data/store.js';
export type { PublishedPlatformEvent } from './data/platform-events.js';
export type { SalesforceOrg } from './org.js';
export type { StreamingApi, StreamingOptions, StreamingState } from './streaming/index.js';
export type { PackageTriggers } from './triggers/package-triggers.js';

export interface SalesforceEmulatorOptions {
  /** Default 0 (tests); the standalone launcher uses 4010. */
  port?: number;
  host?: string;
  /** The package whose metadata the org serves; default `<repo>/force-app`. */
  forceAppDir?: string;
  /** Accounts, contacts, leads, opportunities with contact roles, campaigns with members. */
  demoData?: boolean;
  /** Added to every API answer (benchmarks). */
  latencyMs?: number;
  /** Seeds record ids, demo data and rate-based faults. */
  seed?: number;
  /** DailyApiRequests allocation (default 100,000). */
  dailyApiLimit?: number;
  /** Streaming API retention window, default 72 h (high-volume platform events). */
  eventRetentionMs?: number;
  /** Streaming API timing: long-poll hold (default 110 s; keep it short in tests) and reconnect grace. */
  streaming?: StreamingOptions;
  /**
   * Model the package's Apex triggers (stamp Lead/Contact on save, publish Responsys_Sync__e after
   * commit); default true when the package defines the event.
   */
  packageTriggers?: boolean;
  /** Session inactivity timeout, default 2 h (Salesforce's default). */
  sessionTimeoutMs?: number;
  connectedApp?: Partial<ConnectedApp>;
  /** Users besides the org admin; default bridge@example.com and rep@example.com. */
  users?: UserSeed[];
  orgName?: string;
}

export interface WriteAs {
  /** Acting user (username); default the sales rep, rep@example.com. */
  asUser?: string;
}

export interface SalesforceEmulator {
  /** Login URL and instance URL. */
  url: string;
  close(): Promise<void>;
  /** The org behind the API: schema catalog, store, write pipeline, sessions, limits, clock, faults. */
  org: SalesforceOrg;
  server: Server;
  /** Express router mounted before the REST API, for extensions (the CometD endpoint). */
  extensions: Router;
  eventRetentionMs: number;
  /** The Streaming API (`/cometd/<version>`): state, retained events and forced failures. */
  streaming: StreamingApi;
  /** The model of the package's triggers, unless switched off. */
  triggers: PackageTriggers | undefined;
  credentials: {
    loginUrl: string;
    clientId: string;
    clientSecret: string;
    privateKeyFile: string;
    users: Array<{ username: string; password: string; role: string }>;
  };
  /** Back to the seeded state (sessions stay valid unless clearSessions). */
  reset(options?: { demoData?: boolean; seed?: number; clearSessions?: boolean }): void;
  /** Called after every committed transaction with its changes and acting user. */
  onAfterCommit(listener: AfterCommitListener): () => void;
  /** SOQL without spending API calls; records in the REST JSON shape. */
  query<T = Record<string, unknown>>(soql: string, options?: { includeDeleted?: boolean }): T[];
  insert(object: string, records: Array<Record<string, FieldValue>>, options?: WriteAs): string[];
  update(records: Array<{ Id: string } & Record<string, FieldValue>>, options?: WriteAs): void;
  delete(ids: string[], options?: WriteAs): void;
  convertLead(leadId: string, options?: Omit<LeadConvertRequest, 'leadId'> & WriteAs): LeadConvertResult;
  /** Expires every session, or one user's; the next API call answers 401 INVALID_SESSION_ID. */
  expireSessions(username?: string): number;
  apiUsage(): { used: number; max: number; byKind: Record<string, number> };
  /** Resolves when background Bulk API jobs have finished. */
  bulkIdle(): Promise<void>;
}

export async function startSalesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): Promise<SalesforceEmulator> {
  const connectedApp = { ...defaultConnectedApp(JWT_CERTIFICATE_FILE), ...options.connectedApp };
  const org = new SalesforceOrg({
    forceAppDir: options.forceAppDir ?? join(repoRoot, 'force-app'),
    seed: options.seed ?? 1,
    demoData: options.demoData ?? false,
    dailyApiLimit: options.dailyApiLimit ?? 100_000,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 2 * 60 * 60 * 1000,
    connectedApp,
    users: options.users ?? DEFAULT_USERS,
    orgName: options.orgName ?? 'Responsys Bridge Emulated Org',
  });
  org.bulk = new BulkJobs(org);
  const { app, extensions } = createApp(org, { latencyMs: options.latencyMs ?? 0 });
  const eventRetentionMs = options.eventRetentionMs ?? 72 * 60 * 60 * 1000;
  const streaming = startStreamingApi(org, extensions, { ...options.streaming, eventRetentionMs });
  extensions.use('/__control/streaming', express.json(), streamingControlRouter(streaming));
  const triggers = options.packageTriggers === false ? undefined : installPackageTriggers(org);
  const server = createServer(app);
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  org.url = `http://${host}:${address.port}`;
  org.seed();

  const context = (asUser?: string): WriteContext => {
    const username = asUser ?? org.options.users[1]?.username ?? ADMIN_USER.username;
    const user = org.directory.findByUsername(username);
    if (!user) throw new Error(`no user ${username} in the emulated org`);
    return { user: { id: user.id, username: user.username }, api: 'control', client: null };
  };
  const orThrow = <T>(outcome: { ok: true; value: T } | { ok: false; error: Error }): T => {
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };

  const emulator: SalesforceEmulator = {
    url: org.url,
    org,
    server,
    extensions,
    eventRetentionMs,
    streaming,
    triggers,
    credentials: {
      loginUrl: org.url,
      clientId: connectedApp.clientId,
      clientSecret: connectedApp.clientSecret,
      privateKeyFile: JWT_PRIVATE_KEY_FILE,
      users: [
        ...org.options.users.map((u) => ({
          username: u.username,
          password: u.password,
          role: u.permissionSets.join(', ') || u.profile,
        })),
        { username: ADMIN_USER.username, password: ADMIN_USER.password, role: ADMIN_USER.profile },
      ],
    },
    async close() {
      await org.bulk.idle();
      triggers?.uninstall();
      streaming.close();
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    },
    reset: (resetOptions) => org.reset(resetOptions),
    onAfterCommit: (listener) => org.pipeline.onAfterCommit(listener),
    query<T>(soql: string, queryOptions: { includeDeleted?: boolean } = {}): T[] {
      const result = org.queries.query(soql, {
        includeDeleted: queryOptions.includeDeleted ?? false,
        userId: org.adminUserId,
      });
      if (result.kind === 'count') return [{ expr0: result.totalSize } as T];
      return result.rows.map((row) => result.toRest(row, '62.0') as T);
    },
    insert: (object, records, writeAs = {}) =>
      org.pipeline.run(context(writeAs.asUser), (unit) =>
        records.map((values) => orThrow(unit.attempt(() => unit.insert(object, values))).Id as string),
      ),
    update: (records, writeAs = {}) =>
      org.pipeline.run(context(writeAs.asUser), (unit) => {
        for (const { Id, ...values } of records)
          orThrow(unit.attempt(() => unit.update(undefined, Id, values)));
      }),
    delete: (ids, writeAs = {}) =>
      org.pipeline.run(context(writeAs.asUser), (unit) => {
        for (const id of ids) orThrow(unit.attempt(() => unit.delete(id)));
      }),
    convertLead: (leadId, { asUser, ...request } = {}) =>
      org.pipeline.run(context(asUser), (unit) =>
        convertLead(unit, { ...request, leadId }, org.clock.iso().slice(0, 10)),
      ),
    expireSessions: (username) => org.sessions.expire(username ? { username } : {}),
    apiUsage: () => ({
      used: org.limits.used('DailyApiRequests'),
      max: org.limits.max('DailyApiRequests'),
      byKind: org.limits.apiCallsByKind(),
    }),
    bulkIdle: () => org.bulk.idle(),
  };
  return emulator;
}

/** What a person running the emulators locally needs to know: URL, users, connected app, JWT key. */
export function describeSalesforceEmulatorForHumans(emulator: SalesforceEmulator): string {
  const { credentials } = emulator;
  return [
    `Salesforce emulator: ${emulator.url} (login URL and instance URL, REST API v31.0-v66.0)`,
    ...credentials.users.map((u) => `  user ${u.username} / password ${u.password} (${u.role})`),
    `  connected app: client id ${credentials.clientId}, client secret ${credentials.clientSecret}`,
    `  JWT bearer: sign with ${credentials.privateKeyFile} (TEST-ONLY key); aud ${credentials.loginUrl} or https://login.salesforce.com`,
    `  Streaming API: ${emulator.url}/cometd/62.0 (CometD long-polling, replay; channel /event/Responsys_Sync__e)`,
    `  control API: ${emulator.url}/__control/state (reset, faults, sessions/expire, clock, leads/:id/convert, records, query, streaming)`,
  ].join('\n');
}

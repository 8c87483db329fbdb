import { readFileSync } from 'node:fs';
import { FaultPlan } from '../shared/faults.js';
import { seededRandom, type Random } from '../shared/random.js';
import { DEFAULT_USERS, UserDirectory, type UserSeed } from './auth/directory.js';
import { SessionStore } from './auth/sessions.js';
import { EmulatorClock } from './clock.js';
import { seedDemoData } from './demo-data.js';
import { PlatformEventBus } from './data/platform-events.js';
import { DataStore } from './data/store.js';
import { WritePipeline, type WriteContext } from './data/write-pipeline.js';
import { OrgLimits } from './limits.js';
import { SchemaCatalog } from './schema/catalog.js';
import { IdFactory } from './schema/ids.js';
import { QueryCursors } from './soql/cursors.js';
import { QueryEngine } from './soql/query-engine.js';
import type { BulkJobs } from './bulk/jobs.js';
import type { RecordError } from './errors.js';

// One emulated org: schema, data, users, sessions, limits, faults and the clock. The HTTP layer and
// the in-process handle both work on this object; `reset()` brings it back to its seeded state.

export interface ConnectedApp {
  clientId: string;
  clientSecret: string;
  /** PEM certificate the JWT bearer flow verifies signatures against. */
  certificatePem: string;
  /** The client credentials flow's "Run As" user, or null when the app has none. */
  runAsUsername: string | null;
}

export interface OrgOptions {
  forceAppDir: string;
  seed: number;
  demoData: boolean;
  dailyApiLimit: number;
  sessionTimeoutMs: number;
  connectedApp: ConnectedApp;
  users: UserSeed[];
  orgName: string;
}

export const ADMIN_USER: UserSeed = {
  username: 'admin@example.com',
  password: 'password',
  firstName: 'Org',
  lastName: 'Admin',
  alias: 'oadmin',
  profile: 'System Administrator',
  permissionSets: [],
};

export function defaultConnectedApp(certificatePath: string): ConnectedApp {
  return {
    clientId: 'local-client-id',
    clientSecret: 'local-client-secret',
    certificatePem: readFileSync(certificatePath, 'utf8'),
    runAsUsername: DEFAULT_USERS[0]!.username,
  };
}

export class SalesforceOrg {
  readonly clock = new EmulatorClock();
  readonly catalog: SchemaCatalog;
  readonly store: DataStore;
  /** Record ids: deterministic for a seed, so a reset org has the same ids again. */
  readonly ids = new IdFactory();
  /** Ids of non-records (query locators, jobs), kept apart so they never shift record ids. */
  readonly auxIds = new IdFactory('5g', 0x1000);
  readonly events = new PlatformEventBus();
  readonly pipeline: WritePipeline;
  readonly directory: UserDirectory;
  readonly sessions: SessionStore;
  readonly queries: QueryEngine;
  readonly cursors: QueryCursors;
  readonly limits: OrgLimits;
  readonly faults: FaultPlan;
  bulk!: BulkJobs;
  private recordFaultRandom: Random;
  private readonly resetListeners = new Set<() => void>();
  orgId = '';
  adminUserId = '';
  /** Login and instance URL, known once the server listens. */
  url = '';

  constructor(readonly options: OrgOptions) {
    this.catalog = SchemaCatalog.fromForceApp(options.forceAppDir);
    this.store = new DataStore(this.catalog);
    this.directory = new UserDirectory(this.store, this.catalog.packageMetadata);
    this.pipeline = new WritePipeline({
      catalog: this.catalog,
      store: this.store,
      clock: this.clock,
      ids: this.ids,
      events: this.events,
      permissionsOf: (userId) => this.directory.permissionsOf(userId),
    });
    this.sessions = new SessionStore(this.clock, () => this.orgId, options.sessionTimeoutMs);
    this.queries = new QueryEngine(this.catalog, this.store, this.clock);
    this.cursors = new QueryCursors(this.clock, this.auxIds);
    this.limits = new OrgLimits(this.clock, { DailyApiRequests: options.dailyApiLimit });
    this.faults = new FaultPlan(options.seed);
    this.recordFaultRandom = seededRandom(options.seed + 1);
    // Every publish counts, whether through the API or from the package's triggers.
    this.events.subscribe(() => this.limits.consume('HourlyPublishedPlatformEvents'));
  }

  /** Seeds users, custom metadata records and (optionally) demo data into an empty org. */
  seed(demoData = this.options.demoData): void {
    this.orgId = this.ids.next('00D');
    this.adminUserId = this.ids.next('005');
    const system: WriteContext = {
      user: { id: this.adminUserId, username: ADMIN_USER.username },
      api: 'seed',
      client: null,
    };
    this.pipeline.run(system, (unit) => {
      this.directory.seed(unit, { id: this.orgId, name: this.options.orgName }, [
        { ...ADMIN_USER, id: this.adminUserId },
        ...this.options.users,
      ]);
      for (const record of this.catalog.packageMetadata.customMetadataRecords) {
        if (!this.catalog.object(record.type)) continue;
        unit.insert(
          record.type,
          {
            DeveloperName: record.developerName,
            MasterLabel: record.label,
            Label: record.label,
            QualifiedApiName: record.developerName,
            Language: 'en_US',
            NamespacePrefix: null,
            SystemModstamp: this.clock.iso(),
            ...record.values,
          },
          { trusted: true },
        );
      }
    });
    if (demoData) {
      const rep = this.directory.findByUsername(this.options.users[1]?.username ?? '');
      this.pipeline.run(system, (unit) =>
        seedDemoData(unit, seededRandom(this.options.seed), {
          ownerIds: [rep?.id ?? this.adminUserId, this.adminUserId],
          today: this.clock.iso().slice(0, 10),
        }),
      );
    }
  }

  /** Back to the seeded state: data, ids, limits, faults, cursors, jobs and the clock. */
  reset(options: { demoData?: boolean; seed?: number; clearSessions?: boolean } = {}): void {
    this.store.clear();
    this.pipeline.reset();
    this.ids.reset();
    this.auxIds.reset();
    this.limits.reset();
    this.faults.clear(options.seed ?? this.options.seed);
    this.recordFaultRandom = seededRandom((options.seed ?? this.options.seed) + 1);
    this.cursors.clear();
    this.bulk?.clear();
    this.clock.reset();
    if (options.clearSessions) this.sessions.clear();
    this.seed(options.demoData ?? this.options.demoData);
    for (const listener of this.resetListeners) listener();
  }

  /** Called after every reset (the Streaming API forgets its retained events). */
  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** A record-level fault (lock error) drawn at `rate`, as injected by the fault plan. */
  recordFault(fault: RecordError, rate: number): () => RecordError | undefined {
    return () => (this.recordFaultRandom() < rate ? fault : undefined);
  }

  /** Live records in every table (the data storage figure of /limits). */
  recordCount(): number {
    return this.store.allTables().reduce((n, t) => n + t.liveCount, 0);
  }
}

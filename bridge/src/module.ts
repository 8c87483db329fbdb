import type { Command } from 'commander';
import type { BridgeConfig } from './config/config.js';
import type { ReadinessRegistry } from './http/readiness.js';
import type { RouteRegistry } from './http/route-registry.js';
import type { Leadership, LeadershipCallbacks } from './queue/leadership.js';
import type { WorkQueue } from './queue/work-queue.js';
import type { Clock } from './shared/clock.js';
import { BridgeError } from './shared/errors.js';
import type { Logger } from './shared/logger.js';
import type { BridgeMetrics } from './shared/metrics.js';
import type { Migration } from './store/migrations.js';
import type { Store } from './store/store.js';

// How the connectors, the mapping and identity services, the flows and sandbox mode plug into the
// bridge runtime. Each is a BridgeModule listed in ./modules.ts; the runtime calls its hooks in list
// order: configure (adjust the configuration, e.g. sandbox emulator URLs) -> migrations -> register
// (define flows and tasks, mount routes, add readiness checks, provide services) -> [queue and HTTP
// start] -> start (begin intake: subscriptions, pollers) ... then at shutdown: onShutdown hooks in
// reverse order -> [leases released, queue drained, store closed] -> stop in reverse order.

/**
 * Services modules share (connector clients, the mapping engine...). A module adds its entry by
 * declaration merging, so lookups are typed:
 *
 *   declare module '../module.js' { interface BridgeServices { salesforce: SalesforceClient } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BridgeServices {}

export class ServiceRegistry {
  private readonly services = new Map<string, unknown>();

  provide<Key extends keyof BridgeServices & string>(key: Key, service: BridgeServices[Key]): void {
    if (this.services.has(key)) throw new Error(`Service "${key}" is provided twice`);
    this.services.set(key, service);
  }

  get<Key extends keyof BridgeServices & string>(key: Key): BridgeServices[Key] {
    if (!this.services.has(key)) {
      throw new BridgeError(
        'INTERNAL',
        `The "${key}" service is not installed (is its module listed in modules.ts?)`,
      );
    }
    return this.services.get(key) as BridgeServices[Key];
  }

  has(key: string): boolean {
    return this.services.has(key);
  }
}

export interface LeadershipRegistry {
  /**
   * Campaigns for a named lease: `onElected` runs in the one process that holds it, `onDemoted` when it
   * loses it or shuts down. Returns the handle (isLeader).
   */
  campaign(name: string, callbacks: LeadershipCallbacks): Leadership;
}

export interface BridgeContext {
  readonly config: BridgeConfig;
  readonly logger: Logger;
  readonly metrics: BridgeMetrics;
  readonly clock: Clock;
  readonly store: Store;
  /** define flows and tasks (in register), enqueue and dispatch changes, run tasks */
  readonly queue: WorkQueue;
  /** mount admin (/api/v1, token) and public (webhook) routers, in register */
  readonly http: RouteRegistry;
  /** readiness checks for /readyz */
  readonly readiness: ReadinessRegistry;
  readonly leadership: LeadershipRegistry;
  readonly services: ServiceRegistry;
  /** runs at shutdown, in reverse order of registration, before the queue drains and the store closes */
  onShutdown(hook: () => Promise<void> | void): void;
}

/** What a CLI command may use: the configuration, and the store and queue opened on demand. */
export interface CliContext {
  loadConfig(): BridgeConfig;
  /** Opens the store and a producer-only queue with every module's flows and tasks defined. */
  openRuntime(): Promise<CliRuntime>;
  /**
   * Starts a bridge in this process without an HTTP server: with workers and intake for commands that
   * need the regular flows (sync-campaign without a running bridge), or without (`workers: false`) for
   * one-shot work that only needs the connectors, the mapping and the store (backfill).
   */
  startBridge(options?: { workers?: boolean }): Promise<{ context: BridgeContext; stop(): Promise<void> }>;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export interface CliRuntime {
  config: BridgeConfig;
  store: Store;
  queue: WorkQueue;
  close(): Promise<void>;
}

export interface BridgeModule {
  name: string;
  /** Adjusts the configuration before anything starts (sandbox mode fills in emulator URLs). */
  configure?(
    config: BridgeConfig,
    tools: { logger: Logger },
  ): Promise<BridgeConfig | void> | BridgeConfig | void;
  /** Tables the module needs; ids are namespaced as `<module>/<id>` and applied after the core ones. */
  migrations?: Migration[];
  /** Defines flows and tasks, mounts routes, adds readiness checks, provides services. */
  register?(context: BridgeContext): Promise<void> | void;
  /** Begins intake once workers and HTTP are up (subscriptions, file pollers, schedules). */
  start?(context: BridgeContext): Promise<void> | void;
  /**
   * Releases what configure() started (e.g. the sandbox emulators), after the store is closed; also
   * called when the start fails after configure() ran. Other work stops through context.onShutdown.
   */
  stop?(): Promise<void> | void;
  /** Adds CLI commands (e.g. backfill). */
  cli?(program: Command, cli: CliContext): void;
}

/** Module migrations, namespaced by module name. */
export function moduleMigrations(modules: readonly BridgeModule[]): Migration[] {
  return modules.flatMap((module) =>
    (module.migrations ?? []).map((migration) => ({
      id: `${module.name}/${migration.id}`,
      sql: migration.sql,
    })),
  );
}

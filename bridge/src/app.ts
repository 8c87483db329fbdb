import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { AdminService } from './admin/admin-service.js';
import type { BridgeConfig } from './config/config.js';
import { ReadinessRegistry } from './http/readiness.js';
import { RouteRegistry } from './http/route-registry.js';
import { createHttpApp } from './http/server.js';
import { moduleMigrations, ServiceRegistry, type BridgeContext, type BridgeModule } from './module.js';
import { installedModules } from './modules.js';
import { Leadership, type LeadershipCallbacks } from './queue/leadership.js';
import { WorkQueue } from './queue/work-queue.js';
import { systemClock, type Clock } from './shared/clock.js';
import { errorMessage } from './shared/errors.js';
import { createLogger, type Logger } from './shared/logger.js';
import { BridgeMetrics } from './shared/metrics.js';
import { bridgeVersion } from './shared/version.js';
import { EmbeddedDatabase } from './store/embedded.js';
import { openStore, type Store } from './store/store.js';

// The composition root: builds one bridge runtime from a configuration and the installed modules, and
// takes it down again in the right order.

export interface BridgeOverrides {
  /** the modules to run (default: the installed ones, ./modules.ts) */
  modules?: BridgeModule[];
  logger?: Logger;
  clock?: Clock;
  metrics?: BridgeMetrics;
  /** serve HTTP (default true); long-running CLI commands run without */
  http?: boolean;
  /**
   * Run as a bridge (default true): process queued work and begin intake (Streaming API subscription,
   * file pollers, schedules, demo traffic, the instance heartbeat). One-shot commands such as
   * `backfill` run without: they must neither take a share of a running bridge's work nor its leases,
   * nor count as a running bridge.
   */
  workers?: boolean;
  /** queue tuning for tests */
  queue?: { maintenanceIntervalSeconds?: number; lostRetryLimit?: number; random?: () => number };
  /** how often housekeeping runs (instance heartbeat, sync-log purge); tests shorten it */
  housekeepingIntervalMs?: number;
}

export interface RunningBridge {
  readonly config: BridgeConfig;
  readonly context: BridgeContext;
  readonly admin: AdminService;
  /** the HTTP base URL (http://host:port), when serving HTTP */
  readonly url: string | undefined;
  readonly port: number | undefined;
  /** Graceful stop: intake first, then in-flight work, then the store. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startBridge(
  initialConfig: BridgeConfig,
  overrides: BridgeOverrides = {},
): Promise<RunningBridge> {
  const startedAt = new Date();
  const modules = overrides.modules ?? installedModules;
  const baseLogger = overrides.logger ?? createLogger({ level: initialConfig.logLevel });
  const logger = baseLogger.child({ instance: initialConfig.instanceId });
  const clock = overrides.clock ?? systemClock;

  let config = initialConfig;
  const configured: BridgeModule[] = [];
  const stopModules = async () => {
    for (const module of configured.reverse()) {
      if (module.stop) await runSafely(logger, `module ${module.name}`, () => module.stop!());
    }
  };
  try {
    for (const module of modules) {
      configured.push(module);
      const adjusted = await module.configure?.(config, { logger });
      if (adjusted) config = adjusted;
    }
  } catch (error) {
    await stopModules();
    throw error;
  }

  const shutdownHooks: Array<() => Promise<void> | void> = [];
  const leaderships: Leadership[] = [];
  let stopping = false;
  // What is running, so that stop() (or a failed start) takes down exactly that, in order.
  const running: {
    store?: Store;
    queue?: WorkQueue;
    server?: Server;
    housekeeping?: { stop(): Promise<void> };
  } = {};

  const shutdown = async () => {
    stopping = true;
    // No new HTTP connections; requests in flight may finish while the rest winds down.
    const httpClosed = running.server
      ? closeServer(running.server, config.shutdownTimeoutSeconds * 1000)
      : undefined;
    for (const hook of shutdownHooks.reverse()) await runSafely(logger, 'shutdown hook', hook);
    for (const leadership of leaderships) {
      await runSafely(logger, `leadership ${leadership.name}`, () => leadership.stop());
    }
    if (running.housekeeping) await runSafely(logger, 'housekeeping', () => running.housekeeping!.stop());
    if (running.queue) {
      await runSafely(logger, 'queue', () => running.queue!.stop(config.shutdownTimeoutSeconds * 1000));
    }
    await httpClosed;
    if (running.store) await runSafely(logger, 'store', () => running.store!.close());
    await stopModules();
  };

  try {
    const metrics =
      overrides.metrics ??
      new BridgeMetrics({ processMetrics: config.metrics.processMetrics, version: bridgeVersion });
    const store = await openStore({
      databaseUrl: config.store.databaseUrl,
      dataDir: config.store.dataDir,
      poolSize: config.store.poolSize,
      instanceId: config.instanceId,
      extraMigrations: moduleMigrations(modules),
      logger,
    });
    running.store = store;
    logger.info({ store: store.db.location }, 'store ready');

    const queue = new WorkQueue({
      store,
      logger,
      metrics,
      clock,
      settings: config.queue,
      instanceId: config.instanceId,
      ...overrides.queue,
    });
    const readiness = new ReadinessRegistry();
    readiness.add('store', async () => {
      await store.db.query('SELECT 1');
      return { ok: true, detail: store.db.backend };
    });
    const routes = new RouteRegistry();
    const context: BridgeContext = {
      config,
      logger,
      metrics,
      clock,
      store,
      queue,
      http: routes,
      readiness,
      services: new ServiceRegistry(),
      leadership: {
        campaign(name: string, callbacks: LeadershipCallbacks) {
          const leadership = new Leadership({
            name,
            holder: config.instanceId,
            ttlSeconds: config.leaderLeaseSeconds,
            leases: store.leases,
            logger,
            metrics,
            ...callbacks,
          });
          leaderships.push(leadership);
          if (!stopping) leadership.start();
          return leadership;
        },
      },
      onShutdown(hook) {
        shutdownHooks.push(hook);
      },
    };

    for (const module of modules) await module.register?.(context);

    await queue.start({ workers: overrides.workers ?? true });
    running.queue = queue;

    const admin = new AdminService({ config, store, queue, startedAt });
    let url: string | undefined;
    if (overrides.http ?? true) {
      const app = createHttpApp({
        logger,
        metrics,
        readiness,
        routes,
        admin,
        adminToken: config.http.adminToken,
        bodyLimit: config.http.bodyLimit,
        metricsEnabled: config.metrics.enabled,
        isStopping: () => stopping,
        startedAt,
      });
      const server = app.listen(config.http.port, config.http.host);
      running.server = server;
      await once(server, 'listening');
      const address = server.address() as AddressInfo;
      const host =
        config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
      if (store.db instanceof EmbeddedDatabase) store.db.lock?.update({ adminUrl: url });
      logger.info({ url }, 'HTTP server listening');
    }

    if (overrides.workers ?? true) {
      running.housekeeping = startHousekeeping(
        context,
        overrides.housekeepingIntervalMs ?? 60_000,
        startedAt,
      );
      for (const module of modules) await module.start?.(context);
    }
    logger.info(
      {
        mode: config.mode,
        flows: queue.flowNames(),
        tasks: queue.taskNames(),
        modules: modules.map((m) => m.name),
      },
      'bridge started',
    );

    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        logger.info('bridge stopping: intake first, then work in flight, then the store');
        await shutdown();
        logger.info('bridge stopped');
      })());
    const port = running.server ? (running.server.address() as AddressInfo).port : undefined;
    return { config, context, admin, url, port, stop };
  } catch (error) {
    await shutdown();
    throw error;
  }
}

async function runSafely(logger: Logger, what: string, step: () => Promise<void> | void): Promise<void> {
  try {
    await step();
  } catch (error) {
    logger.error({ err: error }, `${what} failed: ${errorMessage(error)}`);
  }
}

/** Stops accepting connections, lets requests in flight finish, then cuts what is left. */
async function closeServer(server: Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearTimeout(timer);
}

/** Instance heartbeat (for the status API) and retention purges, on every process. */
function startHousekeeping(context: BridgeContext, intervalMs: number, startedAt: Date) {
  const { store, config, logger, clock } = context;
  let running: Promise<void> = Promise.resolve();
  let lastPurge = 0;
  const tick = async () => {
    await store.instances.heartbeat({
      instanceId: config.instanceId,
      host: hostname(),
      pid: process.pid,
      version: bridgeVersion,
      startedAt,
    });
    const now = clock.now().getTime();
    if (now - lastPurge >= Math.max(intervalMs, 3_600_000) || lastPurge === 0) {
      lastPurge = now;
      const day = 86_400_000;
      const syncLog = await store.syncLog.purgeOlderThan(new Date(now - config.retention.syncLogDays * day));
      const deadLetters = await store.deadLetters.purgeHandledBefore(
        new Date(now - config.retention.deadLetterDays * day),
      );
      if (syncLog + deadLetters > 0)
        logger.info({ syncLog, deadLetters }, 'purged entries past their retention');
    }
  };
  const run = () => {
    running = tick().catch((error: unknown) =>
      logger.warn({ err: error }, `housekeeping failed: ${errorMessage(error)}`),
    );
  };
  run();
  const timer = setInterval(run, Math.min(intervalMs, Math.max(5_000, config.leaderLeaseSeconds * 1000)));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await store.instances.remove(config.instanceId).catch(() => undefined);
    },
  };
}

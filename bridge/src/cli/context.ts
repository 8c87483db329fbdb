import { userInfo } from 'node:os';
import { AdminService } from '../admin/admin-service.js';
import { startBridge } from '../app.js';
import type { BridgeConfig } from '../config/config.js';
import { loadConfig } from '../config/load.js';
import { moduleMigrations, type BridgeModule, type CliContext, type CliRuntime } from '../module.js';
import { WorkQueue } from '../queue/work-queue.js';
import { isBridgeError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { BridgeMetrics } from '../shared/metrics.js';
import { openStore } from '../store/store.js';
import { directAccess, httpAccess, type AdminAccess } from './admin-access.js';

export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface GlobalOptions {
  envFile?: string;
  url?: string;
}

export function operatorName(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** The CLI's view of the bridge: configuration, and the store opened on demand. */
export class CliSession implements CliContext {
  private config: BridgeConfig | undefined;
  /** what the process exits with once the command is done */
  exitCode = 0;
  /** a command left work running (the emulators): the process stays up */
  keepAlive = false;

  constructor(
    readonly io: CliIo,
    readonly modules: readonly BridgeModule[],
    private readonly globals: () => GlobalOptions,
  ) {}

  get out(): NodeJS.WritableStream {
    return this.io.out;
  }

  get err(): NodeJS.WritableStream {
    return this.io.err;
  }

  loadConfig(): BridgeConfig {
    this.config ??= loadConfig({ env: this.io.env, cwd: this.io.cwd, envFile: this.globals().envFile });
    return this.config;
  }

  async openRuntime(): Promise<CliRuntime> {
    const config = this.loadConfig();
    const logger = createLogger({ level: 'warn', destination: process.stderr });
    const store = await openStore({
      databaseUrl: config.store.databaseUrl,
      dataDir: config.store.dataDir,
      poolSize: 2,
      instanceId: `${config.instanceId}-cli`,
      extraMigrations: moduleMigrations(this.modules),
    });
    const queue = new WorkQueue({
      store,
      logger,
      metrics: new BridgeMetrics(),
      settings: config.queue,
      instanceId: `${config.instanceId}-cli`,
    });
    try {
      await queue.start({ workers: false });
    } catch (error) {
      await store.close();
      throw error;
    }
    return {
      config,
      store,
      queue,
      async close() {
        await queue.stop(1000);
        await store.close();
      },
    };
  }

  async startBridge(options: { workers?: boolean } = {}) {
    const config = this.loadConfig();
    const running = await startBridge(config, {
      modules: [...this.modules],
      http: false,
      workers: options.workers ?? true,
      logger: createLogger({ level: config.logLevel, destination: process.stderr }),
    });
    return { context: running.context, stop: running.stop };
  }

  /**
   * Operator access: a running bridge's admin API when --url (or BRIDGE_URL) is given, otherwise the
   * store directly; when the embedded store is held by a running bridge, that bridge's API.
   */
  async adminAccess(): Promise<AdminAccess> {
    const config = this.loadConfig();
    const url = this.globals().url ?? this.io.env.BRIDGE_URL;
    if (url) return httpAccess(url, config.http.adminToken, operatorName());
    try {
      const runtime = await this.openRuntime();
      const admin = new AdminService({ config, store: runtime.store, queue: runtime.queue });
      return directAccess(admin, () => runtime.close(), operatorName());
    } catch (error) {
      const adminUrl = isBridgeError(error)
        ? (error.details as { adminUrl?: string } | undefined)?.adminUrl
        : undefined;
      if (isBridgeError(error) && error.code === 'STORE_IN_USE' && adminUrl) {
        this.io.err.write(`The embedded store is in use by a running bridge; asking it at ${adminUrl}.\n`);
        return httpAccess(adminUrl, config.http.adminToken, operatorName());
      }
      throw error;
    }
  }
}

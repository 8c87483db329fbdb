import type { BridgeConfig } from '../config/config.js';
import type { BridgeModule } from '../module.js';
import { BridgeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../store/store.js';
import { startSandboxEmulators, type SandboxEmulatorOptions, type SandboxEmulators } from './emulators.js';
import { SandboxTraffic, type SandboxTrafficOptions } from './traffic.js';

// Sandbox mode: with no Salesforce and no Responsys credentials, `npm start` runs both emulators in
// this process with demo data that agrees, points the bridge at them (the integration user through
// the connected app's client credentials; the Responsys API user; the event files directory), and
// plays gentle traffic so records move within a minute. Its first log line says so, where the
// emulators are, and how to connect real systems.

declare module '../module.js' {
  interface BridgeServices {
    sandboxTraffic: SandboxTraffic;
    sandboxEmulators: SandboxEmulators;
  }
}

export interface SandboxModuleOptions {
  emulators?: SandboxEmulatorOptions;
  traffic?: Pick<SandboxTrafficOptions, 'pace' | 'random'> & { enabled?: boolean };
}

/** The watermark that marks a store as the sandbox's own (never a live bridge's). */
const SANDBOX_MARKER = 'sandbox:store';

export function sandboxNotice(emulators: SandboxEmulators): string {
  return (
    `sandbox mode: no Salesforce or Responsys credentials are set, so the bridge runs against emulators in this ` +
    `process with demo data: Salesforce at ${emulators.salesforce.url} (rep@example.com / password), ` +
    `Responsys at ${emulators.responsys.url} (${emulators.responsys.username} / ${emulators.responsys.password}), ` +
    'and a sales rep and a marketer making changes every few seconds. To connect real systems, set ' +
    'SALESFORCE_LOGIN_URL, SALESFORCE_CLIENT_ID and the credentials of SALESFORCE_AUTH, the RESPONSYS_* variables ' +
    'and BRIDGE_ADMIN_TOKEN (docs/bridge-operations.md; `responsys-bridge check-config` validates them).'
  );
}

export function createSandboxModule(options: SandboxModuleOptions = {}): BridgeModule {
  let emulators: SandboxEmulators | undefined;
  let traffic: SandboxTraffic | undefined;
  return {
    name: 'sandbox',
    async configure(config, { logger }) {
      if (config.mode !== 'sandbox') return;
      emulators = await startSandboxEmulators(options.emulators, logger);
      logger.warn(
        {
          mode: 'sandbox',
          salesforceEmulator: emulators.salesforce.url,
          responsysEmulator: emulators.responsys.url,
        },
        sandboxNotice(emulators),
      );
      return pointAtEmulators(config, emulators);
    },
    async register(context) {
      if (context.config.mode === 'live') {
        await refuseSandboxStore(context.store, context.config);
        return;
      }
      if (!emulators) return;
      await resetEmulatorState(context.store, context.logger);
      context.services.provide('sandboxEmulators', emulators);
      traffic = new SandboxTraffic({
        salesforce: emulators.salesforce,
        responsys: emulators.responsys,
        logger: context.logger,
        ...options.traffic,
      });
      context.services.provide('sandboxTraffic', traffic);
    },
    start(context) {
      if (!traffic || options.traffic?.enabled === false) return;
      traffic.start();
      const running = traffic;
      context.onShutdown(() => running.stop());
      context.logger.info(
        { activities: running.activityNames() },
        'sandbox traffic started: watch the logs, GET /api/v1/status, or `npm run cli -- explain <email>`',
      );
    },
    async stop() {
      await traffic?.stop();
      await emulators?.close();
      traffic = undefined;
      emulators = undefined;
    },
  };
}

export const sandboxModule = createSandboxModule();

/** The configuration for the emulators: client credentials as bridge@example.com, the demo account. */
export function pointAtEmulators(config: BridgeConfig, emulators: SandboxEmulators): BridgeConfig {
  const { salesforce, responsys } = emulators;
  return {
    ...config,
    salesforce: {
      ...config.salesforce,
      loginUrl: salesforce.url,
      auth: 'client_credentials',
      clientId: salesforce.credentials.clientId,
      clientSecret: salesforce.credentials.clientSecret,
      username: undefined,
      password: undefined,
      privateKeyFile: undefined,
    },
    responsys: {
      ...config.responsys,
      loginUrl: responsys.url,
      username: responsys.username,
      password: responsys.password,
      profileList: responsys.profileList.name,
      profileListFolder: responsys.profileList.folderName,
      eventFiles: { kind: 'directory', path: responsys.eventFilesDir },
    },
  };
}

/** A live bridge must not resume from a sandbox run's replay position and links. */
async function refuseSandboxStore(store: Store, config: BridgeConfig): Promise<void> {
  if (!(await store.watermarks.get(SANDBOX_MARKER))) return;
  const where = config.store.databaseUrl
    ? 'The database of DATABASE_URL'
    : `The store in ${config.store.dataDir}`;
  throw new BridgeError(
    'CONFIG_INVALID',
    `${where} holds a sandbox run's demo data (emulator replay position and links). Point BRIDGE_DATA_DIR ` +
      '(or DATABASE_URL) elsewhere for live mode, or delete that store.',
  );
}

/**
 * The emulators start fresh on every run, so what the store remembers of the last run's (replay
 * position, links, watermarks, echo ledger, enrolments, files read) is forgotten. Only in a store
 * that is the sandbox's own: a store a live bridge used is refused rather than mixed with demo data.
 */
async function resetEmulatorState(store: Store, logger: Logger): Promise<void> {
  const marker = await store.watermarks.get(SANDBOX_MARKER);
  if (!marker) {
    const [{ used }] = (
      await store.db.query<{ used: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM bridge.replay_cursors) OR EXISTS (SELECT 1 FROM bridge.identity_links) AS used`,
      )
    ).rows as [{ used: boolean }];
    if (used) {
      throw new BridgeError(
        'CONFIG_INVALID',
        'This store holds the state of a live bridge (replay position, identity links); sandbox mode will not mix ' +
          'demo data into it. Point BRIDGE_DATA_DIR (or DATABASE_URL) elsewhere for sandbox mode.',
      );
    }
  }
  await store.transaction(async (_repos, tx) => {
    for (const table of [
      'replay_cursors',
      'identity_links',
      'sync_ledger',
      'program_enrollments',
      'inbound_files',
      'watermarks',
    ]) {
      await tx.query(`DELETE FROM bridge.${table}`);
    }
    await tx.query(`INSERT INTO bridge.watermarks (name, value, updated_at) VALUES ($1, $2, now())`, [
      SANDBOX_MARKER,
      'sandbox',
    ]);
  });
  if (marker)
    logger.info('sandbox: the emulators start fresh, so the last run’s replay position and links were reset');
}

import type { BridgeContext, BridgeModule } from '../../module.js';
import { openFileLocation } from '../../responsys/files/index.js';
import { errorMessage } from '../../shared/errors.js';
import { PersonSync } from '../person-sync/person-sync.js';
import { ProfileImporter } from './profile-import.js';
import { acceptsProfileChange, PROFILE_SYNC_FLOW, profileSyncHandler } from './profile-sync.js';

/** Reads the profile-list exports now: `run-task profile-sync-import`. */
export const PROFILE_IMPORT_TASK = 'profile-sync-import';
/** The one process that reads the exports holds this lease. */
const PROFILE_FILES_LEASE = 'responsys-profile-files';
const importers = new WeakMap<BridgeContext, ProfileImporter>();

// Installs the profile-sync queue: Lead and Contact changes from the Streaming API, the reconciliation
// and the other flows; opt-outs take its express lane. It also provides the person sync (service
// `personSync`) to the other outbound flows: one per process, so that its per-record locks keep two
// workers from merging the same person at the same moment. Program routes (F1) are used when the
// programs module is installed before this one.

declare module '../../module.js' {
  interface BridgeServices {
    personSync: PersonSync;
  }
}

export const profileSyncModule: BridgeModule = {
  name: 'profile-sync',
  register(context) {
    const { services, queue, store } = context;
    const needed = ['salesforce', 'responsys', 'identity', 'mapping'] as const;
    const missing = needed.filter((service) => !services.has(service));
    if (missing.length > 0) {
      context.logger.warn(`profile sync is off: ${missing.join(', ')} not running`);
      return;
    }
    const personSync = new PersonSync({
      salesforce: services.get('salesforce'),
      responsys: services.get('responsys'),
      mapping: services.get('mapping'),
      identity: services.get('identity'),
      ledger: store.syncLedger,
      metrics: context.metrics,
      clock: context.clock,
      logger: context.logger.child({ component: 'person-sync' }),
    });
    services.provide('personSync', personSync);
    queue.defineFlow({
      name: PROFILE_SYNC_FLOW,
      direction: 'salesforce_to_responsys',
      accepts: acceptsProfileChange,
      handle: profileSyncHandler({
        personSync,
        programs: services.has('programRoutes')
          ? { routes: services.get('programRoutes'), enroller: services.get('programEnroller') }
          : undefined,
        identityLinks: store.identityLinks,
        ledger: store.syncLedger,
        recordSyncLog: (entries) => store.syncLog.record(entries),
        dispatch: (changes) => queue.dispatch(changes),
        listName: context.config.responsys.profileList ?? 'the profile list',
        logger: context.logger,
      }),
    });

    // Responsys -> Salesforce for the two-way fields, from the profile-list exports.
    const { config } = context;
    if (!config.responsys.eventFiles || !config.responsys.profileList) return;
    const importer = new ProfileImporter({
      location: openFileLocation(config.responsys.eventFiles, {
        privateKeyFile: config.inbound.eventFiles.privateKeyFile,
        hostKeyFingerprint: config.inbound.eventFiles.hostKey,
        logger: context.logger,
      }),
      store,
      salesforce: services.get('salesforce'),
      mapping: services.get('mapping'),
      identity: services.get('identity'),
      dispatch: (changes) => queue.dispatch(changes),
      listName: config.responsys.profileList,
      readyMarkers: config.inbound.eventFiles.readyMarkers,
      settleSeconds: config.inbound.eventFiles.settleSeconds,
      afterRead: config.inbound.eventFiles.afterRead,
      metrics: context.metrics,
      clock: context.clock,
      logger: context.logger.child({ component: 'profile-import' }),
    });
    importers.set(context, importer);
    queue.defineTask({
      name: PROFILE_IMPORT_TASK,
      run: async (_data, task) => {
        const report = await importer.importNow(task.signal);
        return {
          ...report,
          files: report.files.map((file) => ({ file: file.file, status: file.status, rows: file.rows })),
        };
      },
    });
    context.onShutdown(() => importer.reader.location.close());
  },

  start(context) {
    const importer = importers.get(context);
    if (!importer) return;
    let timer: NodeJS.Timeout | undefined;
    let abort = new AbortController();
    const every = context.config.inbound.eventFiles.pollSeconds * 1000;
    const tick = () => {
      void importer
        .importNow(abort.signal)
        .catch((error: unknown) =>
          context.logger.warn({ err: error }, `reading profile-list exports failed: ${errorMessage(error)}`),
        )
        .finally(() => {
          if (timer) timer = setTimeout(tick, every);
        });
    };
    const stop = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      abort.abort();
    };
    context.leadership.campaign(PROFILE_FILES_LEASE, {
      onElected: () => {
        abort = new AbortController();
        timer = setTimeout(tick, 0);
      },
      onDemoted: stop,
    });
    context.onShutdown(stop);
  },
};

import type { BridgeModule } from '../../module.js';
import { PersonSync } from '../person-sync/person-sync.js';
import { acceptsProfileChange, PROFILE_SYNC_FLOW, profileSyncHandler } from './profile-sync.js';

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
  },
};

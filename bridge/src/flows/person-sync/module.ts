import type { BridgeModule } from '../../module.js';
import { PersonSync } from './person-sync.js';

// Installs the person sync every outbound flow shares (service `personSync`), once the connectors,
// the mapping engine and the identity service are there. One instance per process, so that its
// per-record locks keep two flows from merging the same person at the same moment.

declare module '../../module.js' {
  interface BridgeServices {
    personSync: PersonSync;
  }
}

export const personSyncModule: BridgeModule = {
  name: 'person-sync',
  register(context) {
    const { services } = context;
    const missing = ['salesforce', 'responsys', 'mapping', 'identity'].filter((name) => !services.has(name));
    if (missing.length > 0) {
      context.logger.warn(`outbound flows are off: ${missing.join(', ')} not installed`);
      return;
    }
    services.provide(
      'personSync',
      new PersonSync({
        salesforce: services.get('salesforce'),
        responsys: services.get('responsys'),
        mapping: services.get('mapping'),
        identity: services.get('identity'),
        ledger: context.store.syncLedger,
        metrics: context.metrics,
        clock: context.clock,
        logger: context.logger.child({ component: 'person-sync' }),
      }),
    );
  },
};

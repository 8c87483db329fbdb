import type { BridgeModule } from '../../module.js';
import { acceptsProfileChange, PROFILE_SYNC_FLOW, syncProfiles } from './profile-sync.js';

// Installs the profile-sync flow: Lead and Contact changes from the Streaming API (and the
// reconciliation) go to its queue; opt-outs take its express lane.

export const profileSyncModule: BridgeModule = {
  name: 'profile-sync',
  register(context) {
    const needed = ['salesforce', 'responsys', 'identity', 'mapping'] as const;
    const missing = needed.filter((service) => !context.services.has(service));
    if (missing.length > 0) {
      context.logger.warn(`profile sync is off: ${missing.join(', ')} not running`);
      return;
    }
    context.queue.defineFlow({
      name: PROFILE_SYNC_FLOW,
      direction: 'salesforce_to_responsys',
      accepts: acceptsProfileChange,
      handle: (batch) =>
        syncProfiles(batch, {
          salesforce: context.services.get('salesforce'),
          responsys: context.services.get('responsys'),
          identity: context.services.get('identity'),
          mapping: context.services.get('mapping'),
          clock: context.clock,
          enqueue: (changes) => context.queue.enqueue(PROFILE_SYNC_FLOW, changes),
        }),
    });
  },
};

import type { BridgeModule } from '../../module.js';
import { LEAD_PROGRAMS_FLOW, leadProgramsHandler } from './lead-programs-flow.js';

// F1 as a bridge module: the `lead-programs` queue takes Lead creations, updates and undeletions
// (opt-outs go to the opt-out flow, deletions to the profile sync).

const ACCEPTED = new Set(['CREATE', 'UPDATE', 'UNDELETE']);

export const leadProgramsModule: BridgeModule = {
  name: 'lead-programs',
  register(context) {
    const { services, queue, store } = context;
    if (!services.has('personSync') || !services.has('programRoutes')) return;
    queue.defineFlow({
      name: LEAD_PROGRAMS_FLOW,
      direction: 'salesforce_to_responsys',
      accepts: (change) => change.objectType === 'Lead' && ACCEPTED.has(change.changeType),
      handle: leadProgramsHandler({
        personSync: services.get('personSync'),
        routes: services.get('programRoutes'),
        enroller: services.get('programEnroller'),
        recordSyncLog: (entries) => store.syncLog.record(entries),
        syncContacts: async (contactIds, correlationIds) => {
          await queue.dispatch(
            contactIds.map((recordId, index) => ({
              objectType: 'Contact',
              recordId,
              changeType: 'UPDATE' as const,
              correlationId: correlationIds[index],
              source: 'lead-conversion',
            })),
          );
        },
        listName: context.config.responsys.profileList ?? 'the profile list',
        logger: context.logger,
      }),
    });
  },
};

import type { BridgeModule } from '../../module.js';
import { OPPORTUNITY_PROGRAMS_FLOW, opportunityProgramsHandler } from './opportunity-programs-flow.js';

// F3 as a bridge module: the `opportunity-programs` queue takes Opportunity stage changes. Several
// changes of one Opportunity in a batch collapse into one (the earliest previous and latest new stage).

export const opportunityProgramsModule: BridgeModule = {
  name: 'opportunity-programs',
  register(context) {
    const { services, queue, store } = context;
    if (!services.has('personSync') || !services.has('programRoutes')) return;
    queue.defineFlow({
      name: OPPORTUNITY_PROGRAMS_FLOW,
      direction: 'salesforce_to_responsys',
      accepts: (change) => change.objectType === 'Opportunity' && change.changeType === 'STAGE_CHANGE',
      handle: opportunityProgramsHandler({
        salesforce: services.get('salesforce'),
        personSync: services.get('personSync'),
        routes: services.get('programRoutes'),
        enroller: services.get('programEnroller'),
        recordSyncLog: (entries) => store.syncLog.record(entries),
      }),
    });
  },
};

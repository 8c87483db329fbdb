import type { BridgeModule } from './module.js';
import { backfillModule } from './flows/backfill/module.js';
import { campaignSegmentsModule } from './flows/campaign-segments/module.js';
import { engagementModule } from './flows/engagement/module.js';
import { leadStatusModule } from './flows/lead-status/module.js';
import { opportunityProgramsModule } from './flows/opportunity-programs/module.js';
import { optOutsInboundModule } from './flows/opt-outs/inbound-module.js';
import { profileSyncModule } from './flows/profile-sync/module.js';
import { programsModule } from './flows/programs/module.js';
import { identityModule } from './identity/module.js';
import { mappingModule } from './mapping/module.js';
import { responsysModule } from './responsys/module.js';
import { salesforceModule } from './salesforce/module.js';
import { sandboxModule } from './sandbox/module.js';

// The modules installed in this bridge, in the order their hooks run. Connectors come before the
// flows that use their services. Each entry is `import { xModule } from './x/module.js'`.
export const installedModules: BridgeModule[] = [
  sandboxModule,
  salesforceModule,
  responsysModule,
  identityModule,
  mappingModule,
  programsModule,
  profileSyncModule,
  opportunityProgramsModule,
  campaignSegmentsModule,
  backfillModule,
  engagementModule,
  leadStatusModule,
  optOutsInboundModule,
];

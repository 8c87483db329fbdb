import type { BridgeModule } from './module.js';
import { identityModule } from './identity/module.js';
import { mappingModule } from './mapping/module.js';
import { responsysModule } from './responsys/module.js';
import { salesforceModule } from './salesforce/module.js';

// The modules installed in this bridge, in the order their hooks run. Connectors come before the
// flows that use their services. Each entry is `import { xModule } from './x/module.js'`.
export const installedModules: BridgeModule[] = [
  salesforceModule,
  responsysModule,
  identityModule,
  mappingModule,
];

import type { BridgeModule } from '../module.js';
import { IdentityService } from './identity-service.js';

// Installs the identity service (`identity`) once both connectors are there: flows resolve who is
// who through it and record links after a successful sync.

declare module '../module.js' {
  interface BridgeServices {
    identity: IdentityService;
  }
}

export const identityModule: BridgeModule = {
  name: 'identity',
  register(context) {
    if (!context.services.has('salesforce') || !context.services.has('responsys')) {
      context.logger.warn(
        'identity matching is off: the Salesforce or the Responsys connector is not running',
      );
      return;
    }
    context.services.provide(
      'identity',
      new IdentityService({
        salesforce: context.services.get('salesforce'),
        responsys: context.services.get('responsys'),
        links: context.store.identityLinks,
        logger: context.logger.child({ component: 'identity' }),
      }),
    );
  },
};

import { Router } from 'express';
import { z } from 'zod';
import { validate } from '../../http/validation.js';
import type { BridgeModule } from '../../module.js';
import { isSalesforceId, toId18 } from '../../salesforce/soql.js';
import { scoreSettingsFrom } from '../engagement/module.js';
import { LEAD_STATUS_FLOW } from '../engagement/names.js';
import { LeadStatusActions } from './action-store.js';
import { LeadStatusFlow } from './flow.js';
import { leadStatusMigrations } from './migrations.js';

// F5: status rules on Leads with new engagement (queued by the engagement flow). Admin routes show the
// rules in use and what they did to a Lead.

export const leadStatusModule: BridgeModule = {
  name: 'lead-status',
  migrations: leadStatusMigrations,
  register(context) {
    const { services, queue, store, config, logger, clock } = context;
    if (!services.has('salesforce')) {
      logger.warn('status rules are off: the Salesforce connector is not running');
      return;
    }
    const flow = new LeadStatusFlow({
      store,
      salesforce: services.get('salesforce'),
      queue,
      score: scoreSettingsFrom(context),
      statusOrder: config.inbound.leadStatusOrder,
      logger,
      clock,
    });
    queue.defineFlow({
      name: LEAD_STATUS_FLOW,
      direction: 'responsys_to_salesforce',
      expressLane: false,
      handle: (batch) => flow.handle(batch),
    });

    const router = Router();
    router.get('/rules', async (_request, response) => {
      response.json({ rules: await flow.rules(), statusOrder: await flow.statusOrder() });
    });
    router.get('/leads/:leadId', async (request, response) => {
      const { leadId } = validate(
        z.object({ leadId: z.string().refine(isSalesforceId, 'must be a Lead id') }),
        request.params,
        'path',
      );
      response.json({
        leadId: toId18(leadId),
        actions: await new LeadStatusActions(store.db).forLead(toId18(leadId)),
      });
    });
    context.http.mountAdmin('/lead-status', router);
  },
};

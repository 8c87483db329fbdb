import type { BridgeModule } from '../../module.js';
import { OPT_OUTS_INBOUND_FLOW, RECIPIENT_OBJECT, RECONCILE_OPT_OUTS_TASK } from '../engagement/names.js';
import { optOutsInboundHandler } from './inbound.js';
import { OptOutReconciler, type ReconcileOptOutsInput } from './reconciliation.js';
import { registerOptOutCommands, reconciliationRouter } from './reconciliation-admin.js';
import { optOutsInboundMigrations } from './reconciliation-store.js';

// F7 inbound: opt-outs and opt-ins from Responsys onto every matching Lead and Contact (a flow whose
// express lane takes opt-outs ahead of everything), and the scheduled opt-out reconciliation.

export const optOutsInboundModule: BridgeModule = {
  name: 'opt-outs-inbound',
  migrations: optOutsInboundMigrations,
  register(context) {
    const { services, queue, store, config, logger, clock } = context;
    if (!services.has('salesforce')) {
      logger.warn('opt-outs from Responsys are off: the Salesforce connector is not running');
      return;
    }
    const salesforce = services.get('salesforce');
    const responsys = services.has('responsys') ? services.get('responsys') : undefined;
    queue.defineFlow({
      name: OPT_OUTS_INBOUND_FLOW,
      direction: 'responsys_to_salesforce',
      accepts: (change) =>
        change.objectType === RECIPIENT_OBJECT &&
        (change.changeType === 'OPT_OUT' || change.changeType === 'OPT_IN'),
      handle: optOutsInboundHandler({
        store,
        salesforce,
        responsys,
        optInSources: config.inbound.optInSources,
        logger,
      }),
    });
    if (!responsys) {
      logger.warn('the opt-out reconciliation is off: the Responsys connector is not running');
      return;
    }
    const reconciler = new OptOutReconciler({ store, salesforce, responsys, logger, clock });
    queue.defineTask<ReconcileOptOutsInput>({
      name: RECONCILE_OPT_OUTS_TASK,
      schedule: config.inbound.optOutReconcileSchedule,
      timeoutSeconds: 4 * 3600,
      run: (data, task) => reconciler.run(data, task.signal),
    });
    context.http.mountAdmin('/opt-outs', reconciliationRouter(store, queue));
  },
  cli(program, cli) {
    registerOptOutCommands(program, cli);
  },
};

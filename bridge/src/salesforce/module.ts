import { Router } from 'express';
import type { BridgeContext, BridgeModule } from '../module.js';
import { SalesforceClient, type SalesforceClientStatus } from './client.js';
import { SalesforceFieldMapSource } from './field-maps.js';
import {
  RECONCILE_TASK,
  SalesforceChangeReconciler,
  type ReconciledObject,
  type ReconcileSalesforceChangesInput,
} from './reconciliation.js';
import { STREAMING_LEASE, StreamingSubscriber, type SubscriptionStatus } from './streaming/subscriber.js';

// The Salesforce connector as a bridge module: the client every other part uses (service
// `salesforce`), the field-map source for the mapping engine (`fieldMapSource`), the Streaming
// API subscriber run by the leader only (`salesforceStreaming`), the reconciliation task, readiness
// checks, and GET /api/v1/salesforce for the connector's state.

declare module '../module.js' {
  interface BridgeServices {
    salesforce: SalesforceClient;
    salesforceStreaming: StreamingSubscriber;
    salesforceReconciler: SalesforceChangeReconciler;
  }
}

export interface SalesforceConnectorStatus {
  client: SalesforceClientStatus;
  subscription: SubscriptionStatus & { leader: boolean };
}

export interface SalesforceModuleOptions {
  /** objects the reconciliation re-reads (default Lead and Contact) */
  reconciledObjects?: ReconciledObject[];
  /** Bulk API polling and lock retries (tests shorten them) */
  client?: Pick<ConstructorParameters<typeof SalesforceClient>[0], 'bulk' | 'lockRetry'>;
  /** pause before rebuilding a failing streaming client (tests shorten it) */
  rebuildBackoff?: { baseMs: number; maxMs: number };
}

export function createSalesforceModule(options: SalesforceModuleOptions = {}): BridgeModule {
  // One module object may serve several bridges in one process (tests): state is kept per context.
  const leadership = new WeakMap<BridgeContext, { isLeader: boolean }>();
  return {
    name: 'salesforce',
    register(context) {
      const { config, logger, metrics, clock, store, queue } = context;
      if (!config.salesforce.loginUrl) {
        // Live mode requires it and sandbox mode fills it in: only a partial setup gets here.
        const reason = 'SALESFORCE_LOGIN_URL is not set';
        logger.error(`Salesforce connector not started: ${reason}`);
        context.readiness.add('salesforce', () => ({ ok: false, detail: reason }));
        return;
      }
      const client = new SalesforceClient({
        settings: config.salesforce,
        logger,
        metrics,
        clock,
        ...options.client,
      });
      context.services.provide('salesforce', client);
      // The mapping engine reads the admins' field maps through this (see mapping/module.ts).
      context.services.provide('fieldMapSource', new SalesforceFieldMapSource(client));

      const reconciler = new SalesforceChangeReconciler({
        client,
        store,
        dispatch: (changes, dispatchOptions) => queue.dispatch(changes, dispatchOptions),
        logger: logger.child({ component: 'salesforce-reconciliation' }),
        objects: options.reconciledObjects,
      });
      context.services.provide('salesforceReconciler', reconciler);
      queue.defineTask<ReconcileSalesforceChangesInput>({
        name: RECONCILE_TASK,
        schedule: config.salesforce.reconcileSchedule,
        run: (data, task) => reconciler.run({ reason: 'schedule', ...data }, task.signal),
      });

      const subscriber = new StreamingSubscriber({
        client,
        store,
        logger,
        metrics,
        clock,
        stallTimeoutMs: config.salesforce.streamStallSeconds * 1000,
        rebuildBackoff: options.rebuildBackoff,
        dispatch: (changes, dispatchOptions) => queue.dispatch(changes, dispatchOptions),
        onReplayReset: async (reset) => {
          const jobId = await queue.runTask(RECONCILE_TASK, {
            since: reset.since ?? undefined,
            reason: 'replay_id_invalid',
          });
          logger.warn(
            { task: RECONCILE_TASK, jobId, since: reset.since },
            jobId
              ? `reconciliation scheduled from ${reset.since ?? 'its watermark'} after the replay reset`
              : 'a reconciliation was already waiting; it covers the replay reset',
          );
        },
      });
      context.services.provide('salesforceStreaming', subscriber);

      context.readiness.add('salesforce', () => client.readiness(), { timeoutMs: 10_000 });
      context.readiness.add('salesforce-streaming', () =>
        leadership.get(context)?.isLeader
          ? subscriber.readiness()
          : { ok: true, detail: 'another bridge process holds the Streaming API subscription' },
      );

      const router = Router();
      router.get('/', (_req, res) => {
        const status: SalesforceConnectorStatus = {
          client: client.status(),
          subscription: { ...subscriber.status(), leader: leadership.get(context)?.isLeader ?? false },
        };
        res.json(status);
      });
      context.http.mountAdmin('/salesforce', router);

      context.onShutdown(() => subscriber.stop());
    },
    start(context) {
      if (!context.services.has('salesforceStreaming')) return;
      const subscriber = context.services.get('salesforceStreaming');
      const handle = context.leadership.campaign(STREAMING_LEASE, {
        onElected: () => subscriber.start(),
        onDemoted: () => subscriber.stop(),
      });
      leadership.set(context, handle);
    },
  };
}

export const salesforceModule = createSalesforceModule();

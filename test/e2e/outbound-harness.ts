import type { RunningBridge } from '../../bridge/src/app.js';
import { backfillModule } from '../../bridge/src/flows/backfill/module.js';
import { campaignSegmentsModule } from '../../bridge/src/flows/campaign-segments/module.js';
import { opportunityProgramsModule } from '../../bridge/src/flows/opportunity-programs/module.js';
import { profileSyncModule } from '../../bridge/src/flows/profile-sync/module.js';
import { programsModule } from '../../bridge/src/flows/programs/module.js';
import { identityModule } from '../../bridge/src/identity/module.js';
import { mappingModule } from '../../bridge/src/mapping/module.js';
import type { BridgeModule } from '../../bridge/src/module.js';
import { responsysModule } from '../../bridge/src/responsys/module.js';
import { type BridgeMetrics } from '../../bridge/src/shared/metrics.js';
import type { SyncLogEntry } from '../../bridge/src/store/sync-log.js';
import { startResponsysEmulator, type ResponsysEmulatorOptions } from '../emulators/responsys/index.js';
import { startSalesforceEmulator, type SalesforceEmulatorOptions } from '../emulators/salesforce/index.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  bridgeEnv,
  CHANNEL,
  eventually,
  quickSalesforceModule,
  startInProcessBridge,
  type Emulators,
} from './support.js';

// The outbound flows end to end: both emulators in this process (the Salesforce one models the
// package triggers, so a rep's save publishes Responsys_Sync__e), and a live-mode bridge in this
// process with the connectors and the outbound flow modules, on a fresh PostgreSQL database.

export { CHANNEL, eventually };

export function outboundModules(): BridgeModule[] {
  return [
    quickSalesforceModule(),
    responsysModule,
    identityModule,
    mappingModule,
    programsModule,
    profileSyncModule,
    opportunityProgramsModule,
    campaignSegmentsModule,
    backfillModule,
  ];
}

export interface OutboundRig {
  emulators: Emulators;
  database: TestDatabase;
  bridge: RunningBridge;
  metrics: BridgeMetrics;
  lines: Array<Record<string, unknown>>;
  env: Record<string, string>;
  /** the sync log of a record, oldest first */
  history(id: string): Promise<SyncLogEntry[]>;
  /** Responsys calls per API function so far */
  responsysCalls(): Record<string, number>;
  close(): Promise<void>;
}

export async function startOutboundRig(
  options: {
    salesforce?: SalesforceEmulatorOptions;
    responsys?: ResponsysEmulatorOptions;
    env?: Record<string, string>;
  } = {},
): Promise<OutboundRig> {
  const salesforce = await startSalesforceEmulator({
    seed: 31,
    streaming: { longPollTimeoutMs: 1000 },
    ...options.salesforce,
  });
  const responsys = await startResponsysEmulator({ sftp: false, ...options.responsys });
  const emulators: Emulators = {
    salesforce,
    responsys,
    async close() {
      await Promise.allSettled([responsys.close(), salesforce.close()]);
    },
  };
  const database = await createTestDatabase('e2e_outbound');
  const env = bridgeEnv(emulators, database.url, {
    RESPONSYS_EVENT_FILES: responsys.eventFilesDir,
    RESPONSYS_EVENT_FILES_POLL_SECONDS: '3600',
    RESPONSYS_EVENT_FILES_SETTLE_SECONDS: '0',
    BRIDGE_CAMPAIGN_SEGMENT_SCHEDULE: 'off',
    ...options.env,
  });
  const { bridge, lines, metrics } = await startInProcessBridge(env, outboundModules());
  await eventually(
    'the Streaming API subscription',
    () => lines.some((line) => line.msg === `subscribed to ${CHANNEL}`),
    60_000,
  );
  return {
    emulators,
    database,
    bridge,
    metrics,
    lines,
    env,
    history: async (id) => (await bridge.context.store.syncLog.historyFor(id, 200)).reverse(),
    responsysCalls: () => responsys.control.state(['calls']).calls?.total ?? {},
    async close() {
      await bridge.stop();
      await database.drop();
      await emulators.close();
    },
  };
}

/** Responsys members of the profile list whose CUSTOMER_ID_ is `id`. */
export function members(rig: OutboundRig, id: string): Array<Record<string, string | null>> {
  const list = rig.emulators.responsys.control.state(['lists']).lists?.[
    rig.emulators.responsys.profileList.name
  ];
  return (list?.members ?? []).filter((member) => member.CUSTOMER_ID_ === id) as Array<
    Record<string, string | null>
  >;
}

/** The Responsys program entries of a recipient. */
export function programEntries(rig: OutboundRig, riid: string | null | undefined): string[] {
  return rig.emulators.responsys.control
    .programEntries()
    .filter((entry) => String(entry.riid) === String(riid))
    .map((entry) => entry.eventName);
}

export function record<T = Record<string, unknown>>(
  rig: OutboundRig,
  object: string,
  id: string,
  fields: string,
): T {
  return rig.emulators.salesforce.query<T>(`SELECT ${fields} FROM ${object} WHERE Id = '${id}'`)[0]!;
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningBridge } from '../../bridge/src/app.js';
import { engagementModule } from '../../bridge/src/flows/engagement/module.js';
import { CALLBACK_PATH } from '../../bridge/src/flows/engagement/webhook.js';
import { leadStatusModule } from '../../bridge/src/flows/lead-status/module.js';
import { optOutsInboundModule } from '../../bridge/src/flows/opt-outs/inbound-module.js';
import { identityModule } from '../../bridge/src/identity/module.js';
import type { BridgeModule } from '../../bridge/src/module.js';
import type { ResponsysClient } from '../../bridge/src/responsys/client.js';
import { responsysModule } from '../../bridge/src/responsys/module.js';
import type { BridgeMetrics } from '../../bridge/src/shared/metrics.js';
import { startResponsysEmulator, type ResponsysEmulator } from '../emulators/responsys/index.js';
import { startSalesforceEmulator, type SalesforceEmulator } from '../emulators/salesforce/index.js';
import { bridgeEnv, quickSalesforceModule, startInProcessBridge } from './support.js';

// The rig of the inbound end-to-end tests: both emulators in this process (Responsys with its SFTP
// server and quick callback delivery), and a bridge in live mode on them with the inbound flows, its
// log lines kept. People are made the way they exist in production: a Lead or Contact in Salesforce,
// a recipient merged into Responsys through the bridge's own Responsys client.

export const ADMIN_TOKEN = 'inbound-admin-token-0123456789';
export const CALLBACK_USER = 'responsys-callbacks';
export const CALLBACK_PASSWORD = 'callback-password-0123456789';

export interface InboundEmulators {
  salesforce: SalesforceEmulator;
  responsys: ResponsysEmulator;
  filesDir: string;
  close(): Promise<void>;
}

export async function startInboundEmulators(
  options: { readyFiles?: boolean; delimiter?: ',' | ';' | '\t' | '|' } = {},
): Promise<InboundEmulators> {
  const filesDir = await mkdtemp(join(tmpdir(), 'inbound-ced-'));
  const salesforce = await startSalesforceEmulator({ seed: 31, streaming: { longPollTimeoutMs: 1000 } });
  const responsys = await startResponsysEmulator({
    eventFilesDir: filesDir,
    ced: { readyFiles: options.readyFiles ?? false, delimiter: options.delimiter ?? ',' },
    notifications: { retryDelayMs: 50, batchWindowMs: 20 },
  });
  return {
    salesforce,
    responsys,
    filesDir,
    async close() {
      await Promise.allSettled([responsys.close(), salesforce.close()]);
      await rm(filesDir, { recursive: true, force: true });
    },
  };
}

export function inboundEnv(
  emulators: InboundEmulators,
  databaseUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return bridgeEnv(emulators, databaseUrl, {
    RESPONSYS_EVENT_FILES: emulators.responsys.sftpUrl!,
    RESPONSYS_EVENT_FILES_POLL_SECONDS: '1',
    RESPONSYS_EVENT_FILES_SETTLE_SECONDS: '0',
    RESPONSYS_CALLBACK_USERNAME: CALLBACK_USER,
    RESPONSYS_CALLBACK_PASSWORD: CALLBACK_PASSWORD,
    BRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
    BRIDGE_OPT_OUT_RECONCILE_SCHEDULE: 'off',
    ...extra,
  });
}

export function inboundModules(): BridgeModule[] {
  return [
    quickSalesforceModule(),
    responsysModule,
    identityModule,
    engagementModule,
    leadStatusModule,
    optOutsInboundModule,
  ];
}

export interface InboundBridge {
  bridge: RunningBridge;
  lines: Array<Record<string, unknown>>;
  metrics: BridgeMetrics;
  responsys: ResponsysClient;
  callbackUrl: string;
  stop(): Promise<void>;
}

export async function startInboundBridge(env: Record<string, string>): Promise<InboundBridge> {
  const { bridge, lines, metrics } = await startInProcessBridge(env, inboundModules());
  return {
    bridge,
    lines,
    metrics,
    responsys: bridge.context.services.get('responsys'),
    callbackUrl: `${bridge.url}${CALLBACK_PATH}`,
    stop: () => bridge.stop(),
  };
}

/** Registers the bridge's receiver with the Responsys emulator, as an operator does once. */
export async function registerCallback(
  running: Pick<InboundBridge, 'responsys' | 'callbackUrl'>,
): Promise<void> {
  await running.responsys.registerEventNotificationCallback({
    url: running.callbackUrl,
    basicAuth: { userName: CALLBACK_USER, password: CALLBACK_PASSWORD },
    eventTypes: [
      'EMAIL_BOUNCED',
      'EMAIL_CLICKED',
      'EMAIL_COMPLAINT',
      'EMAIL_FAILED',
      'EMAIL_OPTIN',
      'EMAIL_OPTOUT',
      'EMAIL_SKIPPED',
    ],
    batchSize: 50,
  });
}

export interface Person {
  id: string;
  riid: string;
  email: string;
}

/**
 * People who exist on both sides: Leads or Contacts in Salesforce and recipients merged into
 * Responsys (CUSTOMER_ID_ = the record id when `customerId`), optionally linked in the bridge's store.
 */
export async function makePeople(
  emulators: InboundEmulators,
  running: InboundBridge,
  objectType: 'Lead' | 'Contact',
  emails: string[],
  options: {
    customerId?: boolean;
    link?: boolean;
    fields?: Record<string, string | boolean>;
    /** who creates the records (default admin@example.com; the package trigger stamps them Pending) */
    asUser?: string;
    /** write the RIID onto the Salesforce records */
    riidOnRecord?: boolean;
  } = {},
): Promise<Person[]> {
  const ids = emulators.salesforce.insert(
    objectType,
    emails.map((email, index) => ({
      LastName: `Person ${index}`,
      Email: email,
      ...(objectType === 'Lead' ? { Company: 'Inbound Co' } : {}),
      ...options.fields,
    })),
    { asUser: options.asUser ?? 'admin@example.com' },
  );
  const merged = await running.responsys.mergeProfileMembers(
    emails.map((email, index) => ({
      EMAIL_ADDRESS_: email,
      EMAIL_PERMISSION_STATUS_: 'I',
      ...(options.customerId ? { CUSTOMER_ID_: ids[index]! } : {}),
    })),
    { matchColumn: 'EMAIL_ADDRESS_', defaultPermissionStatus: 'OPTIN' },
  );
  const people = emails.map((email, index) => {
    const outcome = merged[index]!;
    if (!outcome.ok) throw new Error(`could not create recipient ${email}: ${outcome.message}`);
    return { id: ids[index]!, riid: outcome.riid, email };
  });
  if (options.riidOnRecord) {
    // as the outbound sync leaves it: the RIID on the record, written by the integration user
    emulators.salesforce.update(
      people.map((person) => ({ Id: person.id, Responsys_RIID__c: person.riid })),
      { asUser: 'bridge@example.com' },
    );
  }
  if (options.link) {
    await running.bridge.context.store.identityLinks.link(
      people.map((person) => ({
        salesforceId: person.id,
        objectType,
        riid: person.riid,
        email: person.email,
      })),
    );
  }
  return people;
}

export interface EngagementRow {
  Id: string;
  Event_Type__c: string;
  Occurred_At__c: string;
  Lead__c: string | null;
  Contact__c: string | null;
  Campaign_Name__c: string | null;
  Responsys_Campaign_Id__c: string | null;
  Launch_Id__c: string | null;
  Offer_Name__c: string | null;
  Offer_Url__c: string | null;
  Detail__c: string | null;
  Event_Key__c: string;
  Correlation_Id__c: string | null;
}

export function engagementOf(emulators: InboundEmulators, recordId: string): EngagementRow[] {
  return emulators.salesforce.query<EngagementRow>(
    'SELECT Id, Event_Type__c, Occurred_At__c, Lead__c, Contact__c, Campaign_Name__c, Responsys_Campaign_Id__c, ' +
      'Launch_Id__c, Offer_Name__c, Offer_Url__c, Detail__c, Event_Key__c, Correlation_Id__c ' +
      `FROM Responsys_Engagement__c WHERE Lead__c = '${recordId}' OR Contact__c = '${recordId}' ORDER BY Occurred_At__c`,
  );
}

export function recordOf<T = Record<string, unknown>>(
  emulators: InboundEmulators,
  objectType: string,
  id: string,
  fields: string[],
): T {
  return emulators.salesforce.query<T>(
    `SELECT ${fields.join(', ')} FROM ${objectType} WHERE Id = '${id}'`,
  )[0]!;
}

export function countEngagement(emulators: InboundEmulators): number {
  return emulators.salesforce.query<{ expr0: number }>('SELECT COUNT() FROM Responsys_Engagement__c')[0]!
    .expr0;
}

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type RunningBridge } from '../../bridge/src/app.js';
import { loadConfig } from '../../bridge/src/config/load.js';
import { OPT_OUTS_INBOUND_FLOW } from '../../bridge/src/flows/engagement/names.js';
import { CALLBACK_PATH } from '../../bridge/src/flows/engagement/webhook.js';
import { PROFILE_SYNC_FLOW } from '../../bridge/src/flows/profile-sync/profile-sync.js';
import { profileSyncModule } from '../../bridge/src/flows/profile-sync/module.js';
import { mappingModule } from '../../bridge/src/mapping/module.js';
import { createLogger } from '../../bridge/src/shared/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  inboundEnv,
  inboundModules,
  recordOf,
  registerCallback,
  startInboundEmulators,
  type InboundEmulators,
} from './inbound-support.js';
import { eventually } from './support.js';

// An opt-out that arrives from Responsys while an update of the same person is waiting in the
// outbound queue: the opt-out reaches Salesforce first (express lane), and the update, when it runs,
// reads the current record and carries the opt-out instead of undoing it. Both systems end opted out,
// and the update still arrives.

let emulators: InboundEmulators;
let database: TestDatabase;
let bridge: RunningBridge;

beforeAll(async () => {
  emulators = await startInboundEmulators();
  database = await createTestDatabase('e2e_inbound_queued_update');
  const config = loadConfig({
    env: { ...inboundEnv(emulators, database.url), BRIDGE_LOG_LEVEL: 'silent' },
    envFile: false,
    cwd: process.cwd(),
  });
  const [salesforce, responsys, identity, ...inbound] = inboundModules();
  bridge = await startBridge(config, {
    modules: [salesforce!, responsys!, identity!, mappingModule, profileSyncModule, ...inbound],
    logger: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) }),
    queue: { maintenanceIntervalSeconds: 1 },
  });
  await registerCallback({
    responsys: bridge.context.services.get('responsys'),
    callbackUrl: `${bridge.url}${CALLBACK_PATH}`,
  });
}, 60_000);

afterAll(async () => {
  await bridge?.stop();
  await database?.drop();
  await emulators?.close();
});

interface ContactState {
  Responsys_RIID__c: string | null;
  HasOptedOutOfEmail: boolean;
  Responsys_Opt_Out_Source__c: string | null;
}

describe('an opt-out while an update of the same person is queued', () => {
  it('reaches Salesforce first, and the queued update carries it to Responsys instead of undoing it', async () => {
    const [contactId] = emulators.salesforce.insert(
      'Contact',
      [{ FirstName: 'Queued', LastName: 'Person', Email: 'queued@race.example', Title: 'Engineer' }],
      { asUser: 'rep@example.com' },
    );
    const { Responsys_RIID__c: riid } = await eventually('the first sync', () => {
      const state = recordOf<ContactState>(emulators, 'Contact', contactId!, ['Responsys_RIID__c']);
      return state.Responsys_RIID__c && state;
    });
    expect(emulators.responsys.control.findMember({ riid: riid! })?.EMAIL_PERMISSION_STATUS_).toBe('I');

    // A new title, whose change waits in the outbound queue (behind a backlog) for two seconds.
    emulators.salesforce.update([{ Id: contactId!, Title: 'VP Engineering' }], {
      asUser: 'bridge@example.com',
    });
    await bridge.context.queue.enqueue(
      PROFILE_SYNC_FLOW,
      {
        objectType: 'Contact',
        recordId: contactId!,
        changeType: 'UPDATE',
        changedFields: ['Title'],
        source: 'test',
      },
      { startAfter: new Date(Date.now() + 2000) },
    );
    // Meanwhile the person unsubscribes in Responsys.
    emulators.responsys.control.injectEngagement([{ type: 'opted_out', recipient: { riid: riid! } }]);

    await eventually(
      'the opt-out in Salesforce',
      () =>
        recordOf<ContactState>(emulators, 'Contact', contactId!, ['HasOptedOutOfEmail']).HasOptedOutOfEmail,
    );
    // Whichever ran first (the express lane normally wins), both systems end opted out and the
    // update still arrives.
    await eventually('the queued update in Responsys, with the opt-out', () => {
      const current = emulators.responsys.control.findMember({ riid: riid! });
      return current?.TITLE === 'VP Engineering' && current.EMAIL_PERMISSION_STATUS_ === 'O';
    });
    expect(
      recordOf<ContactState>(emulators, 'Contact', contactId!, ['Responsys_Opt_Out_Source__c']),
    ).toMatchObject({
      Responsys_Opt_Out_Source__c: 'Responsys',
    });
    await eventually('both in the record history', async () => {
      const history = await bridge.context.store.syncLog.historyFor(contactId!);
      return (
        history.some((entry) => entry.flow === OPT_OUTS_INBOUND_FLOW && entry.outcome === 'succeeded') &&
        history.some((entry) => entry.flow === PROFILE_SYNC_FLOW && entry.outcome === 'succeeded')
      );
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  bridgeEnv,
  CHANNEL,
  eventually,
  recipientsByCustomerId,
  repCreatesLeads,
  startEmulators,
  startInProcessBridge,
  type Emulators,
  type InProcessBridge,
} from './support.js';

// The plumbing, end to end: a rep's save in Salesforce -> the package trigger (modelled by the
// emulator) publishes Responsys_Sync__e -> the bridge's Streaming API subscription queues it -> the
// profile-sync flow reads the record, maps it, matches it and merges it into Responsys -> the Lead
// gets its RIID and sync status back, written by the integration user, which publishes no echo.

let emulators: Emulators;
let database: TestDatabase;
let running: InProcessBridge;

beforeAll(async () => {
  emulators = await startEmulators();
  database = await createTestDatabase('e2e_merge');
  running = await startInProcessBridge(bridgeEnv(emulators, database.url));
  await eventually('the subscription', () =>
    running.lines.some((line) => line.msg === `subscribed to ${CHANNEL}`),
  );
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await database?.drop();
  await emulators?.close();
});

interface LeadState {
  Responsys_RIID__c: string | null;
  Responsys_Sync_Status__c: string | null;
  Responsys_Sync_Error__c: string | null;
  Responsys_Last_Synced_At__c: string | null;
}

function leadState(id: string): LeadState {
  return emulators.salesforce.query<LeadState>(
    `SELECT Responsys_RIID__c, Responsys_Sync_Status__c, Responsys_Sync_Error__c, Responsys_Last_Synced_At__c FROM Lead WHERE Id = '${id}'`,
  )[0]!;
}

describe('a platform event published by a rep save reaches a Responsys merge', () => {
  it('merges a new Lead into the profile list and writes its RIID and Synced status back, with no echo', async () => {
    const [leadId] = repCreatesLeads(emulators, 1, 'e2e-new');
    const synced = await eventually('the Lead to be synced', () => {
      const state = leadState(leadId!);
      return state.Responsys_Sync_Status__c === 'Synced' && state;
    });
    const [recipient] = recipientsByCustomerId(emulators, [leadId!]).get(leadId!) ?? [];
    expect(recipient).toMatchObject({
      EMAIL_ADDRESS_: 'e2e-new0@proof.example',
      FIRST_NAME: 'First0',
      LAST_NAME: 'e2e-new0',
      COMPANY_NAME: 'Proof Co',
      LEAD_SOURCE: 'WEB',
      EMAIL_PERMISSION_STATUS_: 'I',
    });
    expect(synced.Responsys_RIID__c).toBe(recipient!.RIID_);
    expect(synced.Responsys_Last_Synced_At__c).not.toBeNull();
    const pet =
      emulators.responsys.control.state(['lists']).lists?.CONTACTS_LIST?.extensions.SF_SALES_PET ?? [];
    expect(pet.find((row) => row.RIID_ === recipient!.RIID_)).toMatchObject({
      LEAD_STATUS: 'Open - Not Contacted',
    });

    // The write-back was the integration user's: the trigger published nothing for it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const events = emulators.salesforce.streaming
      .retainedEvents(CHANNEL)
      .filter((event) => event.payload.Record_Id__c === leadId);
    expect(events).toHaveLength(1);
    const link = (await running.bridge.context.store.identityLinks.forSalesforceIds([leadId!])).get(leadId!);
    expect(link?.riid).toBe(recipient!.RIID_);
  });

  it('carries an opt-out ticked by the rep to Responsys as permission status O', async () => {
    const [leadId] = repCreatesLeads(emulators, 1, 'e2e-optout');
    await eventually('the first sync', () => leadState(leadId!).Responsys_Sync_Status__c === 'Synced');
    emulators.salesforce.update([{ Id: leadId!, HasOptedOutOfEmail: true }], { asUser: 'rep@example.com' });
    await eventually('the opt-out in Responsys', () => {
      const [recipient] = recipientsByCustomerId(emulators, [leadId!]).get(leadId!) ?? [];
      return recipient?.EMAIL_PERMISSION_STATUS_ === 'O';
    });
    expect(recipientsByCustomerId(emulators, [leadId!]).get(leadId!)).toHaveLength(1);
  });

  it('skips a Lead whose email a Contact already has, and says why on the Lead', async () => {
    emulators.salesforce.insert('Contact', [{ LastName: 'Existing', Email: 'e2e-shared0@proof.example' }], {
      asUser: 'admin@example.com',
    });
    const [leadId] = repCreatesLeads(emulators, 1, 'e2e-shared');
    const state = await eventually('the skip on the Lead', () => {
      const current = leadState(leadId!);
      return current.Responsys_Sync_Status__c === 'Skipped' && current;
    });
    expect(state.Responsys_Sync_Error__c).toMatch(
      /Contact 003\w+ has the same email address and owns the recipient/,
    );
    expect(recipientsByCustomerId(emulators, [leadId!]).get(leadId!)).toBeUndefined();
  });
});

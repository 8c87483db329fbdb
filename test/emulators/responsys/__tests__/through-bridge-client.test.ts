import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResponsysClient } from '../../../../bridge/src/responsys/client.js';
import { apiFunctionNames } from '../../../../bridge/src/responsys/api-functions.js';
import { silentLogger } from '../../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../../bridge/src/shared/metrics.js';
import { apiFunctions, startResponsysEmulator, type ResponsysEmulator } from '../index.js';

// The emulator driven by the bridge's own Responsys client: every function name, answer shape, error
// envelope and quirk the bridge relies on is what the emulator serves. If the emulator drifts from
// what the bridge expects (or the other way round), these fail.

let emulator: ResponsysEmulator;
let client: ResponsysClient;

beforeAll(async () => {
  emulator = await startResponsysEmulator({ sftp: false, demoData: true });
});
afterEach(() => {
  client?.close();
});
afterAll(async () => {
  await emulator.close();
});

function bridgeClient(overrides: Partial<ConstructorParameters<typeof ResponsysClient>[0]> = {}) {
  client = new ResponsysClient({
    loginUrl: emulator.url,
    username: emulator.username,
    password: emulator.password,
    profileList: emulator.profileList.name,
    profileListFolder: emulator.profileList.folderName,
    logger: silentLogger(),
    metrics: new BridgeMetrics(),
    backoff: { baseMs: 10, maxMs: 50 },
    ...overrides,
  });
  return client;
}

const calls = () => emulator.control.state(['calls']).calls!.total;

describe('the Responsys emulator through the bridge client', () => {
  it('names every API function the bridge calls in /rest/api/ratelimit, and the client reads each limit', async () => {
    emulator.control.reset({ demoData: true });
    const reported = new Map(apiFunctions.map((fn) => [fn.api, fn.limit]));
    const bridge = bridgeClient();
    expect(await bridge.refreshRateLimits()).toBe(true);
    for (const fn of apiFunctionNames) {
      expect(reported.has(fn), `the emulator reports no limit for ${fn}`).toBe(true);
      expect(bridge.rateLimitOf(fn), fn).toBe(reported.get(fn));
    }
  });

  it('counts each client call under the function name the client meters it as', async () => {
    emulator.control.reset({ demoData: true });
    const bridge = bridgeClient();
    await bridge.describeProfileList();
    await bridge.listProfileExtensions();
    await bridge.listCustomEvents();
    await bridge.retrieveProfileMembers(['ava.thompson@example.com'], { by: 'EMAIL_ADDRESS_' });
    await bridge.deleteProfileMembers(['nobody@example.com'], { by: 'EMAIL_ADDRESS_' });
    await bridge.mergeSupplementalTable('SF_Sync', 'SF_CAMPAIGN_MEMBERS', [
      { CAMPAIGN_ID: '7', SF_MEMBER_ID: '1' },
    ]);
    await bridge.deleteSupplementalTableRows('SF_Sync', 'SF_CAMPAIGN_MEMBERS', [
      { CAMPAIGN_ID: '7', SF_MEMBER_ID: '1' },
    ]);
    expect(calls()).toEqual({
      login: 1,
      getThrottlingLimits: 1,
      retrieveListFields: 1,
      retrieveProfileExtensions: 1,
      retrieveCustomEvents: 1,
      retrieveListRecipients: 1,
      deleteListRecipients: 1,
      mergeTableMembers: 1,
      deleteTableMembers: 1,
    });
  });

  it('serves the demo account of CONTRACTS.md section 5 as the bridge sees it', async () => {
    emulator.control.reset({ demoData: true });
    const bridge = bridgeClient();
    const list = await bridge.describeProfileList();
    expect(list).toMatchObject({ name: 'CONTACTS_LIST', folderName: 'SF_Sync' });
    expect(list.fields.map((field) => field.name)).toEqual(
      expect.arrayContaining([
        'FIRST_NAME',
        'LAST_NAME',
        'TITLE',
        'PHONE_NUMBER',
        'COMPANY_NAME',
        'LEAD_SOURCE',
      ]),
    );
    const [pet] = await bridge.listProfileExtensions();
    expect(pet!.name).toBe('SF_SALES_PET');
    expect(pet!.fields.map((field) => field.name)).toEqual(
      expect.arrayContaining(['LEAD_STATUS', 'RATING', 'DEPARTMENT']),
    );
    const events = await bridge.listCustomEvents();
    expect(events.map((event) => event.eventName).sort()).toEqual([
      'SF_NEW_WEB_LEAD',
      'SF_OPP_CLOSED_WON',
      'SF_OPP_PROPOSAL',
    ]);
    const found = await bridge.retrieveProfileMembers(
      ['ava.thompson@example.com', 'daniel.novak@example.com'],
      {
        by: 'EMAIL_ADDRESS_',
        fields: ['EMAIL_PERMISSION_STATUS_', 'CUSTOMER_ID_'],
      },
    );
    expect(found.byId.get('ava.thompson@example.com')![0]).toMatchObject({
      EMAIL_PERMISSION_STATUS_: 'I',
      CUSTOMER_ID_: null,
    });
    expect(found.byId.get('daniel.novak@example.com')![0]).toMatchObject({ EMAIL_PERMISSION_STATUS_: 'O' });
  });

  it('links a first sync to the existing demo recipients: a merge on email with CUSTOMER_ID_ keeps their RIIDs', async () => {
    emulator.control.reset({ demoData: true });
    const bridge = bridgeClient();
    const ava = emulator.control.findMember({ email: 'ava.thompson@example.com' })!;
    const [linked, fresh] = await bridge.mergeProfileMembers(
      [
        {
          EMAIL_ADDRESS_: 'ava.thompson@example.com',
          CUSTOMER_ID_: '00Q000000000001AAA',
          EMAIL_PERMISSION_STATUS_: 'I',
        },
        {
          EMAIL_ADDRESS_: 'new.lead@example.com',
          CUSTOMER_ID_: '00Q000000000002AAA',
          EMAIL_PERMISSION_STATUS_: 'I',
        },
      ],
      { matchColumn: 'EMAIL_ADDRESS_', defaultPermissionStatus: 'OPTIN' },
    );
    expect(linked).toEqual({ ok: true, riid: ava.RIID_ });
    expect(fresh!.ok && fresh!.riid).not.toBe(ava.RIID_);
    expect(emulator.control.findMember({ customerId: '00Q000000000001AAA' })?.RIID_).toBe(ava.RIID_);

    const [entered] = await bridge.triggerCustomEvent('SF_NEW_WEB_LEAD', [
      { customerId: '00Q000000000001AAA' },
    ]);
    expect(entered).toEqual({ ok: true, riid: ava.RIID_ });
    expect(emulator.control.programEntries().map((entry) => entry.programName)).toEqual([
      'SF Web Lead Nurture',
    ]);
  });

  it('answers the error envelopes the client parses into codes, statuses and retryability', async () => {
    emulator.control.reset({ demoData: true });
    const bridge = bridgeClient({ maxAttempts: 1 });
    const missingList = await bridge.describeProfileList('NOPE').catch((error: unknown) => error);
    expect(missingList).toMatchObject({ errorCode: 'LIST_NOT_FOUND', httpStatus: 404, retryable: false });
    const [unknownEvent] = await bridge.triggerCustomEvent('NOPE', [{ email: 'ava.thompson@example.com' }]);
    expect(unknownEvent).toMatchObject({ ok: false, code: 'EVENT_NOT_FOUND', scope: 'request' });
    const [badColumn] = await bridge.mergeProfileMembers(
      [{ CUSTOMER_ID_: 'x', EMAIL_PERMISSION_STATUS_: 'I', SHOE_SIZE: '9' }],
      { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' },
    );
    expect(badColumn).toMatchObject({ ok: false, code: 'INVALID_FIELD_NAME', retryable: false });
    const [badRow] = await bridge.mergeProfileExtension('SF_SALES_PET', [{ RIID_: '1', LEAD_STATUS: 'x' }], {
      matchColumn: 'RIID',
    });
    expect(badRow).toMatchObject({ ok: false, scope: 'record' });
    const [wrongFolder] = await bridge.triggerCustomEvent(
      'SF_NEW_WEB_LEAD',
      [{ email: 'ava.thompson@example.com' }],
      {
        folderName: 'Elsewhere',
      },
    );
    expect(wrongFolder).toMatchObject({ ok: false, scope: 'record' });
  });

  it("applies the emulator's faults as the client expects: expired tokens, throttling, server errors, drops", async () => {
    emulator.control.reset({ demoData: true });
    const bridge = bridgeClient({ rateLimitWindowMs: 50 });
    const path = '/rest/api/v1.3/lists/CONTACTS_LIST/members';
    emulator.control.addFault({ path, times: 1, fault: { type: 'expiredToken' } });
    emulator.control.addFault({ path, times: 1, fault: { type: 'throttle' } });
    emulator.control.addFault({ path, times: 1, fault: { type: 'serverError' } });
    emulator.control.addFault({ path, times: 1, fault: { type: 'drop' } });
    const [outcome] = await bridge.mergeProfileMembers(
      [
        {
          CUSTOMER_ID_: '003000000000009AAA',
          EMAIL_ADDRESS_: 'z@example.com',
          EMAIL_PERMISSION_STATUS_: 'I',
        },
      ],
      { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' },
    );
    expect(outcome!.ok).toBe(true);
    expect(calls()).toMatchObject({ login: 2, mergeListRecipients: 5 });
    expect(emulator.control.state(['calls']).calls!.throttled).toMatchObject({ mergeListRecipients: 1 });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { client, mergeBody, type MergeAnswer } from './support.js';

type RecipientResult = { errorMessage: string | null; success: boolean; recipientId: number };

const listName = { folderName: 'SF_Sync', objectName: 'CONTACTS_LIST' };

describe('Responsys custom events and triggered email', () => {
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];
  let clock = Date.parse('2024-06-01T08:00:00Z');
  let riids: number[];

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, now: () => clock });
    ({ api } = await client(emulator));
  });
  beforeEach(async () => {
    emulator.control.reset();
    const merged = await api<MergeAnswer>(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(
        ['EMAIL_ADDRESS_', 'CUSTOMER_ID_'],
        [
          ['ivy@example.com', '00Q000000000001AAA'],
          ['jon@example.com', '00Q000000000002AAA'],
        ],
      ),
    );
    riids = merged.body.recordData.records.map((r) => Number(r[0]));
  });
  afterAll(() => emulator.close());

  const trigger = (event: string, recipients: unknown[]) =>
    api<RecipientResult[]>('POST', `/events/${event}`, {
      customEvent: { eventNumberDataMapping: '', eventDateDataMapping: '', eventStringDataMapping: '' },
      recipientData: recipients,
    });

  it('enters existing recipients into the event program and answers one result per recipient in request order', async () => {
    const answer = await trigger('SF_NEW_WEB_LEAD', [
      {
        recipient: { listName, customerId: '00Q000000000002AAA' },
        optionalData: [{ name: 'SF_OWNER', value: '005A' }],
      },
      { recipient: { listName, emailAddress: 'nobody@example.com' } },
      { recipient: { listName, recipientId: riids[0], emailFormat: 'HTML_FORMAT' } },
      { recipient: { emailAddress: 'ivy@example.com' } },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([
      { errorMessage: null, success: true, recipientId: riids[1] },
      { errorMessage: 'NO_RECIPIENT_FOUND: Recipient Not Found', recipientId: -1, success: false },
      { errorMessage: null, success: true, recipientId: riids[0] },
      { errorMessage: 'PROFILE_LIST_NOT_FOUND', recipientId: -1, success: false },
    ]);
    // Key order differs between success and failure, as recorded.
    expect(Object.keys(answer.body[0]!)).toEqual(['errorMessage', 'success', 'recipientId']);
    expect(Object.keys(answer.body[1]!)).toEqual(['errorMessage', 'recipientId', 'success']);
  });

  it('records who entered which program when, for a test to assert on', async () => {
    await trigger('SF_NEW_WEB_LEAD', [{ recipient: { listName, customerId: '00Q000000000001AAA' } }]);
    clock += 60_000;
    await trigger('SF_OPP_CLOSED_WON', [{ recipient: { listName, emailAddress: 'jon@example.com' } }]);
    expect(emulator.control.programEntries()).toEqual([
      {
        eventName: 'SF_NEW_WEB_LEAD',
        programName: 'SF Web Lead Nurture',
        listName: 'CONTACTS_LIST',
        riid: riids[0],
        customerId: '00Q000000000001AAA',
        emailAddress: 'ivy@example.com',
        optionalData: {},
        enteredAt: '2024-06-01T08:00:00.000Z',
      },
      {
        eventName: 'SF_OPP_CLOSED_WON',
        programName: 'SF Customer Onboarding',
        listName: 'CONTACTS_LIST',
        riid: riids[1],
        customerId: '00Q000000000002AAA',
        emailAddress: 'jon@example.com',
        optionalData: {},
        enteredAt: '2024-06-01T08:01:00.000Z',
      },
    ]);
    const state = await fetch(`${emulator.url}/__control/state?sections=programEntries`).then((r) =>
      r.json(),
    );
    expect(state.programEntries).toHaveLength(2);
  });

  it('rejects a recipient whose list folder is wrong', async () => {
    const answer = await trigger('SF_NEW_WEB_LEAD', [
      {
        recipient: { listName: { folderName: 'Other', objectName: 'CONTACTS_LIST' }, recipientId: riids[0] },
      },
    ]);
    expect(answer.body).toEqual([
      { errorMessage: 'PROFILE_LIST_NOT_FOUND', recipientId: -1, success: false },
    ]);
    expect(emulator.control.programEntries()).toEqual([]);
  });

  it('answers an event the account does not define with 404 EVENT_NOT_FOUND and enters nobody', async () => {
    const answer = await trigger('NO_SUCH_EVENT', [{ recipient: { listName, recipientId: riids[0] } }]);
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ type: '', errorCode: 'EVENT_NOT_FOUND', errorDetails: [] });
    expect(emulator.control.programEntries()).toEqual([]);
  });

  it('rejects more than 200 recipients in one call', async () => {
    const recipients = Array.from({ length: 201 }, () => ({
      recipient: { listName, recipientId: riids[0] },
    }));
    const answer = await trigger('SF_NEW_WEB_LEAD', recipients);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: 'RECIPIENT_LIMIT_EXCEEDED' });
    expect(emulator.control.programEntries()).toEqual([]);
  });

  it('lists the custom events the account defines', async () => {
    const answer = await api<Array<{ eventName: string; description: string; eventType: string }>>(
      'GET',
      '/events',
    );
    expect(answer.body.map((e) => e.eventName)).toEqual([
      'SF_NEW_WEB_LEAD',
      'SF_OPP_PROPOSAL',
      'SF_OPP_CLOSED_WON',
    ]);
    expect(Object.keys(answer.body[0]!)).toEqual(['eventName', 'description', 'eventType']);
  });

  it('triggers a campaign email for existing, deliverable, opted-in recipients and records the send', async () => {
    await api(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(['EMAIL_ADDRESS_', 'EMAIL_PERMISSION_STATUS_'], [['out@example.com', 'O']]),
    );
    const answer = await api<RecipientResult[]>('POST', '/campaigns/SF_Welcome_Series/email', {
      recipientData: [
        { recipient: { emailAddress: 'ivy@example.com' }, optionalData: [{ name: 'OFFER', value: 'x' }] },
        { recipient: { emailAddress: 'ghost@example.com' } },
        { recipient: { emailAddress: 'out@example.com' } },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body[0]).toEqual({ success: true, errorMessage: null, recipientId: riids[0] });
    expect(answer.body[1]).toEqual({
      success: false,
      errorMessage: 'NO_RECIPIENT_FOUND: Recipient Not Found',
      recipientId: -1,
    });
    expect(answer.body[2]).toMatchObject({ success: false, recipientId: -1 });
    const state = emulator.control.state(['emailTriggers', 'engagement']);
    expect(state.emailTriggers).toEqual([
      expect.objectContaining({
        campaignName: 'SF_Welcome_Series',
        riid: riids[0],
        optionalData: { OFFER: 'x' },
      }),
    ]);
    expect(state.engagement).toEqual([expect.objectContaining({ type: 'sent', riid: riids[0] })]);
  });

  it('refuses to email an undeliverable recipient', async () => {
    emulator.control.injectEngagement([
      { type: 'bounced', recipient: { riid: riids[1]! }, bounce: { type: 'hard' } },
    ]);
    const answer = await api<RecipientResult[]>('POST', '/campaigns/SF_Welcome_Series/email', {
      recipientData: [{ recipient: { recipientId: riids[1] } }],
    });
    expect(answer.body).toEqual([
      {
        success: false,
        errorMessage: 'RECIPIENT_STATUS_UNDELIVERABLE: Recipient deliverability status is undeliverable',
        recipientId: -1,
      },
    ]);
  });

  it('merges and triggers with mergeTriggerRecordData, and fails the whole call on a malformed address', async () => {
    const ok = await api<RecipientResult[]>('POST', '/campaigns/SF_Welcome_Series/email', {
      mergeTriggerRecordData: {
        fieldNames: ['EMAIL_ADDRESS_'],
        mergeTriggerRecords: [
          { fieldValues: ['kim@example.com'], optionalData: [{ name: 'FIRST', value: 'Kim' }] },
        ],
      },
      mergeRule: mergeBody([], []).mergeRule,
    });
    expect(ok.status).toBe(200);
    expect(ok.body[0]).toMatchObject({ success: true, errorMessage: null });
    const bad = await api('POST', '/campaigns/SF_Welcome_Series/email', {
      mergeTriggerRecordData: {
        fieldNames: ['EMAIL_ADDRESS_'],
        mergeTriggerRecords: [{ fieldValues: ['kim@'] }],
      },
      mergeRule: mergeBody([], []).mergeRule,
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      type: '',
      title: 'Invalid request parameters',
      errorCode: 'INVALID_PARAMETER',
      detail: 'Record 0 = Bad Email Format\r\n',
      errorDetails: [],
    });
  });

  it('answers an unknown campaign with 404 CAMPAIGN_NOT_FOUND', async () => {
    const answer = await api('POST', '/campaigns/Nope/email', {
      recipientData: [{ recipient: { recipientId: riids[0] } }],
    });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ errorCode: 'CAMPAIGN_NOT_FOUND' });
  });
});

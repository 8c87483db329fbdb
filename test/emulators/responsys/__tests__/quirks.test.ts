import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { call, client, memberByEmail, mergeBody } from './support.js';

// The switches for behaviour the API notes leave unconfirmed, turned away from their defaults.

describe('Responsys emulator quirks switched away from their defaults', () => {
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];

  beforeAll(async () => {
    emulator = await startResponsysEmulator({
      sftp: false,
      quirks: {
        linksOnRetrieve: true,
        defaultPermissionStatusOnUpdate: true,
        complaintOptsOut: true,
        hardBounceMarksUndeliverable: false,
        listFailureLineEnding: '',
        eventListFolderMustMatch: false,
      },
    });
    ({ api } = await client(emulator));
    await api('POST', '/lists/CONTACTS_LIST/members', mergeBody(['EMAIL_ADDRESS_'], [['q@example.com']]));
  });
  afterAll(() => emulator.close());

  it('adds a self link to retrieve answers', async () => {
    const answer = await api<{ links: unknown }>(
      'GET',
      '/lists/CONTACTS_LIST/members?qa=e&id=q%40example.com&fs=RIID_',
    );
    expect(answer.body.links).toEqual([
      { rel: 'self', href: '/rest/api/v1.3/lists/CONTACTS_LIST/members', method: 'GET' },
    ]);
  });

  it('applies defaultPermissionStatus to a matched member that does not send its status', async () => {
    await api(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(['EMAIL_ADDRESS_', 'TITLE'], [['q@example.com', 'VP']], {
        defaultPermissionStatus: 'OPTOUT',
      }),
    );
    expect((await memberByEmail(api, 'q@example.com')).EMAIL_PERMISSION_STATUS_).toBe('O');
  });

  it('opts a complainer out and leaves a hard-bounced address deliverable', async () => {
    await api(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(['EMAIL_ADDRESS_', 'EMAIL_PERMISSION_STATUS_'], [['q@example.com', 'I']]),
    );
    emulator.control.injectEngagement([
      { type: 'complained', recipient: { email: 'q@example.com' } },
      { type: 'bounced', recipient: { email: 'q@example.com' }, bounce: { type: 'hard' } },
    ]);
    expect(await memberByEmail(api, 'q@example.com')).toMatchObject({
      EMAIL_PERMISSION_STATUS_: 'O',
      EMAIL_DELIVERABILITY_STATUS_: 'D',
    });
  });

  it('ends MERGEFAILED rows with the configured line ending', async () => {
    const answer = await api<{ recordData: { records: string[][] } }>(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(['EMAIL_ADDRESS_'], [['broken']]),
    );
    expect(answer.body.recordData.records[0]![0]).toBe(
      'MERGEFAILED: Record 0 = INVALID_PARAMETER: Bad Email Format',
    );
  });

  it('accepts a custom event recipient whose list folder differs', async () => {
    const answer = await api<Array<{ success: boolean }>>('POST', '/events/SF_NEW_WEB_LEAD', {
      recipientData: [
        {
          recipient: {
            listName: { folderName: 'Elsewhere', objectName: 'CONTACTS_LIST' },
            emailAddress: 'q@example.com',
          },
        },
      ],
    });
    expect(answer.body[0]!.success).toBe(true);
  });

  it('renders the internal capacity and free-form error faults as Responsys envelopes', async () => {
    await call(`${emulator.url}/__control/faults`, {
      json: { path: '/rest/api/v1.3/lists', times: 1, fault: { type: 'internalCapacity' } },
    });
    const capacity = await api('GET', '/lists');
    expect(capacity.status).toBe(400);
    expect(capacity.body).toMatchObject({
      type: '',
      errorCode: 'INTERNAL_CAPACITY_LIMIT_EXCEEDED',
      errorDetails: [],
    });
    await call(`${emulator.url}/__control/faults`, {
      json: {
        path: '/rest/api/v1.3/lists',
        times: 1,
        fault: {
          type: 'error',
          params: { status: 401, errorCode: 'API_DISABLED_FOR_USER', title: 'API disabled', detail: '' },
        },
      },
    });
    const disabled = await api('GET', '/lists');
    expect(disabled.status).toBe(401);
    expect(disabled.body).toEqual({
      type: '',
      title: 'API disabled',
      errorCode: 'API_DISABLED_FOR_USER',
      detail: '',
      errorDetails: [],
    });
  });
});

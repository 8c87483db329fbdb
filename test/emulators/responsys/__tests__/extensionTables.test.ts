import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { client, mergeBody, type MergeAnswer } from './support.js';

type PetAnswer = {
  recordData: { fieldNames: string[]; records: Array<Array<string | null>>; mapTemplateName: null };
  insertOnNoMatch: unknown;
  updateOnMatch: unknown;
  matchColumnName1: unknown;
  matchColumnName2: unknown;
  links?: unknown;
};

const PET = '/lists/CONTACTS_LIST/listExtensions/SF_SALES_PET/members';

describe('Responsys profile extension tables (PET)', () => {
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];
  let riids: string[];

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false });
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
          ['gus@example.com', '00Q000000000001AAA'],
          ['hal@example.com', '003000000000002AAA'],
        ],
      ),
    );
    riids = merged.body.recordData.records.map((r) => r[0]!);
  });
  afterAll(() => emulator.close());

  const petMerge = (
    records: Array<Array<string | null>>,
    rule: Record<string, unknown>,
    fieldNames?: string[],
  ) =>
    api<PetAnswer>('POST', PET, {
      recordData: {
        fieldNames: fieldNames ?? ['CUSTOMER_ID_', 'LEAD_STATUS', 'RATING'],
        records,
        mapTemplateName: null,
      },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
      ...rule,
    });

  it('merges rows matched on CUSTOMER_ID (no trailing underscore) and answers the RIIDs with the rule echoed', async () => {
    const answer = await petMerge(
      [
        ['00Q000000000001AAA', 'Open - Not Contacted', 'Hot'],
        ['003000000000002AAA', 'Working - Contacted', 'Warm'],
      ],
      { matchColumnName1: 'CUSTOMER_ID', matchColumnName2: null },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      recordData: { fieldNames: ['RIID_'], records: [[riids[0]], [riids[1]]], mapTemplateName: null },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
      matchColumnName1: 'CUSTOMER_ID',
      matchColumnName2: null,
      links: [{ rel: 'self', href: `/rest/api/v1.3${PET}`, method: 'POST' }],
    });
    const row = emulator.control.state(['lists']).lists!.CONTACTS_LIST!.extensions.SF_SALES_PET!;
    expect(row).toContainEqual({
      RIID_: riids[0],
      LEAD_STATUS: 'Open - Not Contacted',
      RATING: 'Hot',
      DEPARTMENT: null,
    });
  });

  it('refuses a list-style match column with a trailing underscore: "Match Column is null"', async () => {
    const answer = await petMerge([['00Q000000000001AAA', 'Open', 'Hot']], {
      matchColumnName1: 'CUSTOMER_ID_',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      type: '',
      title: 'Invalid request parameters',
      errorCode: 'INVALID_PARAMETER',
      detail: 'Match Column is null',
      errorDetails: [],
    });
  });

  it('accepts the swagger spelling matchColumn as well as matchColumnName1', async () => {
    const answer = await petMerge([[riids[1]!, 'Qualified', 'Cold']], { matchColumn: 'RIID' }, [
      'RIID_',
      'LEAD_STATUS',
      'RATING',
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.recordData.records).toEqual([[riids[1]]]);
  });

  it('fails a row whose field names lack the list merge key, and a row whose recipient does not exist', async () => {
    const noKey = await petMerge([['Open', 'Hot']], { matchColumnName1: 'EMAIL_ADDRESS' }, [
      'LEAD_STATUS',
      'RATING',
    ]);
    expect(noKey.status).toBe(200);
    expect(noKey.body.recordData.records[0]![0]).toMatch(
      /^MERGEFAILED: Record 0 = INVALID_PARAMETER: .*EMAIL_ADDRESS_/,
    );
    const unknown = await petMerge(
      [
        ['nobody@example.com', 'Open', 'Hot'],
        ['gus@example.com', 'Open', 'Hot'],
      ],
      { matchColumnName1: 'EMAIL_ADDRESS' },
      ['EMAIL_ADDRESS_', 'LEAD_STATUS', 'RATING'],
    );
    expect(unknown.body.recordData.records[0]![0]).toMatch(/^MERGEFAILED: Record 0 = RECORD_NOT_FOUND: /);
    expect(unknown.body.recordData.records[1]).toEqual([riids[0]]);
  });

  it('does not insert a PET row with insertOnNoMatch false and leaves rows untouched with NO_UPDATE', async () => {
    const refused = await petMerge([['00Q000000000001AAA', 'Open', 'Hot']], {
      matchColumnName1: 'CUSTOMER_ID',
      insertOnNoMatch: false,
    });
    expect(refused.body.recordData.records[0]![0]).toMatch(/^MERGEFAILED: Record 0 = RECORD_NOT_FOUND/);
    await petMerge([['00Q000000000001AAA', 'Open', 'Hot']], { matchColumnName1: 'CUSTOMER_ID' });
    await petMerge([['00Q000000000001AAA', 'Closed', 'Cold']], {
      matchColumnName1: 'CUSTOMER_ID',
      updateOnMatch: 'NO_UPDATE',
    });
    const read = await api<PetAnswer>('GET', `${PET}/${riids[0]}?fs=LEAD_STATUS,RATING`);
    expect(read.body.recordData.records).toEqual([[riids[0], 'Open', 'Hot']]);
  });

  it('reads PET rows by RIID, by query attribute and with action=get, and 404s an absent row', async () => {
    await petMerge([['00Q000000000001AAA', 'Open', 'Hot']], { matchColumnName1: 'CUSTOMER_ID' });
    const byRiid = await api<PetAnswer>('GET', `${PET}/${riids[0]}?fs=all`);
    expect(byRiid.body.recordData).toEqual({
      fieldNames: ['RIID_', 'LEAD_STATUS', 'RATING', 'DEPARTMENT'],
      records: [[riids[0], 'Open', 'Hot', null]],
      mapTemplateName: null,
    });
    const byEmail = await api<PetAnswer>('GET', `${PET}?qa=e&id=gus%40example.com&fs=RATING`);
    expect(byEmail.body.recordData.records).toEqual([[riids[0], 'Hot']]);
    const byIds = await api<PetAnswer>('POST', `${PET}?action=get`, {
      fieldList: ['LEAD_STATUS'],
      ids: ['00Q000000000001AAA'],
      queryAttribute: 'c',
    });
    expect(byIds.body.recordData.records).toEqual([[riids[0], 'Open']]);
    expect((await api('GET', `${PET}/${riids[1]}?fs=all`)).status).toBe(404);
  });

  it('deletes PET rows, and deleting the list member deletes its PET row too', async () => {
    await petMerge(
      [
        ['00Q000000000001AAA', 'Open', 'Hot'],
        ['003000000000002AAA', 'Open', 'Warm'],
      ],
      { matchColumnName1: 'CUSTOMER_ID' },
    );
    const deleted = await api<PetAnswer>('DELETE', `${PET}/${riids[0]}`);
    expect(deleted.body.recordData.records).toEqual([[riids[0]]]);
    const again = await api<PetAnswer>('DELETE', `${PET}/${riids[0]}`);
    expect(again.body.recordData.records).toEqual([['DELETEFAILED: NO records found for id\n']]);
    await api('DELETE', `/lists/CONTACTS_LIST/members/${riids[1]}`);
    expect((await api('GET', `${PET}/${riids[1]}?fs=all`)).status).toBe(404);
  });

  it('answers an unknown PET with 404', async () => {
    const answer = await api('POST', '/lists/CONTACTS_LIST/listExtensions/NO_PET/members', {});
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ errorCode: 'PROFILE_EXTENSION_NOT_FOUND' });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultAccountDefinition, startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { client } from './support.js';

type TableAnswer = {
  recordData: { fieldNames: string[]; records: Array<Array<string | null>>; mapTemplateName: null };
  insertOnNoMatch: unknown;
  updateOnMatch: unknown;
  matchColumnNames: unknown;
  links?: unknown;
};

const account = defaultAccountDefinition();
account.supplementalTables!.push({
  name: 'WEB_VISITS',
  folderName: 'SF_Sync',
  primaryKey: [],
  fields: [
    { fieldName: 'VISIT_ID', fieldType: 'STR50' },
    { fieldName: 'PAGE', fieldType: 'STR255' },
    { fieldName: 'SECONDS', fieldType: 'INTEGER' },
  ],
});

const MEMBERS = '/folders/SF_Sync/suppData/SF_CAMPAIGN_MEMBERS/members';
const VISITS = '/folders/SF_Sync/suppData/WEB_VISITS/members';
const fields = [
  'CAMPAIGN_ID',
  'SF_MEMBER_ID',
  'CAMPAIGN_NAME',
  'EMAIL_ADDRESS',
  'MEMBER_STATUS',
  'FIRST_ADDED_AT',
];

describe('Responsys supplemental tables', () => {
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, account });
    ({ api } = await client(emulator));
  });
  beforeEach(() => emulator.control.reset());
  afterAll(() => emulator.close());

  const merge = (path: string, body: Record<string, unknown>) => api<TableAnswer>('POST', path, body);
  const row = (member: string, status: string) => [
    '701000000000001AAA',
    member,
    'Spring Webinar',
    `${member}@example.com`,
    status,
    '2024-05-01 10:00:00',
  ];

  it('merges into a table with a primary key and mirrors each request row, as recorded', async () => {
    const records = [row('00v1', 'Sent'), row('00v2', 'Responded')];
    const answer = await merge(MEMBERS, {
      recordData: { fieldNames: fields, records, mapTemplateName: null },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      recordData: { fieldNames: fields, records, mapTemplateName: null },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
      matchColumnNames: null,
      links: [{ rel: 'self', href: `/rest/api/v1.3${MEMBERS}`, method: 'POST' }],
    });
    expect(
      emulator.control.state(['supplementalTables']).supplementalTables!['SF_Sync/SF_CAMPAIGN_MEMBERS'],
    ).toHaveLength(2);
  });

  it('updates the row with the same primary key instead of adding one', async () => {
    const body = (status: string) => ({
      recordData: { fieldNames: fields, records: [row('00v1', status)], mapTemplateName: null },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
    });
    await merge(MEMBERS, body('Sent'));
    await merge(MEMBERS, body('Responded'));
    const rows = emulator.control.state(['supplementalTables']).supplementalTables![
      'SF_Sync/SF_CAMPAIGN_MEMBERS'
    ]!;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ SF_MEMBER_ID: '00v1', MEMBER_STATUS: 'Responded' });
  });

  it('answers matchColumnNames on a table with a primary key with the recorded 400', async () => {
    const answer = await merge(MEMBERS, {
      recordData: { fieldNames: fields, records: [row('00v1', 'Sent')], mapTemplateName: null },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
      matchColumnNames: ['CAMPAIGN_ID'],
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      type: '',
      title: 'Invalid request parameters',
      errorCode: 'INVALID_PARAMETER',
      detail:
        'MatchColumnNames must be null or must not be specified to merge into a table that has primary keys',
      errorDetails: [],
    });
  });

  it('needs every primary key column in the field names', async () => {
    const answer = await merge(MEMBERS, {
      recordData: {
        fieldNames: ['CAMPAIGN_ID', 'MEMBER_STATUS'],
        records: [['701', 'Sent']],
        mapTemplateName: null,
      },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      errorCode: 'INVALID_PARAMETER',
      detail: expect.stringContaining('SF_MEMBER_ID'),
    });
  });

  it('treats field names case-sensitively', async () => {
    const answer = await merge(MEMBERS, {
      recordData: {
        fieldNames: ['campaign_id', 'SF_MEMBER_ID'],
        records: [['701', '00v1']],
        mapTemplateName: null,
      },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      errorCode: 'INVALID_FIELD_NAME',
      detail: expect.stringContaining('campaign_id'),
    });
  });

  it('fails a bad row in a 200 with the message first and empty strings in the other cells', async () => {
    const answer = await merge(VISITS, {
      recordData: {
        fieldNames: ['VISIT_ID', 'PAGE', 'SECONDS'],
        records: [
          ['v1', '/pricing', '1w'],
          ['v2', '/docs', '30'],
        ],
        mapTemplateName: null,
      },
      matchColumnNames: ['VISIT_ID'],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.recordData.records).toEqual([
      ['MERGEFAILED: Record 0 = The value "1w" is not valid for the field type INTEGER\r\n', '', ''],
      ['v2', '/docs', '30'],
    ]);
  });

  it('merges into a table without a primary key by matchColumnNames, enforcing insert and replace', async () => {
    const body = (page: string) => ({
      recordData: { fieldNames: ['VISIT_ID', 'PAGE'], records: [['v9', page]], mapTemplateName: null },
      insertOnNoMatch: false,
      updateOnMatch: 'NO_UPDATE',
      matchColumnNames: ['VISIT_ID'],
    });
    const first = await merge(VISITS, body('/home'));
    expect(first.body).toMatchObject({
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
      matchColumnNames: ['VISIT_ID'],
    });
    await merge(VISITS, body('/pricing'));
    const rows = emulator.control.state(['supplementalTables']).supplementalTables!['SF_Sync/WEB_VISITS']!;
    expect(rows).toEqual([{ VISIT_ID: 'v9', PAGE: '/pricing', SECONDS: null }]);
    const missing = await merge(VISITS, { ...body('/x'), matchColumnNames: undefined });
    expect(missing.status).toBe(400);
  });

  it('retrieves and deletes a row by its primary key, given as qa/id pairs in key order', async () => {
    await merge(MEMBERS, {
      recordData: { fieldNames: fields, records: [row('00v1', 'Sent')], mapTemplateName: null },
      insertOnNoMatch: true,
      updateOnMatch: 'REPLACE_ALL',
    });
    const key = 'qa=CAMPAIGN_ID&id=701000000000001AAA&qa=SF_MEMBER_ID&id=00v1';
    const read = await api<TableAnswer>('GET', `${MEMBERS}?${key}&fs=MEMBER_STATUS,EMAIL_ADDRESS`);
    expect(read.status).toBe(200);
    expect(read.body.recordData).toEqual({
      fieldNames: ['MEMBER_STATUS', 'EMAIL_ADDRESS'],
      records: [['Sent', '00v1@example.com']],
      mapTemplateName: null,
    });
    const wrongOrder = await api(
      'GET',
      `${MEMBERS}?qa=SF_MEMBER_ID&id=00v1&qa=CAMPAIGN_ID&id=701000000000001AAA`,
    );
    expect(wrongOrder.status).toBe(400);
    const deleted = await api<TableAnswer>('DELETE', `${MEMBERS}?${key}`);
    expect(deleted.body.recordData.records).toEqual([['701000000000001AAA', '00v1']]);
    expect((await api('GET', `${MEMBERS}?${key}`)).status).toBe(404);
    const again = await api<TableAnswer>('DELETE', `${MEMBERS}?${key}`);
    expect(again.body.recordData.records[0]![0]).toBe('DELETEFAILED: NO records found for id\n');
  });

  it('answers an unknown table with 404 TABLE_NOT_FOUND', async () => {
    const answer = await api('POST', '/folders/SF_Sync/suppData/NOPE/members', {});
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ errorCode: 'TABLE_NOT_FOUND' });
  });
});

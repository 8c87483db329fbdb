import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultAccountDefinition, startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { client, memberByEmail, mergeBody, type MergeAnswer, type RetrieveAnswer } from './support.js';

const account = defaultAccountDefinition();
account.profileLists[0]!.customFields.push({ fieldName: 'LOYALTY_POINTS', fieldType: 'INTEGER' });

describe('Responsys profile list merge', () => {
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];
  let clock = Date.parse('2024-05-01T10:00:00Z');

  beforeAll(async () => {
    emulator = await startResponsysEmulator({
      sftp: false,
      account,
      now: () => clock,
      rateLimits: { login: 100 },
    });
    ({ api } = await client(emulator));
  });
  beforeEach(() => emulator.control.reset());
  afterAll(() => emulator.close());

  const merge = (body: unknown, list = 'CONTACTS_LIST') =>
    api<MergeAnswer>('POST', `/lists/${list}/members`, body);

  it('inserts new recipients and answers one RIID per record in request order, with the links of the recording', async () => {
    const answer = await merge(
      mergeBody(
        ['EMAIL_ADDRESS_', 'CUSTOMER_ID_', 'FIRST_NAME'],
        [
          ['ann@example.com', '00Q000000000001AAA', 'Ann'],
          ['bob@example.com', '00Q000000000002AAA', 'Bob'],
        ],
      ),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.recordData.fieldNames).toEqual(['RIID_']);
    expect(answer.body.recordData.mapTemplateName).toBeNull();
    const [[ann], [bob]] = answer.body.recordData.records as [[string], [string]];
    expect(ann).toMatch(/^\d+$/);
    expect(bob).toMatch(/^\d+$/);
    expect((await memberByEmail(api, 'ann@example.com')).RIID_).toBe(ann);
    expect((await memberByEmail(api, 'bob@example.com')).RIID_).toBe(bob);
    expect(answer.body.links).toEqual([
      { rel: 'self', href: '/rest/api/v1.3/lists/CONTACTS_LIST/members', method: 'POST' },
      {
        rel: 'retrieveListRecipientsRIID',
        href: '/rest/api/v1.3/lists/CONTACTS_LIST/members/<riid>',
        method: 'GET',
      },
      {
        rel: 'deleteListRecipientsRIID',
        href: '/rest/api/v1.3/lists/CONTACTS_LIST/members/<riid>',
        method: 'DELETE',
      },
    ]);
  });

  it('echoes all 12 merge rule keys, null for the ones not sent', async () => {
    const answer = await merge({
      recordData: { fieldNames: ['EMAIL_ADDRESS_'], records: [['echo@example.com']], mapTemplateName: null },
      mergeRule: { matchColumnName1: 'EMAIL_ADDRESS_', insertOnNoMatch: true },
    });
    expect(answer.body.mergeRule).toEqual({
      textValue: null,
      htmlValue: null,
      optinValue: null,
      insertOnNoMatch: true,
      updateOnMatch: null,
      matchColumnName1: 'EMAIL_ADDRESS_',
      matchColumnName2: null,
      matchOperator: null,
      optoutValue: null,
      rejectRecordIfChannelEmpty: null,
      defaultPermissionStatus: null,
      matchColumnName3: null,
    });
  });

  it('upserts: merging the same email again updates the recipient and keeps its RIID', async () => {
    const first = await merge(mergeBody(['EMAIL_ADDRESS_', 'FIRST_NAME'], [['same@example.com', 'Old']]));
    clock += 5_000;
    const second = await merge(mergeBody(['email_address_', 'first_name'], [['SAME@example.com', 'New']]));
    expect(second.body.recordData.records[0]![0]).toBe(first.body.recordData.records[0]![0]);
    const member = await memberByEmail(api, 'same@example.com');
    expect(member.FIRST_NAME).toBe('New');
    expect(member.EMAIL_ADDRESS_).toBe('SAME@example.com');
    expect(member.CREATED_DATE_).toBe('2024-05-01 10:00:00.0');
    expect(member.MODIFIED_DATE_).toBe('2024-05-01 10:00:05.0');
  });

  it('fills the system columns on insert: permission, format, deliverability, domain and hashes', async () => {
    await merge(mergeBody(['EMAIL_ADDRESS_', 'CUSTOMER_ID_'], [['Cleo@Example.com', '003000000000001AAA']]));
    const member = await memberByEmail(api, 'cleo@example.com');
    expect(member).toMatchObject({
      CUSTOMER_ID_: '003000000000001AAA',
      EMAIL_PERMISSION_STATUS_: 'I',
      EMAIL_FORMAT_: 'H',
      EMAIL_DELIVERABILITY_STATUS_: 'D',
      EMAIL_DOMAIN_: 'example.com',
      // Hashes of the normalized (trimmed, lower-case) address.
      EMAIL_MD5_HASH_: createHash('md5').update('cleo@example.com').digest('hex'),
      EMAIL_SHA256_HASH_: createHash('sha256').update('cleo@example.com').digest('hex'),
    });
    expect(member.CREATED_SOURCE_IP_).toMatch(/127\.0\.0\.1/);
  });

  it('applies OPTOUT when defaultPermissionStatus is omitted, and OPTIN when asked', async () => {
    await merge({
      recordData: { fieldNames: ['EMAIL_ADDRESS_'], records: [['quiet@example.com']], mapTemplateName: null },
      mergeRule: { matchColumnName1: 'EMAIL_ADDRESS_' },
    });
    await merge(mergeBody(['EMAIL_ADDRESS_'], [['loud@example.com']], { defaultPermissionStatus: 'OPTIN' }));
    expect((await memberByEmail(api, 'quiet@example.com')).EMAIL_PERMISSION_STATUS_).toBe('O');
    expect((await memberByEmail(api, 'loud@example.com')).EMAIL_PERMISSION_STATUS_).toBe('I');
  });

  it('translates the optin/optout and html/text values of the rule into I/O and H/T', async () => {
    await merge(
      mergeBody(
        ['EMAIL_ADDRESS_', 'EMAIL_PERMISSION_STATUS_', 'EMAIL_FORMAT_'],
        [
          ['yes@example.com', '1', 'html'],
          ['no@example.com', '0', 'text'],
          ['odd@example.com', 'maybe', 'html'],
        ],
        { optinValue: '1', optoutValue: '0', htmlValue: 'html', textValue: 'text' },
      ),
    ).then((answer) => {
      expect(answer.body.recordData.records[2]![0]).toMatch(
        /^MERGEFAILED: Record 2 = INVALID_PARAMETER: .*EMAIL_PERMISSION_STATUS_.*\r\n$/,
      );
    });
    expect(await memberByEmail(api, 'yes@example.com')).toMatchObject({
      EMAIL_PERMISSION_STATUS_: 'I',
      EMAIL_FORMAT_: 'H',
    });
    expect(await memberByEmail(api, 'no@example.com')).toMatchObject({
      EMAIL_PERMISSION_STATUS_: 'O',
      EMAIL_FORMAT_: 'T',
    });
  });

  it('keeps a matched recipient untouched with updateOnMatch NO_UPDATE but still returns its RIID', async () => {
    const first = await merge(mergeBody(['EMAIL_ADDRESS_', 'FIRST_NAME'], [['keep@example.com', 'Kept']]));
    const second = await merge(
      mergeBody(['EMAIL_ADDRESS_', 'FIRST_NAME'], [['keep@example.com', 'Changed']], {
        updateOnMatch: 'NO_UPDATE',
      }),
    );
    expect(second.body.recordData.records[0]![0]).toBe(first.body.recordData.records[0]![0]);
    expect((await memberByEmail(api, 'keep@example.com')).FIRST_NAME).toBe('Kept');
  });

  it('fails only the unmatched record with insertOnNoMatch false, merging the rest of the call', async () => {
    await merge(mergeBody(['EMAIL_ADDRESS_'], [['there@example.com']]));
    const answer = await merge(
      mergeBody(
        ['EMAIL_ADDRESS_', 'TITLE'],
        [
          ['missing@example.com', 'CEO'],
          ['there@example.com', 'CTO'],
        ],
        {
          insertOnNoMatch: false,
        },
      ),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.recordData.records[0]![0]).toMatch(/^MERGEFAILED: Record 0 = RECORD_NOT_FOUND: /);
    expect(answer.body.recordData.records[1]![0]).toMatch(/^\d+$/);
    expect((await memberByEmail(api, 'there@example.com')).TITLE).toBe('CTO');
    expect(
      (await api('GET', '/lists/CONTACTS_LIST/members?qa=e&id=missing%40example.com&fs=all')).status,
    ).toBe(404);
  });

  it('turns bad values into MERGEFAILED rows without sinking the other 199 records', async () => {
    const records: Array<Array<string | null>> = Array.from({ length: 200 }, (_, i) => [
      `bulk${i}@example.com`,
      String(i),
      'Ok',
    ]);
    records[17] = ['not-an-email', '1', 'Bad'];
    records[42] = ['points@example.com', '12x', 'Bad'];
    records[99] = ['long@example.com', '1', 'x'.repeat(51)];
    const answer = await merge(mergeBody(['EMAIL_ADDRESS_', 'LOYALTY_POINTS', 'TITLE'], records));
    const rows = answer.body.recordData.records.map((r) => r[0]!);
    expect(rows[17]).toBe('MERGEFAILED: Record 17 = INVALID_PARAMETER: Bad Email Format\r\n');
    expect(rows[42]).toBe(
      'MERGEFAILED: Record 42 = INVALID_PARAMETER: The value "12x" is not valid for the field type INTEGER\r\n',
    );
    expect(rows[99]).toMatch(/^MERGEFAILED: Record 99 = INVALID_PARAMETER: .*maximum length of 50.*STR50/);
    expect(rows.filter((r) => /^\d+$/.test(r))).toHaveLength(197);
    const count = await api<{ count: number }>('GET', '/lists/CONTACTS_LIST/members/count');
    expect(count.body.count).toBe(197);
  });

  it('rejects more than 200 records in one call with a 400 envelope', async () => {
    const records = Array.from({ length: 201 }, (_, i) => [`r${i}@example.com`]);
    const answer = await merge(mergeBody(['EMAIL_ADDRESS_'], records));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ type: '', errorCode: 'RECIPIENT_LIMIT_EXCEEDED', errorDetails: [] });
  });

  it('answers request-level problems with 400 envelopes: empty field list, unknown field, bad match column', async () => {
    const empty = await merge(mergeBody([], [[]]));
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({
      type: '',
      title: 'Invalid request parameters',
      errorCode: 'INVALID_PARAMETER',
      detail: 'FieldList is null OR empty',
      errorDetails: [],
    });
    const unknown = await merge(mergeBody(['EMAIL_ADDRESS_', 'SHOE_SIZE'], [['a@example.com', '42']]));
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      errorCode: 'INVALID_FIELD_NAME',
      detail: expect.stringContaining('SHOE_SIZE'),
    });
    const badMatch = await merge(
      mergeBody(['EMAIL_ADDRESS_'], [['a@example.com']], { matchColumnName1: 'FIRST_NAME' }),
    );
    expect(badMatch.status).toBe(400);
    expect(badMatch.body).toMatchObject({ errorCode: 'INVALID_PARAMETER' });
    const noRule = await api('POST', '/lists/CONTACTS_LIST/members', {
      recordData: { fieldNames: ['EMAIL_ADDRESS_'], records: [['a@example.com']] },
    });
    expect(noRule.status).toBe(400);
  });

  it('answers a merge into an unknown list with 404 LIST_NOT_FOUND', async () => {
    const answer = await merge(mergeBody(['EMAIL_ADDRESS_'], [['a@example.com']]), 'NO_SUCH_LIST');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ errorCode: 'LIST_NOT_FOUND' });
  });

  it('matches on CUSTOMER_ID_ first and falls back to EMAIL_ADDRESS_ with matchOperator NONE', async () => {
    await merge(mergeBody(['EMAIL_ADDRESS_', 'FIRST_NAME'], [['fallback@example.com', 'Before']]));
    const rule = {
      matchColumnName1: 'CUSTOMER_ID_',
      matchColumnName2: 'EMAIL_ADDRESS_',
      matchOperator: 'NONE',
    };
    const answer = await merge(
      mergeBody(
        ['CUSTOMER_ID_', 'EMAIL_ADDRESS_', 'FIRST_NAME'],
        [['00Q00000000000AAAA', 'fallback@example.com', 'After']],
        rule,
      ),
    );
    const member = await memberByEmail(api, 'fallback@example.com');
    expect(member.RIID_).toBe(answer.body.recordData.records[0]![0]);
    expect(member).toMatchObject({ CUSTOMER_ID_: '00Q00000000000AAAA', FIRST_NAME: 'After' });
  });

  it('requires both match columns to agree with matchOperator AND, inserting otherwise', async () => {
    await merge(mergeBody(['EMAIL_ADDRESS_', 'CUSTOMER_ID_'], [['and@example.com', 'C-1']]));
    const rule = {
      matchColumnName1: 'EMAIL_ADDRESS_',
      matchColumnName2: 'CUSTOMER_ID_',
      matchOperator: 'AND',
    };
    await merge(mergeBody(['EMAIL_ADDRESS_', 'CUSTOMER_ID_'], [['and@example.com', 'C-2']], rule));
    const count = await api<{ count: number }>(
      'GET',
      '/lists/CONTACTS_LIST/members/count?qa=e&id=and%40example.com',
    );
    expect(count.body.count).toBe(2);
  });

  it('rejects a record whose channel column is empty when rejectRecordIfChannelEmpty names it', async () => {
    const answer = await merge(
      mergeBody(
        ['CUSTOMER_ID_', 'EMAIL_ADDRESS_', 'MOBILE_NUMBER_'],
        [
          ['C-10', 'm1@example.com', null],
          ['C-11', 'm2@example.com', '+4915112345678'],
        ],
        { matchColumnName1: 'CUSTOMER_ID_', rejectRecordIfChannelEmpty: 'E,M' },
      ),
    );
    expect(answer.body.recordData.records[0]![0]).toMatch(
      /^MERGEFAILED: Record 0 = INVALID_PARAMETER: .*MOBILE_NUMBER_/,
    );
    expect(answer.body.recordData.records[1]![0]).toMatch(/^\d+$/);
  });

  it('always checks the channel of matchColumnName1: an empty email fails its record', async () => {
    const answer = await merge(mergeBody(['EMAIL_ADDRESS_', 'FIRST_NAME'], [[null, 'Nobody']]));
    expect(answer.body.recordData.records[0]![0]).toMatch(
      /^MERGEFAILED: Record 0 = INVALID_PARAMETER: .*EMAIL_ADDRESS_/,
    );
  });

  it('matches on an email hash for updates only, and refuses insertOnNoMatch with a hash column', async () => {
    await merge(mergeBody(['EMAIL_ADDRESS_', 'FIRST_NAME'], [['hash@example.com', 'Before']]));
    const { EMAIL_SHA256_HASH_: hash } = await memberByEmail(api, 'hash@example.com');
    const refused = await merge(
      mergeBody(['EMAIL_SHA256_HASH_', 'FIRST_NAME'], [[hash!, 'After']], {
        matchColumnName1: 'EMAIL_SHA256_HASH_',
      }),
    );
    expect(refused.status).toBe(400);
    const updated = await merge(
      mergeBody(['EMAIL_SHA256_HASH_', 'FIRST_NAME'], [[hash!, 'After']], {
        matchColumnName1: 'EMAIL_SHA256_HASH_',
        insertOnNoMatch: false,
      }),
    );
    expect(updated.status).toBe(200);
    expect((await memberByEmail(api, 'hash@example.com')).FIRST_NAME).toBe('After');
  });

  it('merges through the HA path with the same answer but only the self link', async () => {
    const answer = await api<MergeAnswer>(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(['EMAIL_ADDRESS_'], [['ha@example.com']]),
    );
    const ha = await fetch(`${emulator.url}/rest/haApi/v1.3/lists/CONTACTS_LIST/members`, {
      method: 'POST',
      headers: { Authorization: (await client(emulator)).token, 'Content-Type': 'application/json' },
      body: JSON.stringify(mergeBody(['EMAIL_ADDRESS_'], [['ha@example.com']])),
    }).then((r) => r.json() as Promise<MergeAnswer>);
    expect(ha.recordData.records).toEqual(answer.body.recordData.records);
    expect(ha.links).toEqual([
      { rel: 'self', href: '/rest/haApi/v1.3/lists/CONTACTS_LIST/members', method: 'POST' },
    ]);
  });
});

describe('Responsys profile list retrieve, count and delete', () => {
  let emulator: ResponsysEmulator;
  let api: Awaited<ReturnType<typeof client>>['api'];
  let riids: string[];

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, rateLimits: { login: 100 } });
    ({ api } = await client(emulator));
  });
  beforeEach(async () => {
    emulator.control.reset();
    const answer = await api<MergeAnswer>(
      'POST',
      '/lists/CONTACTS_LIST/members',
      mergeBody(
        ['EMAIL_ADDRESS_', 'CUSTOMER_ID_', 'FIRST_NAME', 'LAST_NAME'],
        [
          ['dana@example.com', 'C-1', 'Dana', 'Diaz'],
          ['eli@example.com', 'C-2', 'Eli', 'Evans'],
          ['fay@example.com', 'C-3', 'Fay', 'Fox'],
        ],
      ),
    );
    riids = answer.body.recordData.records.map((r) => r[0]!);
  });
  afterAll(() => emulator.close());

  it('retrieves by RIID with a field selection, RIID_ first, values as strings and empty columns as null', async () => {
    const answer = await api<RetrieveAnswer>(
      'GET',
      `/lists/CONTACTS_LIST/members/${riids[0]}?fs=first_name,CUSTOMER_ID_,TITLE`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.recordData).toEqual({
      fieldNames: ['RIID_', 'FIRST_NAME', 'CUSTOMER_ID_', 'TITLE'],
      records: [[riids[0], 'Dana', 'C-1', null]],
      mapTemplateName: null,
    });
    expect(answer.body.mergeRule).toMatchObject({
      insertOnNoMatch: false,
      matchColumnName1: null,
      updateOnMatch: null,
    });
    expect(Object.keys(answer.body.mergeRule)).toHaveLength(12);
  });

  it('retrieves by query attribute (email, customer id) and answers an unknown one with 404 RECORD_NOT_FOUND', async () => {
    const byCustomer = await api<RetrieveAnswer>(
      'GET',
      '/lists/CONTACTS_LIST/members?qa=c&id=C-2&fs=EMAIL_ADDRESS_',
    );
    expect(byCustomer.body.recordData.records).toEqual([[riids[1], 'eli@example.com']]);
    const missing = await api('GET', '/lists/CONTACTS_LIST/members?qa=e&id=nobody%40example.com&fs=all');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ errorCode: 'RECORD_NOT_FOUND', type: '', errorDetails: [] });
  });

  it('rejects a missing, unknown or over-long field selection', async () => {
    expect((await api('GET', `/lists/CONTACTS_LIST/members/${riids[0]}`)).status).toBe(400);
    const unknown = await api('GET', `/lists/CONTACTS_LIST/members/${riids[0]}?fs=SHOE_SIZE`);
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ errorCode: 'INVALID_FIELD_NAME' });
    const long = await api('GET', `/lists/CONTACTS_LIST/members/${riids[0]}?fs=${'FIRST_NAME,'.repeat(15)}`);
    expect(long.status).toBe(400);
  });

  it('retrieves several recipients with action=get in one call', async () => {
    const answer = await api<RetrieveAnswer>('POST', '/lists/CONTACTS_LIST/members?action=get', {
      fieldList: ['FIRST_NAME'],
      ids: ['fay@example.com', 'unknown@example.com', 'dana@example.com'],
      queryAttribute: 'e',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.recordData.records).toEqual([
      [riids[2], 'Fay'],
      [riids[0], 'Dana'],
    ]);
  });

  it('counts all recipients or those matching a query attribute', async () => {
    const all = await api<{ count: number; links: unknown[] }>('GET', '/lists/CONTACTS_LIST/members/count');
    expect(all.body.count).toBe(3);
    expect(all.body.links).toEqual([
      { rel: 'self', href: '/rest/api/v1.3/lists/CONTACTS_LIST/members/count', method: 'GET' },
    ]);
    const one = await api<{ count: number }>('GET', '/lists/CONTACTS_LIST/members/count?qa=c&id=C-3');
    expect(one.body.count).toBe(1);
  });

  it('deletes by RIID, answering DELETEFAILED in a 200 when nothing matches', async () => {
    const deleted = await api<RetrieveAnswer>('DELETE', `/lists/CONTACTS_LIST/members/${riids[0]}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.recordData).toEqual({
      fieldNames: ['RIID_'],
      records: [[riids[0]]],
      mapTemplateName: null,
    });
    const again = await api<RetrieveAnswer>('DELETE', `/lists/CONTACTS_LIST/members/${riids[0]}`);
    expect(again.status).toBe(200);
    expect(again.body.recordData.records).toEqual([['DELETEFAILED: NO records found for id\n']]);
    expect((await api('GET', `/lists/CONTACTS_LIST/members/${riids[0]}?fs=all`)).status).toBe(404);
  });

  it('deletes by query attribute, reporting matched and remaining counts', async () => {
    const answer = await api<Record<string, unknown>>('DELETE', '/lists/CONTACTS_LIST/members?qa=c&id=C-2');
    expect(answer.body).toMatchObject({
      recordData: { fieldNames: ['RIID_'], records: [[riids[1]]], mapTemplateName: null },
      totalMatchedRecords: 1,
      remainingRecordCount: 0,
      hasMoreRecords: false,
    });
  });

  it('deletes several recipients with action=delete, with a DELETEFAILED row per unknown id', async () => {
    const answer = await api<RetrieveAnswer>('POST', '/lists/CONTACTS_LIST/members?action=delete', {
      queryAttribute: 'c',
      ids: ['C-3', 'C-404'],
    });
    expect(answer.body.recordData.records).toEqual([[riids[2]], ['DELETEFAILED: NO records found for id\n']]);
    const count = await api<{ count: number }>('GET', '/lists/CONTACTS_LIST/members/count');
    expect(count.body.count).toBe(2);
  });

  it('lists the profile lists, their fields with API types, and their extension tables', async () => {
    const lists = await api<
      Array<{ name: string; folderName: string; fields: Array<{ fieldName: string; fieldType: string }> }>
    >('GET', '/lists');
    expect(lists.body.map((l) => [l.name, l.folderName])).toEqual([['CONTACTS_LIST', 'SF_Sync']]);
    const fields = await api<{ name: string; fields: Array<{ fieldName: string; fieldType: string }> }>(
      'GET',
      '/lists/CONTACTS_LIST/fields',
    );
    expect(fields.body.fields).toContainEqual({ fieldName: 'RIID_', fieldType: 'INTEGER' });
    expect(fields.body.fields).toContainEqual({ fieldName: 'EMAIL_PERMISSION_STATUS_', fieldType: 'CHAR' });
    expect(fields.body.fields).toContainEqual({ fieldName: 'MODIFIED_DATE_', fieldType: 'TIMESTAMP' });
    expect(fields.body.fields.map((f) => f.fieldName)).toEqual(
      expect.arrayContaining([
        'FIRST_NAME',
        'LAST_NAME',
        'TITLE',
        'PHONE_NUMBER',
        'COMPANY_NAME',
        'LEAD_SOURCE',
      ]),
    );
    const pets = await api('GET', '/lists/CONTACTS_LIST/listExtensions');
    expect(pets.body).toEqual([
      {
        profileExtension: { objectName: 'SF_SALES_PET', folderName: 'SF_Sync' },
        fields: [
          { fieldName: 'RIID_', fieldType: 'INTEGER' },
          { fieldName: 'LEAD_STATUS', fieldType: 'STR100' },
          { fieldName: 'RATING', fieldType: 'STR50' },
          { fieldName: 'DEPARTMENT', fieldType: 'STR100' },
        ],
      },
    ]);
  });
});

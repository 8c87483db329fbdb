import type { Connection } from 'jsforce';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../index.js';
import { api, jwtConnection, startEmulator } from './helpers.js';

let emulator: SalesforceEmulator;
let conn: Connection;
let token: string;

beforeAll(async () => {
  emulator = await startEmulator();
  conn = await jwtConnection(emulator);
  token = conn.accessToken!;
});

beforeEach(() => emulator.reset());

afterAll(async () => {
  await emulator.close();
});

const ROLLED_BACK = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message: 'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};

describe('sObject Collections through jsforce', () => {
  it('creates records with per-record results in order; one bad record does not sink the others', async () => {
    const results = await conn
      .sobject('Lead')
      .create([
        { LastName: 'One', Company: 'C' },
        { LastName: 'Two' },
        { LastName: 'Three', Company: 'C', Email: 'bad@' },
        { LastName: 'Four', Company: 'C' },
      ]);
    expect(results.map((r) => r.success)).toEqual([true, false, false, true]);
    expect(results[1]).toEqual({
      success: false,
      errors: [
        {
          statusCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [Company]',
          fields: ['Company'],
        },
      ],
    });
    expect(results[1]).not.toHaveProperty('id');
    expect(results[2]!.errors).toEqual([
      {
        statusCode: 'INVALID_EMAIL_ADDRESS',
        message: 'Email: invalid email address: bad@',
        fields: ['Email'],
      },
    ]);
    expect(emulator.query("SELECT Id FROM Lead WHERE Company = 'C'")).toHaveLength(2);
  });

  it('rolls back every record with allOrNone and reports the others as rolled back', async () => {
    const results = await conn
      .sobject('Lead')
      .create([{ LastName: 'One', Company: 'C' }, { LastName: 'Two' }], { allOrNone: true });
    expect(results[0]).toEqual({ success: false, errors: [ROLLED_BACK] });
    expect(results[1]!.errors).toEqual([expect.objectContaining({ statusCode: 'REQUIRED_FIELD_MISSING' })]);
    expect(emulator.query("SELECT Id FROM Lead WHERE Company = 'C'")).toHaveLength(0);

    const [a, b] = emulator.insert('Lead', [
      { LastName: 'A', Company: 'C' },
      { LastName: 'B', Company: 'C' },
    ]);
    const updates = await conn.sobject('Lead').update(
      [
        { Id: a!, Title: 'Changed' },
        { Id: b!, Email: 'nope' },
      ],
      { allOrNone: true },
    );
    expect(updates[0]).toEqual({ id: a, success: false, errors: [ROLLED_BACK] });
    expect(
      emulator.query<{ Title: string | null }>(`SELECT Title FROM Lead WHERE Id = '${a}'`)[0]!.Title,
    ).toBeNull();
  });

  it('upserts by external id with created flags and rejects a repeated external id in one call', async () => {
    emulator.insert('Contact', [{ LastName: 'Existing', Responsys_RIID__c: 'R-1' }]);
    const results = await conn.sobject('Contact').upsert(
      [
        { Responsys_RIID__c: 'R-1', Title: 'Updated' },
        { Responsys_RIID__c: 'R-2', LastName: 'New' },
      ],
      'Responsys_RIID__c',
    );
    expect(results).toEqual([
      expect.objectContaining({ success: true, created: false }),
      expect.objectContaining({ success: true, created: true }),
    ]);
    const dup = await conn.sobject('Contact').upsert(
      [
        { Responsys_RIID__c: 'R-9', LastName: 'X' },
        { Responsys_RIID__c: 'R-9', LastName: 'Y' },
      ],
      'Responsys_RIID__c',
    );
    // Salesforce sends statusCode in per-record errors (jsforce's SaveError type says errorCode).
    expect(dup.map((r) => (r.errors[0] as unknown as { statusCode: string }).statusCode)).toEqual([
      'DUPLICATE_EXTERNAL_ID',
      'DUPLICATE_EXTERNAL_ID',
    ]);
  });

  it('deletes and retrieves several records, with per-record errors for deleted ids', async () => {
    const [a, b] = emulator.insert('Lead', [
      { LastName: 'A', Company: 'C' },
      { LastName: 'B', Company: 'C' },
    ]);
    const records = await conn.sobject('Lead').retrieve([a!, b!], { fields: ['LastName'] });
    expect(records.map((r) => r?.LastName)).toEqual(['A', 'B']);
    expect(await conn.sobject('Lead').destroy([a!])).toEqual([{ id: a, success: true, errors: [] }]);
    const again = await conn.sobject('Lead').destroy([a!, b!]);
    expect(again).toEqual([
      {
        success: false,
        errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
      },
      { id: b, success: true, errors: [] },
    ]);
  });
});

describe('sObject Collections limits and shapes', () => {
  it('refuses more than 200 records with EXCEEDED_ID_LIMIT', async () => {
    const records = Array.from({ length: 201 }, (_, i) => ({
      attributes: { type: 'Lead' },
      LastName: `L${i}`,
      Company: 'C',
    }));
    const result = await api(emulator, token, 'POST', '/composite/sobjects', { allOrNone: false, records });
    expect(result).toMatchObject({
      status: 400,
      body: [
        {
          errorCode: 'EXCEEDED_ID_LIMIT',
          message: 'record limit reached. cannot submit more than 200 records into this call',
        },
      ],
    });
  });

  it('fails the whole request when one record cannot be deserialized', async () => {
    const result = await api<Array<{ errorCode: string }>>(emulator, token, 'POST', '/composite/sobjects', {
      records: [
        { attributes: { type: 'Lead' }, LastName: 'Good', Company: 'C' },
        { attributes: { type: 'Lead' }, LastName: 'Bad', Company: 'C', NumberOfEmployees: 'many' },
      ],
    });
    expect(result.status).toBe(400);
    expect(result.body[0]!.errorCode).toBe('JSON_PARSER_ERROR');
    expect(emulator.query("SELECT Id FROM Lead WHERE Company = 'C'")).toHaveLength(0);
  });

  it('injects lock errors per record through the fault plan', async () => {
    emulator.org.faults.add({
      method: 'POST',
      path: '/services/data/*/composite/sobjects',
      times: 1,
      fault: { type: 'UNABLE_TO_LOCK_ROW' },
    });
    const records = [
      { attributes: { type: 'Lead' }, LastName: 'A', Company: 'C' },
      { attributes: { type: 'Lead' }, LastName: 'B', Company: 'C' },
    ];
    const locked = await api<Array<{ success: boolean; errors: unknown[] }>>(
      emulator,
      token,
      'POST',
      '/composite/sobjects',
      { records },
    );
    expect(locked.status).toBe(200);
    expect(locked.body).toEqual([
      {
        success: false,
        errors: [
          {
            statusCode: 'UNABLE_TO_LOCK_ROW',
            message: 'unable to obtain exclusive access to this record',
            fields: [],
          },
        ],
      },
      {
        success: false,
        errors: [
          {
            statusCode: 'UNABLE_TO_LOCK_ROW',
            message: 'unable to obtain exclusive access to this record',
            fields: [],
          },
        ],
      },
    ]);
    const retried = await api<Array<{ success: boolean }>>(emulator, token, 'POST', '/composite/sobjects', {
      records,
    });
    expect(retried.body.map((r) => r.success)).toEqual([true, true]);
  });
});

describe('composite', () => {
  it('runs subrequests with references in one transaction and one API call', async () => {
    const before = emulator.apiUsage().used;
    const result = await api<{
      compositeResponse: Array<{
        httpStatusCode: number;
        referenceId: string;
        body: unknown;
        httpHeaders: Record<string, string>;
      }>;
    }>(emulator, token, 'POST', '/composite', {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Account',
          referenceId: 'acct',
          body: { Name: 'Composite Co' },
        },
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Contact',
          referenceId: 'ct',
          body: { LastName: 'Ref', AccountId: '@{acct.id}' },
        },
        {
          method: 'GET',
          url: "/services/data/v62.0/query?q=SELECT+Id,Account.Name+FROM+Contact+WHERE+Id='@{ct.id}'",
          referenceId: 'q',
        },
        {
          method: 'PATCH',
          url: '/services/data/v62.0/sobjects/Contact/@{q.records[0].Id}',
          referenceId: 'upd',
          body: { Title: 'Boss' },
        },
      ],
    });
    expect(result.status).toBe(200);
    const responses = result.body.compositeResponse;
    expect(responses.map((r) => [r.referenceId, r.httpStatusCode])).toEqual([
      ['acct', 201],
      ['ct', 201],
      ['q', 200],
      ['upd', 204],
    ]);
    expect(responses[0]!.httpHeaders.Location).toMatch(/^\/services\/data\/v62\.0\/sobjects\/Account\/001/);
    expect(responses[2]!.body).toMatchObject({
      totalSize: 1,
      records: [{ Account: { Name: 'Composite Co' } }],
    });
    expect(emulator.apiUsage().used - before).toBe(1);
  });

  it('rolls everything back when a subrequest fails with allOrNone, marking the others PROCESSING_HALTED', async () => {
    const result = await api<{
      compositeResponse: Array<{ httpStatusCode: number; body: Array<{ errorCode: string }> }>;
    }>(emulator, token, 'POST', '/composite', {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Account',
          referenceId: 'ok',
          body: { Name: 'Never' },
        },
        {
          method: 'POST',
          url: '/services/data/v62.0/sobjects/Contact',
          referenceId: 'bad',
          body: { FirstName: 'No last name' },
        },
      ],
    });
    expect(result.body.compositeResponse.map((r) => [r.httpStatusCode, r.body[0]!.errorCode])).toEqual([
      [400, 'PROCESSING_HALTED'],
      [400, 'REQUIRED_FIELD_MISSING'],
    ]);
    expect(emulator.query("SELECT Id FROM Account WHERE Name = 'Never'")).toEqual([]);
  });

  it('refuses more than 25 subrequests and runs independent batch subrequests', async () => {
    const many = Array.from({ length: 26 }, (_, i) => ({
      method: 'GET',
      url: '/services/data/v62.0/limits',
      referenceId: `r${i}`,
    }));
    expect((await api(emulator, token, 'POST', '/composite', { compositeRequest: many })).status).toBe(400);
    const batch = await api<{ hasErrors: boolean; results: Array<{ statusCode: number }> }>(
      emulator,
      token,
      'POST',
      '/composite/batch',
      {
        batchRequests: [
          { method: 'GET', url: 'v62.0/limits' },
          { method: 'POST', url: 'v62.0/sobjects/Lead', richInput: { LastName: 'Batch' } },
          { method: 'POST', url: 'v62.0/sobjects/Account', richInput: { Name: 'Batch' } },
        ],
      },
    );
    expect(batch.body.hasErrors).toBe(true);
    expect(batch.body.results.map((r) => r.statusCode)).toEqual([200, 400, 201]);
  });
});

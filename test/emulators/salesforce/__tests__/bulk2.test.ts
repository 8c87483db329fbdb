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

interface JobInfo {
  id: string;
  state: string;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  errorMessage?: string;
  contentUrl?: string;
  jobType: string;
}

async function runIngest(body: Record<string, unknown>, csv: string): Promise<JobInfo> {
  const created = await api<JobInfo>(emulator, token, 'POST', '/jobs/ingest', body);
  expect(created.status).toBe(200);
  const upload = await api(emulator, token, 'PUT', `/jobs/ingest/${created.body.id}/batches`, csv);
  expect(upload).toMatchObject({ status: 201, text: '' });
  await api(emulator, token, 'PATCH', `/jobs/ingest/${created.body.id}`, { state: 'UploadComplete' });
  await emulator.bulkIdle();
  return (await api<JobInfo>(emulator, token, 'GET', `/jobs/ingest/${created.body.id}`)).body;
}

describe('Bulk API 2.0 ingest', () => {
  it('loads records with jsforce and reports successful and failed rows with sf__ columns', async () => {
    const csv = [
      'LastName,Company,Email,NumberOfEmployees',
      'Good,Acme,good@acme.example,10',
      'NoCompany,,x@acme.example,5',
      'BadEmail,Acme,not-an-email,5',
      'BadNumber,Acme,n@acme.example,lots',
      'Nulls,Acme,#N/A,#N/A',
      '',
    ].join('\n');
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Lead',
      operation: 'insert',
      input: csv,
    });
    const successful = results.successfulResults as unknown as Array<Record<string, string>>;
    const failed = results.failedResults as unknown as Array<Record<string, string>>;
    expect(successful.map((r) => r.LastName)).toEqual(['Good', 'Nulls']);
    expect(successful[0]).toMatchObject({
      sf__Id: expect.stringMatching(/^00Q/),
      sf__Created: 'true',
      Company: 'Acme',
    });
    expect(failed.map((r) => [r.LastName, r.sf__Error])).toEqual([
      ['NoCompany', 'REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --'],
      ['BadEmail', 'INVALID_EMAIL_ADDRESS:Email: invalid email address: not-an-email:Email --'],
      [
        'BadNumber',
        'INVALID_TYPE_ON_FIELD_IN_RECORD:Employees: value not of required type: lots:NumberOfEmployees --',
      ],
    ]);
    expect(results.unprocessedRecords).toEqual([]);
    expect(emulator.query("SELECT Email FROM Lead WHERE LastName = 'Nulls'")).toEqual([
      expect.objectContaining({ Email: null }),
    ]);
  });

  it('upserts by external id, updates by Id and deletes, with created flags', async () => {
    const [existing] = emulator.insert('Contact', [{ LastName: 'Existing', Responsys_RIID__c: 'R-1' }]);
    const upsert = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'upsert',
      externalIdFieldName: 'Responsys_RIID__c',
      input: 'Responsys_RIID__c,LastName,Title\nR-1,Existing,Updated\nR-2,New,Created\n',
    });
    const upserted = upsert.successfulResults as unknown as Array<Record<string, string>>;
    expect(upserted.map((r) => [r.Responsys_RIID__c, r.sf__Created])).toEqual([
      ['R-1', 'false'],
      ['R-2', 'true'],
    ]);
    expect(upsert.successfulResults[0]!.sf__Id).toBe(existing);
    const update = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'update',
      input: `Id,Department\n${existing},Sales\n`,
    });
    expect(update.successfulResults).toHaveLength(1);
    const del = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'delete',
      input: `Id\n${existing}\n`,
    });
    expect(del.successfulResults).toHaveLength(1);
    expect(emulator.query(`SELECT Id FROM Contact WHERE Id = '${existing}'`)).toEqual([]);
  });

  it('answers the job lifecycle like Salesforce: Open with a contentUrl, one upload only, counters at the end', async () => {
    const created = await api<JobInfo>(emulator, token, 'POST', '/jobs/ingest', {
      object: 'Lead',
      operation: 'insert',
      lineEnding: 'LF',
    });
    expect(created.body).toMatchObject({
      state: 'Open',
      jobType: 'V2Ingest',
      contentUrl: `services/data/v62.0/jobs/ingest/${created.body.id}/batches`,
    });
    expect(created.body.id).toMatch(/^750/);
    await api(emulator, token, 'PUT', `/jobs/ingest/${created.body.id}/batches`, 'LastName,Company\nA,B\n');
    const second = await api<Array<{ errorCode: string; message: string }>>(
      emulator,
      token,
      'PUT',
      `/jobs/ingest/${created.body.id}/batches`,
      'LastName,Company\nC,D\n',
    );
    expect(second.status).toBe(400);
    expect(second.body[0]!.message).toContain('Found multiple contents for job');
    await api(emulator, token, 'PATCH', `/jobs/ingest/${created.body.id}`, { state: 'UploadComplete' });
    await emulator.bulkIdle();
    const done = await api<JobInfo>(emulator, token, 'GET', `/jobs/ingest/${created.body.id}`);
    expect(done.body).toMatchObject({
      state: 'JobComplete',
      numberRecordsProcessed: 1,
      numberRecordsFailed: 0,
    });
    expect(done.body).not.toHaveProperty('contentUrl');
  });

  it('fails a job whose CSV names an unknown field and keeps its rows as unprocessed', async () => {
    const job = await runIngest(
      { object: 'Lead', operation: 'insert' },
      'LastName,Company,Shoe_Size__c\nA,B,42\n',
    );
    expect(job).toMatchObject({
      state: 'Failed',
      errorMessage: 'InvalidBatch : Field name not found : Shoe_Size__c',
    });
    const unprocessed = await api(emulator, token, 'GET', `/jobs/ingest/${job.id}/unprocessedrecords`);
    expect(unprocessed.text).toBe('"LastName","Company","Shoe_Size__c"\n"A","B","42"\n');
  });

  it('applies injected lock errors to rows of a job closed while the fault is active', async () => {
    emulator.org.faults.add({
      method: 'PATCH',
      path: '/services/data/*/jobs/ingest/*',
      times: 1,
      fault: { type: 'UNABLE_TO_LOCK_ROW' },
    });
    const job = await runIngest({ object: 'Lead', operation: 'insert' }, 'LastName,Company\nA,B\nC,D\n');
    expect(job).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 2, numberRecordsFailed: 2 });
    const failed = await api(emulator, token, 'GET', `/jobs/ingest/${job.id}/failedResults/`);
    expect(failed.text.split('\n')[1]).toBe(
      ',"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--","A","B"',
    );
  });
});

describe('Bulk API 2.0 query', () => {
  it('streams query results to jsforce', async () => {
    emulator.insert(
      'Lead',
      Array.from({ length: 30 }, (_, i) => ({ LastName: `Q${i}`, Company: i % 2 ? 'Odd' : 'Even' })),
    );
    const stream = await conn.bulk2.query("SELECT Id, LastName, Company FROM Lead WHERE Company = 'Odd'");
    const records: Array<Record<string, string>> = [];
    for await (const record of stream) records.push(record as Record<string, string>);
    expect(records).toHaveLength(15);
    expect(records[0]).toEqual({
      Id: expect.stringMatching(/^00Q/),
      LastName: expect.stringMatching(/^Q/),
      Company: 'Odd',
    });
  });

  it('pages CSV results with maxRecords, Sforce-Locator and Sforce-NumberOfRecords, ending with null', async () => {
    emulator.insert(
      'Contact',
      Array.from({ length: 5 }, (_, i) => ({ LastName: `C${i}`, Email: `c${i}@example.com` })),
    );
    const job = await api<JobInfo>(emulator, token, 'POST', '/jobs/query', {
      operation: 'query',
      query: 'SELECT LastName, Email, Account.Name FROM Contact ORDER BY LastName',
    });
    expect(job.body).toMatchObject({ state: 'UploadComplete', jobType: 'V2Query' });
    await emulator.bulkIdle();
    const pages: string[] = [];
    let locator = '';
    for (;;) {
      const page = await api(
        emulator,
        token,
        'GET',
        `/jobs/query/${job.body.id}/results?maxRecords=2${locator ? `&locator=${locator}` : ''}`,
        undefined,
        { Accept: 'text/csv' },
      );
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/csv/);
      pages.push(`${page.headers.get('sforce-numberofrecords')}:${page.text.split('\n')[1]}`);
      locator = page.headers.get('sforce-locator')!;
      if (locator === 'null') break;
    }
    expect(pages).toEqual([
      '2:"C0","c0@example.com",',
      '2:"C2","c2@example.com",',
      '1:"C4","c4@example.com",',
    ]);
    const wrongVersion = await api(
      emulator,
      token,
      'GET',
      `/services/data/v61.0/jobs/query/${job.body.id}/results`,
    );
    expect(wrongVersion.status).toBe(409);
  });

  it('writes result cells quoted, quotes doubled, line breaks and delimiters kept, nulls empty, in every delimiter and line ending and across pages', async () => {
    const [accountId] = emulator.insert('Account', [{ Name: 'Quote "Q", Inc.' }]);
    const [annId, sayId] = emulator.insert('Contact', [
      {
        LastName: 'Plain',
        FirstName: 'Ann',
        Email: 'ann@example.com',
        HasOptedOutOfEmail: true,
        Birthdate: '1990-02-03',
        Responsys_Engagement_Score__c: 42.5,
        Responsys_Last_Clicked_At__c: '2026-01-02T03:04:05.000Z',
        AccountId: accountId!,
      },
      {
        LastName: 'Say "hi", then\nleave',
        FirstName: '',
        Description: 'line1\r\nline2|pipe\ttab',
        Responsys_Engagement_Score__c: 0,
      },
    ]);
    const soql =
      'SELECT Id, Name, FirstName, LastName, Email, HasOptedOutOfEmail, Birthdate, Responsys_Engagement_Score__c, ' +
      'Responsys_Last_Clicked_At__c, Description, Account.Name, Owner.Name FROM Contact ORDER BY LastName';
    const cells = [
      [
        'Id',
        'Name',
        'FirstName',
        'LastName',
        'Email',
        'HasOptedOutOfEmail',
        'Birthdate',
        'Responsys_Engagement_Score__c',
        'Responsys_Last_Clicked_At__c',
        'Description',
        'Account.Name',
        'Owner.Name',
      ].map((h) => `"${h}"`),
      [
        `"${annId!}"`,
        '"Ann Plain"',
        '"Ann"',
        '"Plain"',
        '"ann@example.com"',
        '"true"',
        '"1990-02-03"',
        '"43"',
        '"2026-01-02T03:04:05.000Z"',
        '',
        '"Quote ""Q"", Inc."',
        '"Riley Rep"',
      ],
      [
        `"${sayId!}"`,
        '"Say ""hi"", then\nleave"',
        '',
        '"Say ""hi"", then\nleave"',
        '',
        '"false"',
        '',
        '"0"',
        '',
        '"line1\r\nline2|pipe\ttab"',
        '',
        '"Riley Rep"',
      ],
    ];
    const layouts = [
      { columnDelimiter: 'COMMA', lineEnding: 'LF', delimiter: ',', eol: '\n' },
      { columnDelimiter: 'PIPE', lineEnding: 'CRLF', delimiter: '|', eol: '\r\n' },
      { columnDelimiter: 'TAB', lineEnding: 'LF', delimiter: '\t', eol: '\n' },
    ];
    for (const { columnDelimiter, lineEnding, delimiter, eol } of layouts) {
      const job = await api<JobInfo>(emulator, token, 'POST', '/jobs/query', {
        operation: 'query',
        query: soql,
        columnDelimiter,
        lineEnding,
      });
      await emulator.bulkIdle();
      const line = (row: string[]) => row.join(delimiter) + eol;
      const whole = await api(emulator, token, 'GET', `/jobs/query/${job.body.id}/results`);
      expect(whole.text).toBe(cells.map(line).join(''));
      expect(whole.headers.get('sforce-numberofrecords')).toBe('2');
      expect(whole.headers.get('sforce-locator')).toBe('null');
      const first = await api(emulator, token, 'GET', `/jobs/query/${job.body.id}/results?maxRecords=1`);
      const locator = first.headers.get('sforce-locator')!;
      const second = await api(
        emulator,
        token,
        'GET',
        `/jobs/query/${job.body.id}/results?maxRecords=1&locator=${locator}`,
      );
      expect([first.text, second.text]).toEqual([
        line(cells[0]!) + line(cells[1]!),
        line(cells[0]!) + line(cells[2]!),
      ]);
      expect(second.headers.get('sforce-locator')).toBe('null');
    }
  });

  it('leaves deleted records out of a query job over a whole object and keeps them in a queryAll job', async () => {
    const ids = emulator.insert(
      'Lead',
      ['Kept', 'Binned', 'Also kept'].map((LastName) => ({ LastName, Company: 'Acme' })),
    );
    emulator.delete([ids[1]!]);
    const lastNames = async (operation: 'query' | 'queryAll') => {
      const job = await api<JobInfo>(emulator, token, 'POST', '/jobs/query', {
        operation,
        query: 'SELECT LastName FROM Lead',
      });
      await emulator.bulkIdle();
      const info = await api<JobInfo>(emulator, token, 'GET', `/jobs/query/${job.body.id}`);
      const page = await api(emulator, token, 'GET', `/jobs/query/${job.body.id}/results`);
      return { processed: info.body.numberRecordsProcessed, csv: page.text };
    };
    expect(await lastNames('query')).toEqual({
      processed: 2,
      csv: '"LastName"\n"Kept"\n"Also kept"\n',
    });
    expect(await lastNames('queryAll')).toEqual({
      processed: 3,
      csv: '"LastName"\n"Kept"\n"Binned"\n"Also kept"\n',
    });
  });

  it('rejects invalid SOQL and what Bulk queries cannot do when the job is created', async () => {
    const bad = await api<Array<{ errorCode: string }>>(emulator, token, 'POST', '/jobs/query', {
      operation: 'query',
      query: 'SELECT Nope FROM Lead',
    });
    expect(bad.status).toBe(400);
    expect(bad.body[0]!.errorCode).toBe('INVALID_FIELD');
    const sub = await api<Array<{ errorCode: string }>>(emulator, token, 'POST', '/jobs/query', {
      operation: 'query',
      query: 'SELECT Name, (SELECT LastName FROM Contacts) FROM Account',
    });
    expect(sub.body[0]!.errorCode).toBe('FEATURENOTENABLED');
  });
});

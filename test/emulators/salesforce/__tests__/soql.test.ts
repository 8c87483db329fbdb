import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../index.js';
import { api, jwtConnection, startEmulator } from './helpers.js';

let emulator: SalesforceEmulator;
let conn: Connection;
let token: string;
let ids: Record<string, string>;

// Fixed "now" so date literals are deterministic: Wednesday 2025-05-14 12:00 UTC.
const NOW = '2025-05-14T12:00:00.000Z';

beforeAll(async () => {
  emulator = await startEmulator();
  conn = await jwtConnection(emulator);
  token = conn.accessToken!;
  emulator.org.clock.set(new Date(NOW), true);
  const [acme, globex] = emulator.insert('Account', [
    { Name: 'Acme', Industry: 'Retail' },
    { Name: 'Globex', Industry: 'Energy' },
  ]);
  const contacts = emulator.insert('Contact', [
    {
      FirstName: 'Ann',
      LastName: 'Able',
      Email: 'ann@acme.example',
      AccountId: acme!,
      Birthdate: '1990-01-15',
    },
    { FirstName: 'Bob', LastName: 'Baker', Email: 'bob@acme.example', AccountId: acme!, Title: 'CTO' },
    { FirstName: 'Cid', LastName: 'Cole', AccountId: globex!, Title: 'CFO', HasOptedOutOfEmail: true },
    { LastName: "D'Arcy", Email: 'd@globex.example' },
  ]);
  const leads = emulator.insert('Lead', [
    { LastName: 'Lead1', Company: 'Web Co', LeadSource: 'Web', Rating: 'Hot', AnnualRevenue: 500 },
    { LastName: 'Lead2', Company: 'Phone Co', LeadSource: 'Phone Inquiry', AnnualRevenue: 1500 },
    { LastName: 'Lead3', Company: 'Web Two', LeadSource: 'Web', Email: 'x_y@example.com' },
  ]);
  ids = {
    acme: acme!,
    globex: globex!,
    ann: contacts[0]!,
    bob: contacts[1]!,
    cid: contacts[2]!,
    darcy: contacts[3]!,
    lead1: leads[0]!,
    lead2: leads[1]!,
    lead3: leads[2]!,
  };
  const campaign = emulator.insert('Campaign', [{ Name: 'Spring' }])[0]!;
  emulator.insert('CampaignMember', [
    { CampaignId: campaign, LeadId: ids.lead1!, Status: 'Responded' },
    { CampaignId: campaign, ContactId: ids.ann! },
  ]);
});

afterAll(async () => {
  await emulator.close();
});

async function names(soql: string): Promise<string[]> {
  const result = await conn.query<{ LastName: string }>(soql);
  return result.records.map((r) => r.LastName);
}

describe('SOQL filters', () => {
  it('handles AND, OR, NOT, parentheses, IN, NOT IN, LIKE and comparisons', async () => {
    expect(
      await names(
        "SELECT LastName FROM Contact WHERE Account.Name = 'Acme' AND (Title = 'CTO' OR Email LIKE 'ann%') ORDER BY LastName",
      ),
    ).toEqual(['Able', 'Baker']);
    expect(await names('SELECT LastName FROM Contact WHERE NOT (Email = null) ORDER BY LastName')).toEqual([
      'Able',
      'Baker',
      "D'Arcy",
    ]);
    expect(
      await names("SELECT LastName FROM Contact WHERE LastName IN ('able', 'COLE') ORDER BY LastName"),
    ).toEqual(['Able', 'Cole']);
    expect(
      await names(
        "SELECT LastName FROM Contact WHERE LastName NOT IN ('Able') AND Email != null ORDER BY LastName",
      ),
    ).toEqual(['Baker', "D'Arcy"]);
    expect(await names("SELECT LastName FROM Contact WHERE LastName = 'D\\'Arcy'")).toEqual(["D'Arcy"]);
    expect(
      await names('SELECT LastName FROM Lead WHERE AnnualRevenue >= 500 AND AnnualRevenue < 1500'),
    ).toEqual(['Lead1']);
    expect(await names("SELECT LastName FROM Lead WHERE Email LIKE 'x\\_y%'")).toEqual(['Lead3']);
    expect(await names('SELECT LastName FROM Contact WHERE HasOptedOutOfEmail = true')).toEqual(['Cole']);
    expect(await names('SELECT LastName FROM Contact WHERE Birthdate < 2000-01-01')).toEqual(['Able']);
  });

  it('filters by ids given in 15 or 18 characters and by semi-join', async () => {
    expect(
      await names(
        `SELECT LastName FROM Contact WHERE Id IN ('${ids.ann!.slice(0, 15)}', '${ids.bob}') ORDER BY LastName`,
      ),
    ).toEqual(['Able', 'Baker']);
    expect(
      await names(
        'SELECT LastName FROM Lead WHERE Id IN (SELECT LeadId FROM CampaignMember WHERE HasResponded = true)',
      ),
    ).toEqual(['Lead1']);
    expect(
      await names(
        'SELECT LastName FROM Contact WHERE Id NOT IN (SELECT ContactId FROM CampaignMember) AND AccountId != null ORDER BY LastName',
      ),
    ).toEqual(['Baker', 'Cole']);
  });

  it('resolves date literals against the emulator clock: TODAY, LAST_N_DAYS:n, THIS_MONTH, YESTERDAY', async () => {
    const dayMs = 86_400_000;
    const created = (daysAgo: number) => new Date(Date.parse(NOW) - daysAgo * dayMs).toISOString();
    emulator.org.clock.set(new Date(created(10)), true);
    const old = emulator.insert('Lead', [{ LastName: 'TenDaysAgo', Company: 'T' }])[0]!;
    emulator.org.clock.set(new Date(created(1)), true);
    const yesterday = emulator.insert('Lead', [{ LastName: 'Yesterday', Company: 'T' }])[0]!;
    emulator.org.clock.set(new Date(NOW), true);
    try {
      expect(
        await names("SELECT LastName FROM Lead WHERE Company = 'T' AND CreatedDate = YESTERDAY"),
      ).toEqual(['Yesterday']);
      expect(
        await names("SELECT LastName FROM Lead WHERE Company = 'T' AND CreatedDate = LAST_N_DAYS:7"),
      ).toEqual(['Yesterday']);
      expect(
        await names(
          "SELECT LastName FROM Lead WHERE Company = 'T' AND CreatedDate = LAST_N_DAYS:10 ORDER BY CreatedDate",
        ),
      ).toEqual(['TenDaysAgo', 'Yesterday']);
      expect(
        await names(
          "SELECT LastName FROM Lead WHERE Company = 'T' AND CreatedDate = THIS_MONTH ORDER BY LastName",
        ),
      ).toEqual(['TenDaysAgo', 'Yesterday']);
      expect(
        await names(
          "SELECT LastName FROM Lead WHERE Company = 'T' AND CreatedDate < TODAY AND CreatedDate > 2025-05-10T00:00:00Z",
        ),
      ).toEqual(['Yesterday']);
    } finally {
      emulator.delete([old, yesterday]);
    }
  });

  it('orders with NULLS FIRST / LAST and pages with LIMIT and OFFSET', async () => {
    expect(await names('SELECT LastName FROM Contact ORDER BY Title NULLS FIRST, LastName')).toEqual([
      'Able',
      "D'Arcy",
      'Cole',
      'Baker',
    ]);
    expect(await names('SELECT LastName FROM Contact ORDER BY Title DESC NULLS LAST, LastName')).toEqual([
      'Baker',
      'Cole',
      'Able',
      "D'Arcy",
    ]);
    expect(await names('SELECT LastName FROM Contact ORDER BY LastName LIMIT 2 OFFSET 1')).toEqual([
      'Baker',
      'Cole',
    ]);
  });
});

describe('SOQL projections', () => {
  it('returns parent relationship fields nested, child subqueries and polymorphic owners', async () => {
    const result = await conn.query(
      `SELECT Name, Account.Name, Account.Owner.Username, Owner.Name FROM Contact WHERE Id = '${ids.ann}'`,
    );
    expect(result.records[0]).toEqual({
      attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${ids.ann}` },
      Name: 'Ann Able',
      Account: {
        attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${ids.acme}` },
        Name: 'Acme',
        Owner: { attributes: expect.objectContaining({ type: 'User' }), Username: 'rep@example.com' },
      },
      Owner: { attributes: expect.objectContaining({ type: 'User' }), Name: 'Riley Rep' },
    });
    const noAccount = await conn.query(`SELECT Account.Name FROM Contact WHERE Id = '${ids.darcy}'`);
    expect(noAccount.records[0]).toMatchObject({ Account: null });

    const accounts = await conn.query<{
      Name: string;
      Contacts: { totalSize: number; records: Array<{ LastName: string }> } | null;
    }>(
      'SELECT Name, (SELECT LastName FROM Contacts WHERE Email != null ORDER BY LastName DESC) FROM Account ORDER BY Name',
    );
    expect(accounts.records.map((a) => [a.Name, a.Contacts?.records.map((c) => c.LastName) ?? null])).toEqual(
      [
        ['Acme', ['Baker', 'Able']],
        ['Globex', null],
      ],
    );
    const leadOwner = await conn.query(`SELECT Owner.Name, Owner.Type FROM Lead WHERE Id = '${ids.lead1}'`);
    expect(leadOwner.records[0]).toMatchObject({
      Owner: { attributes: { type: 'Name' }, Name: 'Riley Rep', Type: 'User' },
    });
  });

  it('counts with COUNT() and aggregates with GROUP BY and HAVING', async () => {
    const count = await conn.query('SELECT COUNT() FROM Contact WHERE AccountId != null');
    expect(count).toMatchObject({ totalSize: 3, done: true, records: [] });
    const grouped = await conn.query(
      'SELECT LeadSource, COUNT(Id) n, SUM(AnnualRevenue) FROM Lead GROUP BY LeadSource HAVING COUNT(Id) > 0 ORDER BY LeadSource',
    );
    expect(grouped.records).toEqual([
      { attributes: { type: 'AggregateResult' }, LeadSource: 'Phone Inquiry', n: 1, expr0: 1500 },
      { attributes: { type: 'AggregateResult' }, LeadSource: 'Web', n: 2, expr0: 500 },
    ]);
  });

  it('serves custom metadata records with typed values', async () => {
    const maps = await conn.query<Record<string, unknown>>(
      "SELECT DeveloperName, Salesforce_Field__c, Responsys_Column__c, Transform__c, Active__c FROM Responsys_Field_Map__mdt WHERE Object__c = 'Lead' AND Salesforce_Field__c = 'Email'",
    );
    expect(maps.records).toEqual([
      expect.objectContaining({
        DeveloperName: 'Lead_Email',
        Responsys_Column__c: 'EMAIL_ADDRESS_',
        Transform__c: 'trim|lower',
        Active__c: true,
      }),
    ]);
    const rules = await conn.query<{ Priority__c: number }>(
      'SELECT Priority__c FROM Responsys_Status_Rule__mdt ORDER BY Priority__c',
    );
    expect(rules.records.map((r) => r.Priority__c)).toEqual([10, 20, 30]);
  });
});

describe('SOQL errors', () => {
  async function error(soql: string) {
    const result = await api<Array<{ errorCode: string; message: string }>>(
      emulator,
      token,
      'GET',
      `/query?q=${encodeURIComponent(soql)}`,
    );
    expect(result.status).toBe(400);
    return result.body[0]!;
  }

  it('reports an unknown column with the caret display and INVALID_FIELD', async () => {
    expect(await error('SELECT Id, Foo FROM Lead')).toEqual({
      errorCode: 'INVALID_FIELD',
      message:
        "\nSELECT Id, Foo FROM Lead\n           ^\nERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
    });
  });

  it('reports unknown objects, malformed queries, mixed AND/OR, bad literals and large offsets', async () => {
    expect(await error('SELECT Id FROM Leed')).toMatchObject({
      errorCode: 'INVALID_TYPE',
      message: expect.stringContaining("sObject type 'Leed' is not supported."),
    });
    expect(await error('SELECT FROM Lead')).toMatchObject({
      errorCode: 'MALFORMED_QUERY',
      message: expect.stringContaining('unexpected token: FROM'),
    });
    expect(
      await error("SELECT Id FROM Lead WHERE LastName = 'a' OR LastName = 'b' AND Company = 'c'"),
    ).toMatchObject({
      errorCode: 'MALFORMED_QUERY',
      message: expect.stringContaining('unexpected token: AND'),
    });
    expect(await error("SELECT Id FROM Lead WHERE AnnualRevenue = '5'")).toMatchObject({
      errorCode: 'INVALID_FIELD',
      message: expect.stringContaining(
        "value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes",
      ),
    });
    expect(await error("SELECT Id FROM Lead WHERE Id = 'abc'")).toMatchObject({
      errorCode: 'INVALID_QUERY_FILTER_OPERATOR',
      message: expect.stringContaining('invalid ID field: abc'),
    });
    expect(await error('SELECT Id FROM Lead OFFSET 2001')).toEqual({
      errorCode: 'NUMBER_OUTSIDE_VALID_RANGE',
      message: 'Maximum SOQL offset allowed is 2000',
    });
    expect(await error('SELECT Id FROM Lead WHERE Description = null')).toMatchObject({
      errorCode: 'INVALID_FIELD',
      message: expect.stringContaining("field 'Description' can not be filtered in a query call"),
    });
  });
});

describe('paging', () => {
  it('pages 2,000 records at a time with nextRecordsUrl and jsforce autoFetch reads them all', async () => {
    const fresh = await startEmulator();
    try {
      fresh.insert(
        'Lead',
        Array.from({ length: 4500 }, (_, i) => ({
          LastName: `P${String(i).padStart(4, '0')}`,
          Company: 'Paging',
        })),
      );
      const freshConn = await jwtConnection(fresh);
      const first = await api<{
        totalSize: number;
        done: boolean;
        records: unknown[];
        nextRecordsUrl: string;
      }>(
        fresh,
        freshConn.accessToken!,
        'GET',
        `/query?q=${encodeURIComponent("SELECT Id FROM Lead WHERE Company = 'Paging'")}`,
      );
      expect(first.body).toMatchObject({ totalSize: 4500, done: false });
      expect(first.body.records).toHaveLength(2000);
      expect(first.body.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g[A-Za-z0-9]{12}-2000$/);
      const small = await api<{ records: unknown[] }>(
        fresh,
        freshConn.accessToken!,
        'GET',
        `/query?q=${encodeURIComponent('SELECT Id FROM Lead')}`,
        undefined,
        {
          'Sforce-Query-Options': 'batchSize=200',
        },
      );
      expect(small.body.records).toHaveLength(200);

      const records: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        freshConn
          .query("SELECT Id, LastName FROM Lead WHERE Company = 'Paging' ORDER BY LastName")
          .on('record', (r) => records.push(r))
          .on('end', () => resolve())
          .on('error', reject)
          .run({ autoFetch: true, maxFetch: 10_000 });
      });
      expect(records).toHaveLength(4500);
      expect((records[4499] as { LastName: string }).LastName).toBe('P4499');

      const bad = await api(fresh, freshConn.accessToken!, 'GET', '/query/01gXXXXXXXXXXXX-2000');
      expect(bad).toMatchObject({
        status: 400,
        body: [{ errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator' }],
      });
    } finally {
      await fresh.close();
    }
  });
});

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

const ID18 = /^[a-zA-Z0-9]{15}[A-Z0-5]{3}$/;

describe('record CRUD through jsforce', () => {
  it('creates, retrieves, updates and deletes a Lead with real ids and system fields', async () => {
    const created = await conn
      .sobject('Lead')
      .create({ LastName: 'Okafor', Company: 'Northwind', Email: 'n.o@northwind.example' });
    expect(created).toEqual({ id: expect.stringMatching(ID18), success: true, errors: [] });
    expect(created.id!.startsWith('00Q')).toBe(true);

    const lead = await conn.sobject('Lead').retrieve(created.id!);
    const bridgeUser = conn.userInfo!.id;
    expect(lead).toMatchObject({
      attributes: { type: 'Lead', url: `/services/data/v62.0/sobjects/Lead/${created.id}` },
      Name: 'Okafor',
      Status: 'Open - Not Contacted',
      HasOptedOutOfEmail: false,
      IsConverted: false,
      OwnerId: bridgeUser,
      CreatedById: bridgeUser,
      LastModifiedById: bridgeUser,
      IsDeleted: false,
    });
    expect(lead.CreatedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(lead.SystemModstamp).toBe(lead.CreatedDate);

    emulator.org.clock.advance(5000);
    const updated = await conn.sobject('Lead').update({ Id: created.id!, Title: 'VP Marketing' });
    expect(updated).toEqual({ id: created.id, success: true, errors: [] });
    const after = await conn.sobject('Lead').retrieve(created.id!);
    expect(after.Title).toBe('VP Marketing');
    expect(Date.parse(after.LastModifiedDate as string)).toBeGreaterThan(
      Date.parse(lead.LastModifiedDate as string),
    );
    emulator.org.clock.reset();

    expect(await conn.sobject('Lead').destroy(created.id!)).toEqual({
      id: created.id,
      success: true,
      errors: [],
    });
    const gone = await api(emulator, token, 'GET', `/sobjects/Lead/${created.id}`);
    expect(gone).toMatchObject({
      status: 404,
      body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }],
    });
    const again = await api(emulator, token, 'PATCH', `/sobjects/Lead/${created.id}`, { Title: 'x' });
    expect(again).toMatchObject({
      status: 404,
      body: [{ errorCode: 'ENTITY_IS_DELETED', message: 'entity is deleted' }],
    });
  });

  it('retrieves only the requested fields, compound address included', async () => {
    const id = emulator.insert('Lead', [
      { LastName: 'Silva', Company: 'Coho', City: 'Napa', Country: 'US' },
    ])[0]!;
    const { status, body } = await api(
      emulator,
      token,
      'GET',
      `/sobjects/Lead/${id}?fields=Name,Address,City`,
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      attributes: { type: 'Lead', url: `/services/data/v62.0/sobjects/Lead/${id}` },
      Name: 'Silva',
      Address: {
        street: null,
        city: 'Napa',
        state: null,
        postalCode: null,
        country: 'US',
        latitude: null,
        longitude: null,
        geocodeAccuracy: null,
      },
      City: 'Napa',
    });
  });

  it('describes objects the way jsforce describe helpers expect, package fields included', async () => {
    const lead = await conn.sobject('Lead').describe();
    expect(lead).toMatchObject({ name: 'Lead', keyPrefix: '00Q', createable: true, queryable: true });
    const riid = lead.fields.find((f) => f.name === 'Responsys_RIID__c')!;
    expect(riid).toMatchObject({
      type: 'string',
      length: 30,
      externalId: true,
      idLookup: true,
      custom: true,
      nillable: true,
    });
    const status = lead.fields.find((f) => f.name === 'Responsys_Sync_Status__c')!;
    expect(status.restrictedPicklist).toBe(true);
    expect(status.picklistValues!.map((p) => p.value)).toEqual(['Pending', 'Synced', 'Failed', 'Skipped']);
    const lastName = lead.fields.find((f) => f.name === 'LastName')!;
    expect(lastName).toMatchObject({
      nillable: false,
      createable: true,
      length: 80,
      compoundFieldName: 'Name',
    });
    expect(lead.fields.find((f) => f.name === 'IsConverted')).toMatchObject({
      createable: true,
      updateable: false,
    });
    expect(lead.childRelationships).toContainEqual(
      expect.objectContaining({
        childSObject: 'Responsys_Engagement__c',
        field: 'Lead__c',
        relationshipName: 'Responsys_Engagements__r',
      }),
    );

    const global = await conn.describeGlobal();
    const names = global.sobjects.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Lead',
        'Contact',
        'CampaignMember',
        'Responsys_Engagement__c',
        'Responsys_Sync__e',
        'Responsys_Field_Map__mdt',
      ]),
    );
    const event = global.sobjects.find((s) => s.name === 'Responsys_Sync__e')!;
    expect(event).toMatchObject({ createable: true, queryable: false, updateable: false });
  });
});

describe('error envelopes', () => {
  it('rejects an unknown field for the whole request with INVALID_FIELD', async () => {
    const result = await api(emulator, token, 'POST', '/sobjects/Lead', {
      LastName: 'A',
      Company: 'B',
      Foo__c: 1,
    });
    expect(result).toMatchObject({
      status: 400,
      body: [{ message: "No such column 'Foo__c' on sobject of type Lead", errorCode: 'INVALID_FIELD' }],
    });
  });

  it('rejects a value that cannot become the field type with JSON_PARSER_ERROR', async () => {
    const result = await api<Array<{ errorCode: string; message: string }>>(
      emulator,
      token,
      'POST',
      '/sobjects/Lead',
      {
        LastName: 'A',
        Company: 'B',
        AnnualRevenue: 'lots',
      },
    );
    expect(result.status).toBe(400);
    expect(result.body[0]!.errorCode).toBe('JSON_PARSER_ERROR');
    expect(result.body[0]!.message).toMatch(
      /^Cannot deserialize instance of currency from VALUE_STRING value lots/,
    );
  });

  it('reports field validation with Salesforce codes, messages and fields', async () => {
    const cases: Array<[Record<string, unknown>, { errorCode: string; message: string; fields: string[] }]> =
      [
        [
          { Company: 'B' },
          {
            errorCode: 'REQUIRED_FIELD_MISSING',
            message: 'Required fields are missing: [LastName]',
            fields: ['LastName'],
          },
        ],
        [
          { LastName: 'x'.repeat(81), Company: 'B' },
          {
            errorCode: 'STRING_TOO_LONG',
            message: `Last Name: data value too large: ${'x'.repeat(81)} (max length=80)`,
            fields: ['LastName'],
          },
        ],
        [
          { LastName: 'A', Company: 'B', Email: 'not-an-email' },
          {
            errorCode: 'INVALID_EMAIL_ADDRESS',
            message: 'Email: invalid email address: not-an-email',
            fields: ['Email'],
          },
        ],
        [
          { LastName: 'A', Company: 'B', Responsys_Sync_Status__c: 'Maybe' },
          {
            errorCode: 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            message: 'Responsys Sync Status: bad value for restricted picklist field: Maybe',
            fields: ['Responsys_Sync_Status__c'],
          },
        ],
        [
          { LastName: 'A', Company: 'B', IsDeleted: true },
          {
            errorCode: 'INVALID_FIELD_FOR_INSERT_UPDATE',
            message:
              'Unable to create/update fields: IsDeleted. Please check the security settings of this field and verify that it is read/write for your profile or permission set.',
            fields: ['IsDeleted'],
          },
        ],
        [
          { LastName: 'A', Company: 'B', OwnerId: 'nonsense' },
          {
            errorCode: 'MALFORMED_ID',
            message: 'Owner ID: id value of incorrect type: nonsense',
            fields: ['OwnerId'],
          },
        ],
        [
          { LastName: 'A', Company: 'B', Responsys_Engagement_Score__c: 1_000_000 },
          {
            errorCode: 'NUMBER_OUTSIDE_VALID_RANGE',
            message: 'Responsys Engagement Score: value outside of valid range on numeric field: 1000000',
            fields: ['Responsys_Engagement_Score__c'],
          },
        ],
      ];
    for (const [body, error] of cases) {
      const result = await api(emulator, token, 'POST', '/sobjects/Lead', body);
      expect(result.status, JSON.stringify(body)).toBe(400);
      expect(result.body).toEqual([error]);
    }
  });

  it('answers ids of the wrong object, unknown objects and unknown versions like Salesforce', async () => {
    const accountId = emulator.insert('Account', [{ Name: 'Acme' }])[0]!;
    expect(await api(emulator, token, 'GET', `/sobjects/Lead/${accountId}`)).toMatchObject({
      status: 400,
      body: [
        {
          errorCode: 'MALFORMED_ID',
          message: `Lead ID: id value of incorrect type: ${accountId}`,
          fields: ['Id'],
        },
      ],
    });
    expect((await api(emulator, token, 'GET', '/sobjects/Nope__c/describe')).status).toBe(404);
    expect((await api(emulator, token, 'GET', '/services/data/v99.0/limits')).status).toBe(404);
    const versions = await api<Array<{ version: string; label: string }>>(
      emulator,
      token,
      'GET',
      '/services/data',
    );
    expect(versions.body).toContainEqual({
      label: "Winter '25",
      url: '/services/data/v62.0',
      version: '62.0',
    });
  });
});

describe('upsert by external id', () => {
  it('answers 201 created, then 200 updated, then 300 for several matches, and 404 with updateOnly', async () => {
    const path = '/sobjects/Lead/Responsys_RIID__c/R-100';
    const first = await api(emulator, token, 'PATCH', path, { LastName: 'Tanaka', Company: 'Litware' });
    expect(first).toMatchObject({ status: 201, body: { success: true, errors: [], created: true } });
    const second = await api<{ id: string }>(emulator, token, 'PATCH', path, { Title: 'CTO' });
    expect(second).toMatchObject({
      status: 200,
      body: { id: (first.body as { id: string }).id, created: false },
    });

    emulator.insert('Lead', [
      { LastName: 'Dup', Company: 'X', Email: 'same@example.com' },
      { LastName: 'Dup', Company: 'Y', Email: 'same@example.com' },
    ]);
    const several = await api<string[]>(emulator, token, 'PATCH', '/sobjects/Lead/Email/same@example.com', {
      Title: 'x',
    });
    expect(several.status).toBe(300);
    expect(several.body).toHaveLength(2);
    expect(several.body[0]).toMatch(/^\/services\/data\/v62\.0\/sobjects\/Lead\/00Q/);

    const none = await api(
      emulator,
      token,
      'PATCH',
      '/sobjects/Lead/Responsys_RIID__c/R-404?updateOnly=true',
      { Title: 'x' },
    );
    expect(none.status).toBe(404);
    const notExternal = await api(emulator, token, 'PATCH', '/sobjects/Lead/Company/X', { Title: 'x' });
    expect(notExternal).toMatchObject({
      status: 404,
      body: [
        {
          errorCode: 'NOT_FOUND',
          message: 'Provided external ID field does not exist or is not accessible: Company',
        },
      ],
    });
  });

  it('upserts through jsforce and maps several matches to MULTIPLE_CHOICES', async () => {
    const result = await conn
      .sobject('Lead')
      .upsert({ Responsys_RIID__c: 'R-7', LastName: 'Rossi', Company: 'Fabrikam' }, 'Responsys_RIID__c');
    expect(result).toMatchObject({ success: true, created: true });
    emulator.insert('Contact', [
      { LastName: 'A', Email: 'twin@example.com' },
      { LastName: 'B', Email: 'twin@example.com' },
    ]);
    await expect(
      conn.sobject('Contact').upsert({ Email: 'twin@example.com', Title: 'x' }, 'Email'),
    ).rejects.toMatchObject({
      errorCode: 'MULTIPLE_CHOICES',
    });
  });

  it('rejects a duplicate value of a unique external id with DUPLICATE_VALUE', async () => {
    const leadId = emulator.insert('Lead', [{ LastName: 'L', Company: 'C' }])[0]!;
    const first = await api<{ id: string }>(emulator, token, 'POST', '/sobjects/Responsys_Engagement__c', {
      Event_Key__c: 'evt-1',
      Event_Type__c: 'Opened',
      Lead__c: leadId,
    });
    expect(first.status).toBe(201);
    const dup = await api(emulator, token, 'POST', '/sobjects/Responsys_Engagement__c', {
      Event_Key__c: 'evt-1',
      Event_Type__c: 'Opened',
    });
    expect(dup).toMatchObject({
      status: 400,
      body: [
        {
          errorCode: 'DUPLICATE_VALUE',
          message: `duplicate value found: Event_Key__c duplicates value on record with id: ${first.body.id}`,
        },
      ],
    });
    // Event_Key__c is case-sensitive: a different case is a different key.
    expect(
      (await api(emulator, token, 'POST', '/sobjects/Responsys_Engagement__c', { Event_Key__c: 'EVT-1' }))
        .status,
    ).toBe(201);
    const engagement = emulator.query<{ Name: string }>(
      `SELECT Name FROM Responsys_Engagement__c WHERE Id = '${first.body.id}'`,
    )[0]!;
    expect(engagement.Name).toMatch(/^ENG-\d{8}$/);
  });
});

describe('replication', () => {
  it('lists ids updated and deleted in a window, covering whole minutes up to now only', async () => {
    const [a, b] = emulator.insert('Lead', [
      { LastName: 'A', Company: 'C' },
      { LastName: 'B', Company: 'C' },
    ]);
    emulator.delete([b!]);
    const start = new Date(Date.now() - 60 * 60_000).toISOString();
    const end = new Date(Date.now() + 60 * 60_000).toISOString();
    // Changes in the current minute are not covered yet.
    expect((await conn.sobject('Lead').updated(start, end)).ids).not.toContain(a);
    emulator.org.clock.advance(2 * 60_000);
    try {
      const updated = await conn.sobject('Lead').updated(start, end);
      expect(updated.ids).toContain(a);
      expect(updated.ids).not.toContain(b);
      const deleted = await conn.sobject('Lead').deleted(start, end);
      expect(deleted.deletedRecords.map((d) => d.id)).toEqual([b]);
    } finally {
      emulator.org.clock.reset();
    }
  });
});

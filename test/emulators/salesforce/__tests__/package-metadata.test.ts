import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalesforceEmulator } from '../index.js';
import { loadPackageMetadata } from '../schema/package-metadata.js';
import { caseSafeSuffix, IdFactory, normalizeId } from '../schema/ids.js';
import { accessToken, api, startEmulator } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoForceApp = join(here, '../../../../force-app');
const samplePackage = join(here, 'fixtures/sample-package');

describe('record ids', () => {
  it('computes the case-safe suffix of 18-character ids and normalizes 15-character ids', () => {
    expect(caseSafeSuffix('001A0000006Vm9r')).toBe('IAC');
    expect(normalizeId('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(normalizeId('001A0000006Vm9riac')).toBe('001A0000006Vm9rIAC');
    expect(normalizeId('001A0000006Vm9rAAA')).toBeUndefined();
    expect(normalizeId('not-an-id')).toBeUndefined();
    const ids = new IdFactory();
    const first = ids.next('00Q');
    expect(first).toMatch(/^00Q5g0[A-Za-z0-9]{9}[A-Z0-5]{3}$/);
    expect(normalizeId(first)).toBe(first);
    ids.reset();
    expect(ids.next('00Q')).toBe(first);
  });
});

describe("the repository's package (force-app)", () => {
  it('loads the Responsys fields, the engagement object, the platform event and the custom metadata', () => {
    const metadata = loadPackageMetadata(repoForceApp);
    const leadFields = metadata.standardObjectFields.get('Lead')!.map((f) => f.name);
    const contactFields = metadata.standardObjectFields.get('Contact')!.map((f) => f.name);
    const designed = [
      'Responsys_RIID__c',
      'Responsys_Sync_Status__c',
      'Responsys_Sync_Error__c',
      'Responsys_Last_Synced_At__c',
      'Responsys_Engagement_Score__c',
      'Responsys_Last_Opened_At__c',
      'Responsys_Last_Clicked_At__c',
      'Responsys_Opt_Out_Source__c',
      'Responsys_Opt_Out_At__c',
    ];
    expect(leadFields).toEqual(expect.arrayContaining(designed));
    expect(contactFields).toEqual(expect.arrayContaining(designed));
    const engagement = metadata.objects.find((o) => o.name === 'Responsys_Engagement__c')!;
    expect(engagement.kind).toBe('custom');
    expect(engagement.fields.find((f) => f.name === 'Event_Key__c')).toMatchObject({
      externalId: true,
      unique: true,
      caseSensitive: true,
      length: 100,
    });
    expect(engagement.fields.find((f) => f.name === 'Lead__c')).toMatchObject({
      type: 'reference',
      referenceTo: ['Lead'],
      relationshipName: 'Lead__r',
    });
    const event = metadata.objects.find((o) => o.name === 'Responsys_Sync__e')!;
    expect(event.kind).toBe('event');
    expect(event.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'Object_Type__c',
        'Record_Id__c',
        'Change_Type__c',
        'Changed_Fields__c',
        'Related_Id__c',
        'Correlation_Id__c',
        'EventUuid',
      ]),
    );
    const maps = metadata.customMetadataRecords.filter((r) => r.type === 'Responsys_Field_Map__mdt');
    expect(maps.find((r) => r.developerName === 'Lead_HasOptedOutOfEmail')?.values).toMatchObject({
      Salesforce_Field__c: 'HasOptedOutOfEmail',
      Transform__c: 'bool:O/I',
      Active__c: true,
    });
    expect(
      metadata.permissionSets.find((p) => p.name === 'Responsys_Bridge_Integration')?.customPermissions,
    ).toEqual(['Responsys_Bridge_Integration']);
  });
});

describe('a package with unusual metadata', () => {
  let emulator: SalesforceEmulator;
  let token: string;

  beforeAll(async () => {
    emulator = await startEmulator({
      forceAppDir: samplePackage,
      users: [
        {
          username: 'bridge@example.com',
          password: 'password',
          firstName: 'B',
          lastName: 'B',
          alias: 'b',
          profile: 'Standard User',
          permissionSets: [],
        },
        {
          username: 'rep@example.com',
          password: 'password',
          firstName: 'R',
          lastName: 'R',
          alias: 'r',
          profile: 'Standard User',
          permissionSets: [],
        },
      ],
    });
    token = await accessToken(emulator);
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('reports what it cannot emulate instead of guessing', () => {
    const problems = emulator.org.catalog.packageMetadata.problems.join('\n');
    expect(problems).toContain('Widget__c.Margin__c: formula fields are served read-only and always null');
    expect(problems).toContain('Widget__c.Color__c: global value set Colors is not loaded');
    expect(problems).toContain('Orphan__c: no Orphan__c.object-meta.xml; object skipped');
    expect(problems).toContain(
      'Missing.Thing.md-meta.xml: custom metadata type Missing__mdt is not defined in the package',
    );
  });

  it('serves a master-detail child without an owner, with a case-insensitive unique external id and defaults', async () => {
    const accountId = emulator.insert('Account', [{ Name: 'Parent' }])[0]!;
    const widget = await api<{ id: string }>(emulator, token, 'POST', '/sobjects/Widget__c', {
      Name: 'W1',
      Code__c: 'abc',
      Price__c: 12.345,
      Account__c: accountId,
    });
    expect(widget.status).toBe(201);
    const row = emulator.query<Record<string, unknown>>(
      `SELECT Kind__c, Price__c, Margin__c, Account__r.Name FROM Widget__c WHERE Id = '${widget.body.id}'`,
    )[0]!;
    expect(row).toMatchObject({
      Kind__c: 'Basic',
      Price__c: 12.35,
      Margin__c: null,
      Account__r: { Name: 'Parent' },
    });
    const describe = await api<{ fields: Array<{ name: string }> }>(
      emulator,
      token,
      'GET',
      '/sobjects/Widget__c/describe',
    );
    expect(describe.body.fields.map((f) => f.name)).not.toContain('OwnerId');
    const dup = await api(emulator, token, 'POST', '/sobjects/Widget__c', {
      Name: 'W2',
      Code__c: 'ABC',
      Account__c: accountId,
    });
    expect(dup.body).toMatchObject([{ errorCode: 'DUPLICATE_VALUE' }]);
    const children = emulator.query<{ Widgets__r: { totalSize: number } }>(
      `SELECT (SELECT Id FROM Widgets__r) FROM Account WHERE Id = '${accountId}'`,
    );
    expect(children[0]!.Widgets__r.totalSize).toBe(1);
    const lead = await api<{ id: string }>(emulator, token, 'POST', '/sobjects/Lead', {
      LastName: 'L',
      Company: 'C',
    });
    expect(
      emulator.query<{ Tier__c: string }>(`SELECT Tier__c FROM Lead WHERE Id = '${lead.body.id}'`)[0]!
        .Tier__c,
    ).toBe('Bronze');
    expect(
      emulator.query<{ Limit__c: number }>(
        "SELECT Limit__c FROM Setting__mdt WHERE DeveloperName = 'Default'",
      )[0]!.Limit__c,
    ).toBe(250);
  });

  it('refuses DML on custom metadata types', async () => {
    const result = await api(emulator, token, 'POST', '/sobjects/Setting__mdt', { Limit__c: 1 });
    expect(result).toMatchObject({
      status: 400,
      body: [{ errorCode: 'INVALID_TYPE_FOR_OPERATION', message: 'entity type cannot be inserted: Setting' }],
    });
  });
});

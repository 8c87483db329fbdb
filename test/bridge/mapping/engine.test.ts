import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MappingEngine, type MappingSnapshot } from '../../../bridge/src/mapping/engine.js';
import { captureLogs } from '../responsys/support.js';
import { fieldMap, startMappingRig, type MappingRig } from './support.js';

// The mapping engine over both emulators: the package's default field maps as the Salesforce
// connector loads them, validated against the demo Responsys account, and applied to real records in
// both directions; admin mistakes reported by record name; per-record problems per record.

let rig: MappingRig;
let defaults: MappingSnapshot;

beforeAll(async () => {
  rig = await startMappingRig();
  defaults = await rig.engine().current();
});
afterAll(async () => {
  await rig?.close();
});

const leadSoql = (fields: string[], ids: string[]) =>
  `SELECT ${fields.join(', ')} FROM Lead WHERE Id IN ('${ids.join("','")}') ORDER BY LastName`;

describe('the default field maps', () => {
  it('load from Salesforce and validate against the demo account without a single problem', () => {
    expect(defaults.problems).toEqual([]);
    expect(defaults.mapsFor('Lead', 'outbound')).toHaveLength(12);
    expect(defaults.mapsFor('Contact', 'outbound')).toHaveLength(11);
    expect(defaults.profileList).toEqual({ name: 'CONTACTS_LIST', folderName: 'SF_Sync' });
  });

  it('name the Salesforce fields to read, parent fields included, with Id first', () => {
    expect(defaults.salesforceFields('Contact')).toEqual([
      'Id',
      'Account.Name',
      'Department',
      'Email',
      'FirstName',
      'HasOptedOutOfEmail',
      'LastName',
      'LeadSource',
      'MailingCity',
      'MailingCountry',
      'Phone',
      'Title',
    ]);
    expect(defaults.salesforceFields('Lead')).toEqual(
      expect.arrayContaining(['Company', 'Status', 'Rating', 'City']),
    );
    expect(defaults.extensionTargets('Lead')).toEqual(['SF_SALES_PET']);
    expect(defaults.inboundColumns('Lead')).toEqual({
      profileList: ['FIRST_NAME', 'LAST_NAME', 'PHONE_NUMBER', 'TITLE'],
      extensions: {},
    });
  });

  it('map a Lead read from Salesforce to a profile row and a PET row that Responsys accepts', async () => {
    const [id] = rig.salesforce.insert('Lead', [
      {
        FirstName: '  Grace ',
        LastName: 'Hopper',
        Company: ' Navy Research ',
        Email: 'Grace.Hopper@Example.COM',
        Title: 'Rear Admiral and Director of the Programming Languages Section, Navy',
        LeadSource: 'Phone Inquiry',
        HasOptedOutOfEmail: true,
        City: 'Arlington',
        Country: 'US',
        Phone: ' +1 555 0100 ',
      },
    ]);
    const [record] = await rig.salesforceClient.query(leadSoql(defaults.salesforceFields('Lead'), [id!]));
    const mapped = defaults.toResponsys('Lead', record!);
    expect(mapped).toEqual({
      ok: true,
      email: 'grace.hopper@example.com',
      profile: {
        EMAIL_ADDRESS_: 'grace.hopper@example.com',
        FIRST_NAME: 'Grace',
        LAST_NAME: 'Hopper',
        TITLE: 'Rear Admiral and Director of the Programming Langu',
        PHONE_NUMBER: '+1 555 0100',
        COMPANY_NAME: 'Navy Research',
        LEAD_SOURCE: 'PHONE',
        CITY_: 'Arlington',
        COUNTRY_: 'US',
        EMAIL_PERMISSION_STATUS_: 'O',
      },
      extensions: { SF_SALES_PET: { LEAD_STATUS: 'Open - Not Contacted', RATING: 'NONE' } },
    });
    if (!mapped.ok) return;

    const [merged] = await rig.responsysClient.mergeProfileMembers(
      [{ ...mapped.profile, CUSTOMER_ID_: id }],
      {
        matchColumn: 'CUSTOMER_ID_',
        defaultPermissionStatus: 'OPTOUT',
      },
    );
    expect(merged!.ok).toBe(true);
    const [pet] = await rig.responsysClient.mergeProfileExtension(
      'SF_SALES_PET',
      [{ ...mapped.extensions.SF_SALES_PET, CUSTOMER_ID_: id }],
      { matchColumn: 'CUSTOMER_ID' },
    );
    expect(pet!.ok).toBe(true);
    expect(rig.responsys.emulator.control.findMember({ customerId: id })).toMatchObject({
      EMAIL_ADDRESS_: 'grace.hopper@example.com',
      EMAIL_PERMISSION_STATUS_: 'O',
      LEAD_SOURCE: 'PHONE',
      TITLE: 'Rear Admiral and Director of the Programming Langu',
    });
  });

  it("map a Contact's parent Account name, and null when the Contact has no Account", async () => {
    const [accountId] = rig.salesforce.insert('Account', [{ Name: 'Analytical Engines Ltd' }]);
    const ids = rig.salesforce.insert('Contact', [
      { LastName: 'Lovelace', Email: 'ada@example.com', AccountId: accountId! },
      { LastName: 'Babbage', Email: 'charles@example.com' },
    ]);
    const records = await rig.salesforceClient.query(
      `SELECT ${defaults.salesforceFields('Contact').join(', ')} FROM Contact WHERE Id IN ('${ids.join("','")}') ORDER BY LastName`,
    );
    const [babbage, lovelace] = records.map((record) => defaults.toResponsys('Contact', record));
    expect(lovelace).toMatchObject({
      ok: true,
      profile: { COMPANY_NAME: 'Analytical Engines Ltd', EMAIL_PERMISSION_STATUS_: 'I' },
    });
    expect(babbage).toMatchObject({ ok: true, profile: { COMPANY_NAME: null } });
    expect(lovelace!.ok && lovelace!.extensions).toEqual({ SF_SALES_PET: { DEPARTMENT: null } });
  });

  it('fail a record with an invalid email alone, naming the field', async () => {
    const ids = rig.salesforce.insert('Lead', [
      { LastName: 'Good', Company: 'A', Email: 'good@example.com' },
      { LastName: 'Bad', Company: 'B', Email: 'bad@example.com' },
    ]);
    const records = await rig.salesforceClient.query(leadSoql(defaults.salesforceFields('Lead'), ids));
    const broken = records.map((record) =>
      record.LastName === 'Bad' ? { ...record, Email: 'not an email' } : record,
    );
    const [bad, good] = broken.map((record) => defaults.toResponsys('Lead', record));
    expect(good!.ok).toBe(true);
    expect(bad).toEqual({
      ok: false,
      errors: [
        {
          code: 'INVALID_EMAIL',
          map: 'Lead_Email',
          field: 'Email',
          column: 'EMAIL_ADDRESS_',
          message: 'Email "not an email" is not a valid email address',
        },
      ],
    });
  });

  it('map Responsys profile values back to Salesforce for the Both maps only', () => {
    const inbound = defaults.toSalesforce('Contact', {
      profile: {
        FIRST_NAME: ' Ann ',
        LAST_NAME: 'Lee',
        TITLE: 'CEO',
        PHONE_NUMBER: '+44 20 7946 0000',
        LEAD_SOURCE: 'WEB',
        COMPANY_NAME: 'Ignored Inc',
      },
    });
    expect(inbound).toEqual({
      ok: true,
      values: { FirstName: 'Ann', LastName: 'Lee', Title: 'CEO', Phone: '+44 20 7946 0000' },
      skipped: [],
    });
  });

  it('leave a required Salesforce field alone when Responsys has no value for it', () => {
    const inbound = defaults.toSalesforce('Lead', { profile: { LAST_NAME: null, FIRST_NAME: null } });
    expect(inbound).toEqual({
      ok: true,
      values: { FirstName: null },
      skipped: [
        {
          map: 'Lead_LastName',
          field: 'LastName',
          column: 'LAST_NAME',
          reason: 'LastName is required in Salesforce and LAST_NAME is empty',
        },
      ],
    });
  });

  it('tell which changes matter: mapped fields, and the lookup of a mapped parent field', () => {
    expect(defaults.isOutboundChange('Contact', ['AccountId'])).toBe(true);
    expect(defaults.isOutboundChange('Contact', ['Description', 'OwnerId'])).toBe(false);
    expect(defaults.isOutboundChange('Lead', ['email'])).toBe(true);
    expect(defaults.isOutboundChange('Lead', ['Status'])).toBe(true);
    expect(defaults.isOutboundChange('Lead', [])).toBe(true);
  });
});

describe('field maps an admin wrote', () => {
  it('reports every mistake by record name and keeps the valid maps working', async () => {
    const logs = captureLogs('info');
    const engine = rig.engineFor(
      [
        fieldMap('Lead_Email', 'Lead', 'Email', 'EMAIL_ADDRESS_', { transform: 'trim|lower' }),
        fieldMap('Typo_Field', 'Lead', 'Titel', 'TITLE'),
        fieldMap('Typo_Parent', 'Contact', 'Acount.Name', 'COMPANY_NAME'),
        fieldMap('Space_Column', 'Lead', 'FirstName', 'FIRST NAME'),
        fieldMap('Trailing_Underscore', 'Lead', 'FirstName', 'NICKNAME_'),
        fieldMap('Missing_Column', 'Lead', 'FirstName', 'MIDDLE_NAME'),
        fieldMap('Unknown_Pet', 'Lead', 'Status', 'LEAD_STATUS', { target: 'SF_MISSING_PET' }),
        fieldMap('Pet_Column', 'Lead', 'Status', 'STAGE', { target: 'SF_SALES_PET' }),
        fieldMap('Bad_Transform', 'Lead', 'LastName', 'LAST_NAME', { transform: 'trim|truncat:50' }),
        fieldMap('Wrong_Object', 'Opportunity', 'Name', 'COMPANY_NAME'),
        fieldMap('Wrong_Direction', 'Lead', 'Phone', 'PHONE_NUMBER', { direction: 'Sideways' }),
        fieldMap('Riid_Out', 'Lead', 'Responsys_RIID__c', 'RIID_'),
        fieldMap('Customer_Id', 'Lead', 'Id', 'CUSTOMER_ID_'),
        fieldMap('Parent_Inbound', 'Contact', 'Account.Name', 'COMPANY_NAME', { direction: 'Both' }),
        fieldMap('Readonly_Inbound', 'Lead', 'CreatedDate', 'CITY_', { direction: 'Inbound' }),
        fieldMap('Lead_Phone', 'Lead', 'Phone', 'PHONE_NUMBER'),
        fieldMap('Lead_Phone_Again', 'Lead', 'MobilePhone', 'phone_number'),
        fieldMap('Long_Title', 'Lead', 'Title', 'TITLE'),
        fieldMap('Inactive_Typo', 'Lead', 'Nope', 'NOPE', { active: false }),
      ],
      { logger: logs.logger },
    );
    const snapshot = await engine.current();
    const byRecord = Object.fromEntries(snapshot.problems.map((problem) => [problem.record, problem]));
    expect(byRecord).toEqual({
      Typo_Field: {
        record: 'Typo_Field',
        severity: 'error',
        message: 'Salesforce_Field__c "Titel": Lead has no field Titel',
      },
      Typo_Parent: {
        record: 'Typo_Parent',
        severity: 'error',
        message: 'Salesforce_Field__c "Acount.Name": Contact has no parent relationship Acount',
      },
      Space_Column: {
        record: 'Space_Column',
        severity: 'error',
        message: 'Responsys_Column__c "FIRST NAME" may only contain letters, digits, $, # and _',
      },
      Trailing_Underscore: {
        record: 'Trailing_Underscore',
        severity: 'error',
        message: 'Responsys_Column__c "NICKNAME_" ends with "_", which Responsys reserves for system columns',
      },
      Missing_Column: {
        record: 'Missing_Column',
        severity: 'error',
        message: 'Responsys_Column__c "MIDDLE_NAME" does not exist in the profile list CONTACTS_LIST',
      },
      Unknown_Pet: {
        record: 'Unknown_Pet',
        severity: 'error',
        message:
          'Target__c "SF_MISSING_PET" is neither PROFILE_LIST nor a profile extension table of CONTACTS_LIST (PETs: SF_SALES_PET)',
      },
      Pet_Column: {
        record: 'Pet_Column',
        severity: 'error',
        message: 'Responsys_Column__c "STAGE" does not exist in the profile extension table SF_SALES_PET',
      },
      Bad_Transform: {
        record: 'Bad_Transform',
        severity: 'error',
        message:
          'Transform__c "trim|truncat:50" is invalid: step 2 "truncat:50" is not a known step (known: trim, lower, upper, truncate, default, date, datetime, bool, map)',
      },
      Wrong_Object: {
        record: 'Wrong_Object',
        severity: 'error',
        message: 'Object__c "Opportunity" must be Lead or Contact',
      },
      Wrong_Direction: {
        record: 'Wrong_Direction',
        severity: 'error',
        message: 'Direction__c "Sideways" must be Outbound, Inbound or Both',
      },
      Riid_Out: {
        record: 'Riid_Out',
        severity: 'error',
        message:
          'Responsys_Column__c RIID_ is maintained by Responsys and cannot be written; make the map Inbound',
      },
      Customer_Id: {
        record: 'Customer_Id',
        severity: 'error',
        message:
          'Responsys_Column__c CUSTOMER_ID_ cannot be mapped: the bridge sets CUSTOMER_ID_ to the Salesforce record id',
      },
      Parent_Inbound: {
        record: 'Parent_Inbound',
        severity: 'error',
        message:
          'Salesforce_Field__c "Account.Name" is a parent field; Both maps need a field of Contact itself',
      },
      Readonly_Inbound: {
        record: 'Readonly_Inbound',
        severity: 'error',
        message: 'Salesforce_Field__c "CreatedDate" cannot be written on Lead; make the map Outbound',
      },
      Lead_Phone_Again: {
        record: 'Lead_Phone_Again',
        severity: 'error',
        message: 'Lead_Phone already maps PROFILE_LIST PHONE_NUMBER for Lead; only one map may write it',
      },
      Long_Title: {
        record: 'Long_Title',
        severity: 'warning',
        message:
          'Title holds up to 128 characters but TITLE only 50: longer values will fail record by record (add truncate:50 to Transform__c to cut them)',
      },
    });
    expect(snapshot.maps.map((map) => map.name)).toEqual(['Lead_Email', 'Lead_Phone', 'Long_Title']);
    expect(engine.status()).toMatchObject({ loaded: true, maps: 3 });
    const logged = logs.lines.filter((line) => line.fieldMap === 'Typo_Field');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'Field map Typo_Field: Salesforce_Field__c "Titel": Lead has no field Titel (the map is ignored until fixed)',
      }),
    ]);
  });

  it('return per-record problems (too long, unmapped value) without failing the other records', async () => {
    const snapshot = await rig
      .engineFor([
        fieldMap('Lead_Email', 'Lead', 'Email', 'EMAIL_ADDRESS_', { transform: 'trim|lower' }),
        fieldMap('Lead_Title', 'Lead', 'Title', 'TITLE'),
        fieldMap('Lead_Source', 'Lead', 'LeadSource', 'LEAD_SOURCE', {
          transform: 'map:Web=WEB,Phone Inquiry=PHONE',
        }),
      ])
      .current();
    const results = snapshot.toResponsysBatch('Lead', [
      { Id: '00Q1', Email: 'a@example.com', Title: 'x'.repeat(60), LeadSource: 'Web' },
      { Id: '00Q2', Email: 'b@example.com', Title: 'CTO', LeadSource: 'Trade Show' },
      { Id: '00Q3', Email: 'c@example.com', Title: 'CEO', LeadSource: 'Phone Inquiry' },
    ]);
    expect(results[0]).toEqual({
      ok: false,
      errors: [
        {
          code: 'VALUE_TOO_LONG',
          map: 'Lead_Title',
          field: 'Title',
          column: 'TITLE',
          message: 'Title is 60 characters long; TITLE holds 50 (Lead_Title)',
        },
      ],
    });
    expect(results[1]).toMatchObject({
      ok: false,
      errors: [{ code: 'UNMAPPED_VALUE', map: 'Lead_Source', field: 'LeadSource' }],
    });
    expect(results[2]).toMatchObject({ ok: true, profile: { LEAD_SOURCE: 'PHONE', TITLE: 'CEO' } });
  });

  it('apply inverse transforms inbound: bool back to a checkbox, map back to the picklist value, fallback skipped', async () => {
    const snapshot = await rig
      .engineFor([
        fieldMap('Opt_Out', 'Contact', 'HasOptedOutOfEmail', 'EMAIL_PERMISSION_STATUS_', {
          direction: 'Both',
          transform: 'bool:O/I',
        }),
        fieldMap('Source', 'Contact', 'LeadSource', 'LEAD_SOURCE', {
          direction: 'Both',
          transform: 'map:Web=WEB,Phone Inquiry=PHONE,*=OTHER',
        }),
        fieldMap('Dept', 'Contact', 'Department', 'DEPARTMENT', {
          direction: 'Inbound',
          target: 'SF_SALES_PET',
        }),
        fieldMap('Title', 'Contact', 'Title', 'TITLE', { direction: 'Inbound' }),
      ])
      .current();
    expect(snapshot.inboundColumns('Contact')).toEqual({
      profileList: ['EMAIL_PERMISSION_STATUS_', 'LEAD_SOURCE', 'TITLE'],
      extensions: { SF_SALES_PET: ['DEPARTMENT'] },
    });
    expect(
      snapshot.toSalesforce('Contact', {
        profile: { EMAIL_PERMISSION_STATUS_: 'O', LEAD_SOURCE: 'PHONE' },
        extensions: { SF_SALES_PET: { DEPARTMENT: 'Research' } },
      }),
    ).toEqual({
      ok: true,
      values: { HasOptedOutOfEmail: true, LeadSource: 'Phone Inquiry', Department: 'Research' },
      skipped: [],
    });
    expect(
      snapshot.toSalesforce('Contact', { profile: { EMAIL_PERMISSION_STATUS_: 'I', LEAD_SOURCE: 'OTHER' } }),
    ).toEqual({
      ok: true,
      values: { HasOptedOutOfEmail: false },
      skipped: [
        {
          map: 'Source',
          field: 'LeadSource',
          column: 'LEAD_SOURCE',
          reason: '"OTHER" is the fallback of the value map; the Salesforce value it came from is unknown',
        },
      ],
    });
    const bad = snapshot.toSalesforce('Contact', {
      profile: { EMAIL_PERMISSION_STATUS_: 'X', TITLE: 't'.repeat(200) },
    });
    expect(bad).toMatchObject({
      ok: false,
      errors: [
        { code: 'INVALID_VALUE', map: 'Opt_Out' },
        {
          code: 'VALUE_TOO_LONG',
          map: 'Title',
          message: 'TITLE → Title: 200 characters; the field holds 128 (Title)',
        },
      ],
    });
  });

  it('keeps the last good mapping when a refresh fails, and says so', async () => {
    let failing = false;
    const logs = captureLogs('info');
    const engine = new MappingEngine({
      salesforce: {
        loadFieldMaps: () =>
          failing
            ? Promise.reject(new Error('Salesforce is down'))
            : Promise.resolve([fieldMap('Lead_Email', 'Lead', 'Email', 'EMAIL_ADDRESS_')]),
        describeFields: (objectName) => rig.fieldMaps.describeFields(objectName),
      },
      responsys: rig.responsysClient,
      logger: logs.logger,
    });
    const first = await engine.current();
    failing = true;
    await expect(engine.refresh()).rejects.toThrow(
      'Could not load the Responsys field maps: Salesforce is down',
    );
    expect(await engine.current()).toBe(first);
    expect(engine.status()).toMatchObject({
      loaded: true,
      maps: 1,
      lastFailure: { message: 'Could not load the Responsys field maps: Salesforce is down' },
    });
    expect(logs.text()).toContain('keeping the mapping loaded at');
  });

  it('fails clearly when the first load fails', async () => {
    const engine = rig.engineFor([]);
    const broken = new MappingEngine({
      salesforce: {
        loadFieldMaps: () => Promise.reject(new Error('INVALID_SESSION_ID')),
        describeFields: () => Promise.resolve([]),
      },
      responsys: rig.responsysClient,
      logger: captureLogs().logger,
    });
    await expect(broken.current()).rejects.toMatchObject({ code: 'UPSTREAM_FAILED' });
    expect(broken.status()).toMatchObject({ loaded: false, maps: 0 });
    expect((await engine.current()).maps).toEqual([]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { runGate } from '../../scripts/quality/run-gate.js';
import { blankComments, findNameReferences } from '../../scripts/quality/checks/source-references.js';
import { copyOfRealPackage, type FixtureProject } from './support/fixture-project.js';

const OBJECTS = 'force-app/main/default/objects';
let project: FixtureProject;

async function contractFindings(): Promise<string[]> {
  const [outcome] = await runGate({ root: project.root, only: ['contract'] });
  expect(outcome?.error).toBeUndefined();
  return (outcome?.findings ?? []).map((finding) =>
    [finding.file, finding.line, finding.message].filter((part) => part !== undefined).join(' '),
  );
}

async function edit(path: string, change: (content: string) => string): Promise<void> {
  await project.write(path, change(await project.read(path)));
}

describe('metadata contract check', () => {
  afterEach(async () => {
    await project.dispose();
  });

  it('finds nothing wrong with an untouched copy of the package', async () => {
    project = await copyOfRealPackage();
    expect(await contractFindings()).toEqual([]);
  });

  it('reports a contract field that is missing from force-app', async () => {
    project = await copyOfRealPackage();
    await project.remove(`${OBJECTS}/Responsys_Sync__e/fields/Correlation_Id__c.field-meta.xml`);

    expect(await contractFindings()).toEqual([
      'scripts/quality/contract-names.json contract field Responsys_Sync__e.Correlation_Id__c is missing from force-app',
    ]);
  });

  it('reports a contract object that is missing and a contract field whose shape changed', async () => {
    project = await copyOfRealPackage();
    await project.remove(`${OBJECTS}/Responsys_Status_Rule__mdt`);
    await project.remove('force-app/main/default/customMetadata');
    await edit(`${OBJECTS}/Lead/fields/Responsys_RIID__c.field-meta.xml`, (xml) =>
      xml.replace('<length>30</length>', '<length>40</length>'),
    );
    await edit(`${OBJECTS}/Responsys_Engagement__c/fields/Event_Type__c.field-meta.xml`, (xml) =>
      xml.replace('<fullName>Opted_In</fullName>', '<fullName>Opted_Back_In</fullName>'),
    );

    const findings = await contractFindings();

    expect(findings).toContain(
      'scripts/quality/contract-names.json contract object Responsys_Status_Rule__mdt is missing from force-app',
    );
    expect(findings).toContain(
      `${OBJECTS}/Lead/fields/Responsys_RIID__c.field-meta.xml Lead.Responsys_RIID__c: length must be 30 (contract), found 40`,
    );
    expect(findings).toContain(
      `${OBJECTS}/Responsys_Engagement__c/fields/Event_Type__c.field-meta.xml Responsys_Engagement__c.Event_Type__c: picklist values missing: Opted_In`,
    );
  });

  it('reports a platform event that is no longer published after commit', async () => {
    project = await copyOfRealPackage();
    await edit(`${OBJECTS}/Responsys_Sync__e/Responsys_Sync__e.object-meta.xml`, (xml) =>
      xml.replace('PublishAfterCommit', 'PublishImmediately'),
    );

    expect(await contractFindings()).toEqual([
      `${OBJECTS}/Responsys_Sync__e/Responsys_Sync__e.object-meta.xml Responsys_Sync__e publishBehavior must be PublishAfterCommit (contract), found PublishImmediately`,
    ]);
  });

  it('reports custom names in Apex, LWC, the bridge and the emulators that force-app does not define', async () => {
    project = await copyOfRealPackage();
    await project.addApexClass(
      'UsesAMissingField',
      [
        'public with sharing class UsesAMissingField {',
        '    // Responsys_In_A_Comment__c is prose, not a reference.',
        "    public static String fieldName = 'Responsys_Missing__c';",
        '    public static Object value(Lead lead) {',
        '        return lead.get(RESPONSYS_RIID__C.getDescribe().getName());',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
    await project.write(
      'force-app/main/default/lwc/someComponent/someComponent.js',
      "import RIID from '@salesforce/schema/Lead.Responsys_RIID__c';\nexport const score = 'Responsys_Score__c';\n",
    );
    await project.write(
      'bridge/src/salesforce/fields.ts',
      "export const SYNC_CHANNEL = '/event/Responsys_Sync__e';\nexport const RIID = 'responsys_riid__c';\n",
    );
    await project.write(
      'test/emulators/salesforce/schema/extra.ts',
      "export const EVENT = 'Responsys_Sync_Event__e';\n/* Responsys_Old__c in a block comment */\n",
    );
    await project.write(
      'test/emulators/salesforce/schema/extra.test.ts',
      "const bogus = 'Deliberately_Missing__c';\n",
    );

    const notDefined =
      'is not defined in force-app (add it to the package, or to allowedMissingReferences in scripts/quality/contract-names.json with a reason)';
    expect(await contractFindings()).toEqual([
      `force-app/main/default/classes/UsesAMissingField.cls 3 Responsys_Missing__c ${notDefined}`,
      `force-app/main/default/lwc/someComponent/someComponent.js 2 Responsys_Score__c ${notDefined}`,
      'bridge/src/salesforce/fields.ts 2 responsys_riid__c is spelled Responsys_RIID__c in force-app (JSON keys are case-sensitive)',
      `test/emulators/salesforce/schema/extra.ts 1 Responsys_Sync_Event__e ${notDefined}`,
    ]);
  });

  it('reports custom metadata records and permission sets that point at things that do not exist', async () => {
    project = await copyOfRealPackage();
    await edit('force-app/main/default/customMetadata/Responsys_Field_Map.Lead_Email.md-meta.xml', (xml) =>
      xml
        .replace('>Outbound<', '>Sideways<')
        .replace('<field>Transform__c</field>', '<field>Transformation__c</field>'),
    );
    await edit(
      'force-app/main/default/permissionsets/Responsys_Engagement_Viewer.permissionset-meta.xml',
      (xml) =>
        xml
          .replace(
            '<apexClass>ResponsysEngagementController</apexClass>',
            '<apexClass>GoneController</apexClass>',
          )
          .replace('<field>Lead.Responsys_RIID__c</field>', '<field>Lead.Responsys_Gone__c</field>'),
    );

    const findings = await contractFindings();

    const record = 'force-app/main/default/customMetadata/Responsys_Field_Map.Lead_Email.md-meta.xml';
    const viewer = 'force-app/main/default/permissionsets/Responsys_Engagement_Viewer.permissionset-meta.xml';
    expect(findings).toEqual([
      `${record} Direction__c = "Sideways" is not a value of its picklist (Outbound, Inbound, Both)`,
      `${record} Responsys_Field_Map__mdt has no field Transformation__c (record Lead_Email)`,
      `${viewer} field permission for undefined field Lead.Responsys_Gone__c`,
      `${viewer} class access for undefined Apex class GoneController`,
    ]);
  });
});

describe('finding custom names in source', () => {
  it('blanks comments but keeps strings that look like comments, and keeps line numbers', () => {
    const apex = "String url = 'https://x/*not a comment*/'; // Old__c\n/* Gone__c\n */ Kept__c";
    const code = blankComments(apex, 'apex');

    expect(code).toContain("'https://x/*not a comment*/'");
    expect(code).not.toContain('Old__c');
    expect(code).not.toContain('Gone__c');
    expect(findNameReferences(apex, 'apex', 'X.cls')).toEqual([
      { name: 'Kept__c', file: 'X.cls', line: 3, caseSensitive: false },
    ]);
  });

  it('treats HTML comments as prose and script names as case-sensitive', () => {
    expect(findNameReferences('<!-- Hidden__c -->\n<p>{record.Shown__c}</p>', 'html', 'x.html')).toEqual([
      { name: 'Shown__c', file: 'x.html', line: 2, caseSensitive: true },
    ]);
  });
});

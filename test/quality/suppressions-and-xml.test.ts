import { afterEach, describe, expect, it } from 'vitest';
import { runGate } from '../../scripts/quality/run-gate.js';
import { findUnexplainedSuppressions } from '../../scripts/quality/checks/suppressions.js';
import {
  CLASSES,
  REPO_ROOT,
  copyOfRealPackage,
  emptyPackage,
  type FixtureProject,
} from './support/fixture-project.js';

let project: FixtureProject | undefined;

afterEach(async () => {
  await project?.dispose();
  project = undefined;
});

describe('suppression reasons', () => {
  it('reports a PMD suppression without a reason in a package class, with its line', async () => {
    project = await emptyPackage();
    await project.addApexClass(
      'Silenced',
      [
        'public with sharing class Silenced {',
        "    @SuppressWarnings('PMD.AvoidDebugStatements')",
        '    public static void log() {',
        "        System.debug('x');",
        '    }',
        '}',
        '',
      ].join('\n'),
    );

    const [outcome] = await runGate({ root: project.root, only: ['suppressions'] });

    expect(outcome?.findings).toEqual([
      {
        file: `${CLASSES}/Silenced.cls`,
        line: 2,
        message: '@SuppressWarnings without a reason: put a // comment saying why directly above it',
      },
    ]);
  });

  it('accepts a reason directly above (other annotations between) or at the end of the line', () => {
    const source = [
      '    // The admin asked for this log line while the bridge is in pilot.',
      '    @TestVisible',
      "    @SuppressWarnings('PMD.AvoidDebugStatements')",
      "    @SuppressWarnings('PMD.ExcessiveParameterList') // mirrors the four-argument contract of the LWC",
      "    System.debug('x'); // NOPMD the bridge support team reads this line",
    ].join('\n');

    expect(findUnexplainedSuppressions(source)).toEqual({ total: 3, problems: [] });
  });

  it('rejects a one-word reason, a bare NOPMD and a bare code-analyzer-suppress marker', () => {
    const source = [
      '    // why',
      "    @SuppressWarnings('PMD')",
      "    System.debug('x'); // NOPMD",
      '    // code-analyzer-suppress(pmd)',
      '    // code-analyzer-suppress(pmd:ApexDoc) generated accessor, documented on the interface',
    ].join('\n');

    expect(findUnexplainedSuppressions(source).problems.map((problem) => problem.line)).toEqual([2, 3, 4]);
  });
});

describe('metadata XML check', () => {
  it('reports a malformed metadata file with its line and passes the others', async () => {
    project = await copyOfRealPackage();
    const path = 'force-app/main/default/objects/Lead/fields/Responsys_RIID__c.field-meta.xml';
    await project.write(path, (await project.read(path)).replace('</label>', '</lable>'));

    const [outcome] = await runGate({ root: project.root, only: ['xml'] });

    expect(outcome?.findings).toHaveLength(1);
    expect(outcome?.findings[0]).toMatchObject({ file: path });
    expect(outcome?.findings[0]?.message).toMatch(/label|lable/);
    expect(outcome?.findings[0]?.line).toBeGreaterThan(1);
  });
});

describe('metadata limits', () => {
  it('reports a permission set description and a field label longer than Salesforce accepts', async () => {
    project = await copyOfRealPackage();
    const permissionSet =
      'force-app/main/default/permissionsets/Responsys_Engagement_Viewer.permissionset-meta.xml';
    const field = 'force-app/main/default/objects/Lead/fields/Responsys_RIID__c.field-meta.xml';
    await project.write(
      permissionSet,
      (await project.read(permissionSet)).replace(/<description>[^<]*</, `<description>${'x'.repeat(256)}<`),
    );
    await project.write(
      field,
      (await project.read(field)).replace(/<label>[^<]*</, `<label>${'Responsys recipient id '.repeat(2)}<`),
    );

    const [outcome] = await runGate({ root: project.root, only: ['limits'] });

    expect(outcome?.findings).toEqual([
      { file: field, message: '<label> has 46 characters; Salesforce allows 40' },
      { file: permissionSet, message: '<description> has 256 characters; Salesforce allows 255' },
    ]);
  });

  it('passes the real package', async () => {
    const [outcome] = await runGate({ root: REPO_ROOT, only: ['limits'] });
    expect(outcome?.findings).toEqual([]);
    expect(outcome?.summary).toMatch(/^\d+ metadata files within/);
  });
});

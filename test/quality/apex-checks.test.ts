import { afterEach, describe, expect, it } from 'vitest';
import { runGate } from '../../scripts/quality/run-gate.js';
import { CLASSES, copyOfRealPackage, emptyPackage, type FixtureProject } from './support/fixture-project.js';

const JAVA_TIMEOUT_MS = 180_000;
let project: FixtureProject | undefined;

afterEach(async () => {
  await project?.dispose();
  project = undefined;
});

async function runCheck(root: string, id: string) {
  const [outcome] = await runGate({ root, only: [id] });
  if (!outcome) throw new Error(`check ${id} did not run`);
  // A check that could not run (no Java, for instance) must fail these tests, never pass them.
  expect(outcome.error, `check ${id} could not run`).toBeUndefined();
  return outcome;
}

describe('Apex syntax check', () => {
  it('reports a class with a missing semicolon with its file and line', async () => {
    project = await emptyPackage();
    await project.addApexClass(
      'BrokenSyntax',
      'public with sharing class BrokenSyntax {\n    public static Integer one() {\n        return 1\n    }\n}\n',
    );
    await project.addApexClass('FineSyntax', 'public with sharing class FineSyntax {\n}\n');

    const outcome = await runCheck(project.root, 'apex-syntax');

    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({ file: `${CLASSES}/BrokenSyntax.cls`, line: 4 });
  });

  it('parses triggers with the trigger grammar and reports their errors too', async () => {
    project = await emptyPackage();
    await project.write(
      'force-app/main/default/triggers/Good.trigger',
      'trigger Good on Lead(after insert) {\n}\n',
    );
    await project.write(
      'force-app/main/default/triggers/Bad.trigger',
      'trigger Bad on Lead(after insert {\n}\n',
    );

    const outcome = await runCheck(project.root, 'apex-syntax');

    expect(outcome.findings.map((finding) => finding.file)).toEqual([
      'force-app/main/default/triggers/Bad.trigger',
    ]);
  });
});

describe('Apex formatting check', () => {
  it('reports Apex that Prettier would reformat and accepts formatted Apex', async () => {
    project = await emptyPackage();
    await project.addApexClass(
      'Untidy',
      'public with sharing class Untidy {public static Integer one(){return 1;}}\n',
    );
    await project.addApexClass(
      'Tidy',
      'public with sharing class Tidy {\n    public static Integer one() {\n        return 1;\n    }\n}\n',
    );

    const outcome = await runCheck(project.root, 'apex-format');

    expect(outcome.findings.map((finding) => finding.file)).toEqual([`${CLASSES}/Untidy.cls`]);
  });
});

describe('Apex semantic check (apex-ls on Java)', () => {
  it(
    'reports an unknown field of a package object and an unknown method, and nothing in the real package',
    async () => {
      project = await copyOfRealPackage();
      await project.addApexClass(
        'UsesUnknownNames',
        [
          'public with sharing class UsesUnknownNames {',
          '    public static void run() {',
          "        Lead lead = new Lead(LastName = 'x', Responsys_Not_A_Field__c = 'y');",
          '        ResponsysSyncPublisher.publishEverything(lead);',
          '    }',
          '}',
          '',
        ].join('\n'),
      );

      const outcome = await runCheck(project.root, 'apex-semantics');

      const messages = outcome.findings.map(
        (finding) => `${finding.file}:${finding.line} ${finding.message}`,
      );
      expect(messages).toHaveLength(2);
      expect(messages[0]).toMatch(/UsesUnknownNames\.cls:3 .*Unknown field 'Responsys_Not_A_Field__c'/);
      expect(messages[1]).toMatch(
        /UsesUnknownNames\.cls:4 .*No matching method found for 'publishEverything'/,
      );
    },
    JAVA_TIMEOUT_MS,
  );
});

describe('PMD check (Code Analyzer, Recommended and Security rules)', () => {
  it(
    'fails on a high-severity finding and accepts the same code where a suppression says why',
    async () => {
      project = await emptyPackage();
      const eagerDescribe = (name: string, suppression: string[]) =>
        [
          `public with sharing class ${name} {`,
          ...suppression,
          '    public static Integer fieldCount() {',
          '        return Account.SObjectType.getDescribe().fields.getMap().size();',
          '    }',
          '}',
          '',
        ].join('\n');
      await project.addApexClass('EagerDescribe', eagerDescribe('EagerDescribe', []));
      await project.addApexClass(
        'ExplainedDescribe',
        eagerDescribe('ExplainedDescribe', [
          '    // Counting fields needs the full describe; this runs once per admin click.',
          "    @SuppressWarnings('PMD.EagerlyLoadedDescribeSObjectResult')",
        ]),
      );

      const outcomes = await runGate({ root: project.root, only: ['pmd', 'suppressions'] });

      expect(outcomes.map((outcome) => [outcome.check.id, outcome.error])).toEqual([
        ['suppressions', undefined],
        ['pmd', undefined],
      ]);
      const [suppressions, pmd] = outcomes;
      expect(suppressions?.findings).toEqual([]);
      expect(pmd?.findings).toHaveLength(1);
      expect(pmd?.findings[0]?.message).toMatch(/^EagerlyLoadedDescribeSObjectResult \(severity 2\)/);
      expect(pmd?.findings[0]?.file).toBe(`${CLASSES}/EagerDescribe.cls`);
    },
    JAVA_TIMEOUT_MS,
  );
});

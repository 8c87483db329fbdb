import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, copyOfRealPackage, type FixtureProject } from './support/fixture-project.js';

const execFileAsync = promisify(execFile);
const GATE = join(REPO_ROOT, 'scripts', 'quality', 'salesforce-gate.ts');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
let project: FixtureProject | undefined;

afterEach(async () => {
  await project?.dispose();
  project = undefined;
});

async function gate(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(TSX, [GATE, ...args], { cwd: REPO_ROOT });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('salesforce-gate command', () => {
  it('exits 1 and lists each finding under its check when the package is broken', async () => {
    project = await copyOfRealPackage();
    await project.write('force-app/main/default/classes/Broken.cls', 'public class Broken {\n');
    await project.write('force-app/main/default/objects/Broken.xml', '<a><b></a>');

    const { code, output } = await gate(['--root', project.root, '--only', 'apex-syntax,xml,contract']);

    expect(code).toBe(1);
    expect(output).toMatch(/FAIL {2}Apex syntax .*1 finding/);
    expect(output).toContain('force-app/main/default/classes/Broken.cls:2');
    expect(output).toMatch(/FAIL {2}Metadata XML well formed .*1 finding/);
    expect(output).toMatch(/ok {4}Metadata contract/);
    expect(output).toMatch(/FAILED: Apex syntax, Metadata XML well formed/);
  }, 60_000);

  it('exits 0 with a PASSED summary for an intact package', async () => {
    project = await copyOfRealPackage();

    const { code, output } = await gate([
      '--root',
      project.root,
      '--only',
      'apex-syntax,xml,contract,suppressions',
    ]);

    expect(code).toBe(0);
    expect(output).toMatch(/PASSED: 4 checks/);
  }, 60_000);

  it('exits 2 and names the known checks when asked for one that does not exist', async () => {
    const { code, output } = await gate(['--only', 'spelling']);

    expect(code).toBe(2);
    expect(output).toContain(
      'Unknown check spelling; known: apex-syntax, apex-format, xml, limits, contract',
    );
  }, 60_000);
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Check } from './types.js';

const execFileAsync = promisify(execFile);

async function sfVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('sf', ['--version'], { timeout: 60_000 });
    return stdout.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}

/** When the Salesforce CLI is installed, the source converts to a Metadata API package. Optional. */
export const sfConvertCheck: Check = {
  id: 'sf-convert',
  title: 'sf project convert source',
  runsOutOfProcess: true,
  async run(context) {
    const version = await sfVersion();
    if (!version) {
      return { findings: [], summary: '', skipped: 'the sf CLI is not installed (optional step)' };
    }
    const outputDir = await mkdtemp(join(tmpdir(), 'salesforce-gate-mdapi-'));
    try {
      await execFileAsync(
        'sf',
        [
          'project',
          'convert',
          'source',
          '--source-dir',
          context.forceAppDir,
          '--output-dir',
          join(outputDir, 'mdapi'),
        ],
        { cwd: context.root, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      );
      return { findings: [], summary: `converted with ${version}` };
    } catch (error) {
      const failed = error as { stderr?: string; stdout?: string; message: string };
      return {
        findings: [{ message: (failed.stderr || failed.stdout || failed.message).trim().slice(0, 2000) }],
        summary: `conversion failed with ${version}`,
      };
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  },
};

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

export const REQUIRED_JAVA_MAJOR = 17;

/** The java executable: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on the PATH. */
export function javaCommand(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/**
 * Confirms Java 17+ is installed, or throws an error that says what to install. The Apex semantic
 * check and PMD need it; a gate that quietly skipped them would pass code it never looked at.
 */
export async function requireJava(): Promise<{ command: string; major: number }> {
  const command = javaCommand();
  let output: string;
  try {
    const { stdout, stderr } = await execFileAsync(command, ['-version']);
    output = `${stderr}${stdout}`;
  } catch (error) {
    throw new Error(
      `Java ${REQUIRED_JAVA_MAJOR} or later is required for the Apex semantic check and PMD, but "${command}" ` +
        `could not be run (${(error as Error).message.split('\n')[0]}). Install it (Debian: apt-get install ` +
        `openjdk-${REQUIRED_JAVA_MAJOR}-jre-headless) or point JAVA_HOME at a JDK.`,
      { cause: error },
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : NaN;
  if (!(major >= REQUIRED_JAVA_MAJOR)) {
    throw new Error(
      `Java ${REQUIRED_JAVA_MAJOR} or later is required for the Apex semantic check and PMD; "${command} -version" said: ` +
        output.split('\n')[0],
    );
  }
  return { command, major };
}

/** The jars shipped by @salesforce/code-analyzer-pmd-engine: PMD, apex-ls and the Salesforce type stubs. */
export function pmdEngineJavaLib(): string {
  return join(
    dirname(require.resolve('@salesforce/code-analyzer-pmd-engine/package.json')),
    'dist',
    'java-lib',
  );
}

export async function runJava(
  args: string[],
  options: { cwd: string; timeoutMs: number },
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  try {
    const { stdout, stderr } = await execFileAsync(javaCommand(), args, {
      cwd: options.cwd,
      timeout: options.timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string; killed?: boolean };
    if (typeof failed.code !== 'number') throw error;
    return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '', exitCode: failed.code };
  }
}

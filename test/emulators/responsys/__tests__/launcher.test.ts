import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { call } from './support.js';

// `npm run emulators` (test/emulators/main.ts) started as a separate process, the way a developer runs it.

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

function waitForOutput(child: ChildProcess, marker: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`no "${marker}" within ${timeoutMs} ms; output:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(marker)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before "${marker}"; output:\n${output}`));
    });
  });
}

describe('standalone emulator launcher', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('starts the Responsys emulator with demo data, prints its URLs and credentials, and stops cleanly on SIGTERM', async () => {
    // Node with tsx's loader, as `npm run emulators` runs it, minus the tsx CLI's signal relay (which
    // gives the process 30 ms to acknowledge a signal and SIGKILLs it on a busy machine).
    child = spawn(process.execPath, ['--import', 'tsx', 'test/emulators/main.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        RESPONSYS_EMULATOR_PORT: '0',
        RESPONSYS_SFTP_PORT: '0',
        SALESFORCE_EMULATOR_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = await waitForOutput(child, 'Press Ctrl+C', 30_000);
    expect(output).toContain('Responsys emulator');
    expect(output).toContain('api_user / api_password');
    expect(output).toMatch(/sftp:\/\/sftp_user:sftp_password@127\.0\.0\.1:\d+\//);
    const url = /REST login \/ endPoint\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    expect(url, output).toBeDefined();

    const login = await call<{ authToken: string; endPoint: string }>(`${url}/rest/api/v1.3/auth/token`, {
      form: 'user_name=api_user&password=api_password&auth_type=password',
    });
    expect(login.body.endPoint).toBe(url);
    const count = await call<{ count: number }>(`${url}/rest/api/v1.3/lists/CONTACTS_LIST/members/count`, {
      token: login.body.authToken,
    });
    expect(count.body.count, `${count.status} ${count.text}`).toBe(12);

    const exited = new Promise<string>((resolve) =>
      child!.once('exit', (code, signal) => resolve(`code ${code} signal ${signal}`)),
    );
    let tail = '';
    child.stdout!.on('data', (chunk: Buffer) => (tail += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (tail += chunk.toString('utf8')));
    child.kill('SIGTERM');
    expect(await exited, `output after SIGTERM:\n${tail}`).toBe('code 0 signal null');
  });
});

import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// `responsys-bridge emulators` runs the emulator launcher (test/emulators/main.ts) in the CLI process.

describe('responsys-bridge emulators', () => {
  it('starts the local emulators and stops them on Ctrl+C', { timeout: 90_000 }, async () => {
    const child = spawn(process.execPath, ['bin/responsys-bridge.js', 'emulators'], {
      cwd: process.cwd(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        SALESFORCE_EMULATOR_PORT: '0',
        RESPONSYS_EMULATOR_PORT: '0',
        RESPONSYS_SFTP_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "Press Ctrl+C" line; stdout: ${stdout}; stderr: ${stderr}`)),
        80_000,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Press Ctrl+C to stop.')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => reject(new Error(`exited with ${code}; stderr: ${stderr}`)));
    });
    expect(stderr).toContain('Starting the emulators');
    expect(stdout).toMatch(/http:\/\/127\.0\.0\.1:\d+/);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

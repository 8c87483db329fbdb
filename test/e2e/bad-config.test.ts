import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeEnv, spawnCli, startEmulators, type Emulators } from './support.js';

// `responsys-bridge start` with a bad configuration stops at once, before opening the store or
// calling anyone, with a message that names each variable at fault.

let emulators: Emulators;
const workDir = mkdtempSync(join(tmpdir(), 'bridge-bad-config-'));

beforeAll(async () => {
  emulators = await startEmulators();
});

afterAll(async () => {
  await emulators?.close();
});

async function startFails(env: Record<string, string>): Promise<string> {
  const child = spawnCli(['start'], env, workDir);
  expect(await child.exited).toBe(1);
  const output = child.output();
  expect(output).not.toMatch(/store ready|bridge started/);
  return output;
}

describe('a bridge started with a bad configuration', () => {
  it('names every variable live mode still needs when one credential is set', async () => {
    const output = await startFails({ SALESFORCE_CLIENT_ID: 'only-this' });
    expect(output).toMatch(/live mode, because SALESFORCE_CLIENT_ID is set/);
    for (const variable of [
      'SALESFORCE_LOGIN_URL',
      'SALESFORCE_USERNAME',
      'SALESFORCE_PRIVATE_KEY_FILE',
      'RESPONSYS_LOGIN_URL',
      'RESPONSYS_USERNAME',
      'RESPONSYS_PASSWORD',
      'RESPONSYS_PROFILE_LIST',
      'BRIDGE_ADMIN_TOKEN',
    ]) {
      expect(output).toContain(`- ${variable} `);
    }
  });

  it('names a Salesforce setting with a value it cannot use', async () => {
    const output = await startFails(
      bridgeEnv(emulators, 'postgres://user:pw@127.0.0.1:1/unused', {
        SALESFORCE_API_RESERVE_PERCENT: 'plenty',
        SALESFORCE_RECONCILE_SCHEDULE: 'every day',
      }),
    );
    expect(output).toMatch(
      /SALESFORCE_API_RESERVE_PERCENT must be a whole number from 0 to 90 \(got "plenty"\)/,
    );
    expect(output).toMatch(/SALESFORCE_RECONCILE_SCHEDULE must be a five-field cron expression or off/);
  });

  it('names the JWT key file when it is not a private key', async () => {
    const notAKey = join(workDir, 'server.crt');
    writeFileSync(notAKey, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const output = await startFails(
      bridgeEnv(emulators, 'postgres://user:pw@127.0.0.1:1/unused', { SALESFORCE_PRIVATE_KEY_FILE: notAKey }),
    );
    expect(output).toMatch(/SALESFORCE_PRIVATE_KEY_FILE is not a PEM private key file/);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SANDBOX_ADMIN_TOKEN } from '../../bridge/src/config/config.js';
import { describeConfig } from '../../bridge/src/config/describe.js';
import { loadConfig } from '../../bridge/src/config/load.js';
import { BridgeError } from '../../bridge/src/shared/errors.js';
import { redactText } from '../../bridge/src/shared/redaction.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
const keyFile = join(dir, 'server.key');
writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\nMIIEv...\n-----END PRIVATE KEY-----\n');
const notAKey = join(dir, 'notes.txt');
writeFileSync(notAKey, 'hello');

const live = {
  SALESFORCE_LOGIN_URL: 'https://login.salesforce.com/',
  SALESFORCE_CLIENT_ID: '3MVG9-client-id',
  SALESFORCE_USERNAME: 'bridge@example.com',
  SALESFORCE_PRIVATE_KEY_FILE: keyFile,
  RESPONSYS_LOGIN_URL: 'https://login2.responsys.net',
  RESPONSYS_USERNAME: 'api_user',
  RESPONSYS_PASSWORD: 'responsys-password-1',
  RESPONSYS_PROFILE_LIST: 'CONTACTS_LIST',
  RESPONSYS_PROFILE_LIST_FOLDER: 'SF_Sync',
  BRIDGE_ADMIN_TOKEN: 'a-long-random-admin-token',
};

function load(env: Record<string, string | undefined>) {
  return loadConfig({ env, cwd: dir, envFile: false });
}

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('CONFIG_INVALID');
    return (error as BridgeError).message;
  }
  throw new Error('the configuration was accepted');
}

describe('configuration', () => {
  it('runs in sandbox mode with no credentials, with documented defaults and the sandbox admin token', () => {
    const config = load({});
    expect(config.mode).toBe('sandbox');
    expect(config.http).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      adminToken: SANDBOX_ADMIN_TOKEN,
      bodyLimit: '1mb',
    });
    expect(config.salesforce).toMatchObject({ auth: 'jwt', apiVersion: '62.0', bulkThreshold: 2000 });
    expect(config.store).toMatchObject({ databaseUrl: undefined, dataDir: join(dir, 'data'), poolSize: 10 });
    expect(config.queue).toEqual({
      batchSize: 200,
      maxAttempts: 8,
      retryBaseSeconds: 5,
      retryMaxSeconds: 3600,
      pollIntervalMs: 1000,
      jobTimeoutSeconds: 900,
    });
    expect(config.retention).toEqual({ syncLogDays: 30, deadLetterDays: 90 });
    expect(config.sources.BRIDGE_PORT).toBe('default');
  });

  it('runs in live mode once credentials are set, and then requires the admin token', () => {
    const config = load(live);
    expect(config.mode).toBe('live');
    expect(config.salesforce.loginUrl).toBe('https://login.salesforce.com');
    expect(problemsOf({ ...live, BRIDGE_ADMIN_TOKEN: undefined })).toMatch(
      /BRIDGE_ADMIN_TOKEN is required outside sandbox mode/,
    );
  });

  it('names every missing variable when only some credentials are set, and says why it is live mode', () => {
    const message = problemsOf({ RESPONSYS_USERNAME: 'api_user' });
    expect(message).toMatch(/live mode, because RESPONSYS_USERNAME is set/);
    for (const name of [
      'SALESFORCE_LOGIN_URL',
      'SALESFORCE_CLIENT_ID',
      'RESPONSYS_PASSWORD',
      'RESPONSYS_PROFILE_LIST',
    ]) {
      expect(message).toContain(`- ${name} is required`);
    }
  });

  it('checks the credentials each Salesforce auth flow needs', () => {
    expect(problemsOf({ ...live, SALESFORCE_PRIVATE_KEY_FILE: join(dir, 'missing.key') })).toMatch(
      /SALESFORCE_PRIVATE_KEY_FILE must be a readable file/,
    );
    expect(problemsOf({ ...live, SALESFORCE_PRIVATE_KEY_FILE: notAKey })).toMatch(
      /is not a PEM private key file/,
    );
    expect(problemsOf({ ...live, SALESFORCE_AUTH: 'client_credentials' })).toMatch(
      /SALESFORCE_CLIENT_SECRET is required for SALESFORCE_AUTH=client_credentials/,
    );
    const password = problemsOf({
      ...live,
      SALESFORCE_AUTH: 'password',
      SALESFORCE_PRIVATE_KEY_FILE: undefined,
    });
    expect(password).toMatch(/SALESFORCE_PASSWORD is required for SALESFORCE_AUTH=password/);
    expect(password).toMatch(/SALESFORCE_CLIENT_SECRET is required for SALESFORCE_AUTH=password/);
    expect(
      load({ ...live, SALESFORCE_AUTH: 'client_credentials', SALESFORCE_CLIENT_SECRET: 'secret-123456' })
        .salesforce.auth,
    ).toBe('client_credentials');
  });

  it('fails fast on bad values with a message naming the variable and what it expects', () => {
    const message = problemsOf({
      BRIDGE_PORT: 'eighty',
      BRIDGE_QUEUE_BATCH_SIZE: '500',
      BRIDGE_LOG_LEVEL: 'loud',
      SALESFORCE_API_VERSION: '62',
      SALESFORCE_AUTH: 'oauth',
      DATABASE_URL: 'mysql://db/bridge',
      BRIDGE_METRICS_ENABLED: 'maybe',
      BRIDGE_QUEUE_RETRY_BASE_SECONDS: '600',
      BRIDGE_QUEUE_RETRY_MAX_SECONDS: '60',
    });
    expect(message).toContain('BRIDGE_PORT must be a whole number from 0 to 65535 (got "eighty")');
    expect(message).toContain('BRIDGE_QUEUE_BATCH_SIZE must be a whole number from 1 to 200 (got "500")');
    expect(message).toContain(
      'BRIDGE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    );
    expect(message).toContain('SALESFORCE_API_VERSION must look like 62.0');
    expect(message).toContain('SALESFORCE_AUTH must be one of jwt, client_credentials, password');
    expect(message).toContain('DATABASE_URL must be a PostgreSQL URL');
    expect(message).toContain('BRIDGE_METRICS_ENABLED must be true or false');
    expect(message).toContain(
      'BRIDGE_QUEUE_RETRY_MAX_SECONDS must not be smaller than BRIDGE_QUEUE_RETRY_BASE_SECONDS',
    );
  });

  it('never repeats a secret value in an error message', () => {
    const message = problemsOf({
      ...live,
      BRIDGE_ADMIN_TOKEN: 'short-Secret',
      DATABASE_URL: 'mysql://u:TopSecret99@db/x',
    });
    expect(message).toContain('BRIDGE_ADMIN_TOKEN must be at least 16 characters');
    expect(message).not.toContain('short-Secret');
    expect(message).not.toContain('TopSecret99');
  });

  it('reads a .env file, lets the environment win over it, and treats empty values as unset', () => {
    const envFile = join(dir, 'bridge.env');
    writeFileSync(envFile, 'BRIDGE_PORT=4100\nBRIDGE_LOG_LEVEL=debug\nBRIDGE_QUEUE_MAX_ATTEMPTS=\n');
    const config = loadConfig({ env: { BRIDGE_LOG_LEVEL: 'warn' }, cwd: dir, envFile });
    expect(config.http.port).toBe(4100);
    expect(config.logLevel).toBe('warn');
    expect(config.queue.maxAttempts).toBe(8);
    expect(config.sources).toMatchObject({ BRIDGE_PORT: '.env file', BRIDGE_LOG_LEVEL: 'environment' });
    writeFileSync(join(dir, '.env'), 'BRIDGE_PORT=4200\n');
    expect(loadConfig({ env: {}, cwd: dir }).http.port).toBe(4200);
    expect(() => loadConfig({ env: {}, cwd: dir, envFile: 'nope.env' })).toThrow(
      /env file .*nope.env does not exist/,
    );
  });

  it('reads event files from SFTP or an existing directory', () => {
    const sftp = load({ RESPONSYS_EVENT_FILES: 'sftp://ced:S3cret%40pass@files.example.com:2222/exports' });
    expect(sftp.responsys.eventFiles).toEqual({
      kind: 'sftp',
      host: 'files.example.com',
      port: 2222,
      username: 'ced',
      password: 'S3cret@pass',
      path: '/exports',
    });
    expect(redactText('login with S3cret@pass failed')).toBe('login with [redacted] failed');
    expect(load({ RESPONSYS_EVENT_FILES: dir }).responsys.eventFiles).toEqual({
      kind: 'directory',
      path: dir,
    });
    expect(problemsOf({ RESPONSYS_EVENT_FILES: join(dir, 'missing') })).toMatch(
      /RESPONSYS_EVENT_FILES must be an existing directory/,
    );
    expect(problemsOf({ RESPONSYS_EVENT_FILES: 'ftp://host/x' })).toMatch(
      /must be sftp:\/\/user:password@host:port\/path/,
    );
  });

  it('shows the effective configuration with every secret masked', () => {
    const config = load({
      ...live,
      DATABASE_URL: 'postgres://bridge:db-password-1@db.example.com:5432/bridge',
      RESPONSYS_EVENT_FILES: 'sftp://ced:sftp-password-1@files.example.com/exports',
    });
    const entries = Object.fromEntries(describeConfig(config).map((entry) => [entry.variable, entry]));
    expect(entries.RESPONSYS_PASSWORD!.value).toBe('********');
    expect(entries.BRIDGE_ADMIN_TOKEN!.value).toBe('********');
    expect(entries.SALESFORCE_CLIENT_SECRET!.value).toBe('(not set)');
    expect(entries.DATABASE_URL!.value).toBe('postgres://bridge:[redacted]@db.example.com:5432/bridge');
    expect(entries.RESPONSYS_EVENT_FILES!.value).toBe('sftp://ced:********@files.example.com:22/exports');
    expect(entries.BRIDGE_PORT).toMatchObject({ value: '3000', source: 'default' });
    const text = JSON.stringify(entries);
    for (const secret of [
      'responsys-password-1',
      'a-long-random-admin-token',
      'db-password-1',
      'sftp-password-1',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it(
    'check-config exits 1 naming the bad variable, and 0 with the masked table when valid',
    { timeout: 60_000 },
    () => {
      const cli = (env: Record<string, string>) =>
        spawnSync(process.execPath, ['bin/responsys-bridge.js', 'check-config'], {
          cwd: process.cwd(),
          env: { PATH: process.env.PATH ?? '', BRIDGE_ENV_FILE: join(dir, 'empty.env'), ...env },
          encoding: 'utf8',
        });
      writeFileSync(join(dir, 'empty.env'), '');
      const bad = cli({ BRIDGE_PORT: '99999' });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('BRIDGE_PORT must be a whole number from 0 to 65535 (got "99999")');
      const good = cli({ ...live, SALESFORCE_PRIVATE_KEY_FILE: keyFile });
      expect(good.status).toBe(0);
      expect(good.stdout).toContain('Configuration is valid (live mode).');
      expect(good.stdout).toMatch(/RESPONSYS_PASSWORD\s+\*{8}\s+environment/);
      expect(good.stdout).not.toContain('responsys-password-1');
    },
  );
});

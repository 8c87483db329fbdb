import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBridge } from '../../bridge/src/app.js';
import { loadConfig } from '../../bridge/src/config/load.js';
import { IdentityService } from '../../bridge/src/identity/identity-service.js';
import { createSandboxModule } from '../../bridge/src/sandbox/module.js';
import { startSandboxEmulators } from '../../bridge/src/sandbox/emulators.js';
import { silentLogger } from '../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../bridge/src/shared/metrics.js';
import { openStore } from '../../bridge/src/store/store.js';
import { ResponsysClient } from '../../bridge/src/responsys/client.js';
import { SalesforceClient } from '../../bridge/src/salesforce/client.js';
import { freshEmbeddedDataDir } from '../bridge/support/stores.js';
import { createTestDatabase } from '../support/postgres.js';
import { bridgeEnv, killIfRunning, spawnCli, type BridgeProcess, type Emulators } from './support.js';

// `npm start` with no credentials: both emulators in the process, demo data that agrees, traffic,
// and records moving within a minute; the first log line says all of it.

const children: BridgeProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterAll(async () => {
  await Promise.all(children.map(killIfRunning));
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('sandbox mode', () => {
  it(
    'starts with no credentials, says so first with the emulator addresses, and syncs a rep lead within a minute',
    { timeout: 150_000 },
    async () => {
      const workDir = mkdtempSync(join(tmpdir(), 'bridge-sandbox-'));
      const dataDir = await freshEmbeddedDataDir();
      cleanups.push(() => rmSync(workDir, { recursive: true, force: true }));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const child = spawnCli(
        ['start'],
        {
          BRIDGE_DATA_DIR: dataDir,
          BRIDGE_PORT: '0',
          BRIDGE_HOST: '127.0.0.1',
          BRIDGE_PROCESS_METRICS: 'false',
        },
        workDir,
      );
      children.push(child);
      const started = await child.waitForLine((line) => line.msg === 'bridge started', 90_000);
      expect(started.mode).toBe('sandbox');
      const [first] = child.lines;
      expect(first).toMatchObject({ level: 'warn', mode: 'sandbox' });
      expect(String(first!.msg)).toMatch(
        /^sandbox mode: .*Salesforce at http:\/\/127\.0\.0\.1:\d+ .*Responsys at http:\/\/127\.0\.0\.1:\d+ .*To connect real systems, set SALESFORCE_LOGIN_URL/,
      );
      expect(first!.salesforceEmulator).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const merged = await child.waitForLine(
        (line) => String(line.msg).startsWith('profile sync:') && Number(line.succeeded) > 0,
        60_000,
      );
      expect(Date.parse(String(merged.time)) - Date.parse(String(started.time))).toBeLessThan(60_000);
      await child.waitForLine((line) => String(line.msg).startsWith('sandbox: Responsys recorded'), 60_000);

      child.process.kill('SIGTERM');
      expect(await child.exited).toBe(0);
    },
  );

  it('gives every Responsys demo recipient a Salesforce Contact or Lead the bridge matches by email', async () => {
    const emulators = await startSandboxEmulators({ salesforcePort: 0, responsysPort: 0 });
    cleanups.push(() => emulators.close());
    const members =
      emulators.responsys.control.state(['lists']).lists?.[emulators.responsys.profileList.name]?.members ??
      [];
    expect(members.length).toBeGreaterThan(5);
    const people = [
      ...emulators.salesforce.query<{ Email: string; HasOptedOutOfEmail: boolean }>(
        'SELECT Email, HasOptedOutOfEmail FROM Contact',
      ),
      ...emulators.salesforce.query<{ Email: string; HasOptedOutOfEmail: boolean }>(
        'SELECT Email, HasOptedOutOfEmail FROM Lead WHERE IsConverted = false',
      ),
    ];
    for (const member of members) {
      const person = people.find((candidate) => candidate.Email?.toLowerCase() === member.EMAIL_ADDRESS_);
      expect(person, member.EMAIL_ADDRESS_ ?? '').toBeDefined();
      expect(person!.HasOptedOutOfEmail).toBe(member.EMAIL_PERMISSION_STATUS_ === 'O');
    }

    const database = await createTestDatabase('e2e_sandbox');
    cleanups.push(() => database.drop());
    const store = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'e2e' });
    cleanups.push(() => store.close());
    const metrics = new BridgeMetrics();
    const salesforce = new SalesforceClient({
      settings: {
        loginUrl: emulators.salesforce.url,
        auth: 'client_credentials',
        clientId: emulators.salesforce.credentials.clientId,
        clientSecret: emulators.salesforce.credentials.clientSecret,
        apiVersion: '62.0',
        bulkThreshold: 2000,
        apiReservePercent: 10,
        streamStallSeconds: 180,
      },
      logger: silentLogger(),
      metrics,
    });
    const responsys = new ResponsysClient({
      loginUrl: emulators.responsys.url,
      username: emulators.responsys.username,
      password: emulators.responsys.password,
      profileList: emulators.responsys.profileList.name,
      profileListFolder: emulators.responsys.profileList.folderName,
      logger: silentLogger(),
      metrics,
    });
    cleanups.push(() => responsys.close());
    const identity = new IdentityService({
      salesforce,
      responsys,
      links: store.identityLinks,
      logger: silentLogger(),
    });
    const matches = await identity.resolveSalesforceRecords(
      members.map((member) => ({ riid: member.RIID_, email: member.EMAIL_ADDRESS_ })),
    );
    for (const member of members)
      expect(matches.get(member.RIID_!)).toMatchObject({ status: 'matched', via: 'email' });
  });

  it('refuses a store a live bridge used, instead of mixing demo data into it', async () => {
    const database = await createTestDatabase('e2e_sandbox_live');
    cleanups.push(() => database.drop());
    const store = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'live' });
    await store.identityLinks.link({ salesforceId: '00Q000000000001AAA', objectType: 'Lead', riid: '1' });
    await store.close();
    const config = loadConfig({
      env: { DATABASE_URL: database.url, BRIDGE_PORT: '0', BRIDGE_LOG_LEVEL: 'silent' },
      envFile: false,
    });
    expect(config.mode).toBe('sandbox');
    const sandbox = createSandboxModule({
      emulators: { salesforcePort: 0, responsysPort: 0 },
      traffic: { enabled: false },
    });
    await expect(startBridge(config, { modules: [sandbox], http: false })).rejects.toThrow(
      /This store holds the state of a live bridge/,
    );
  });

  it('keeps a live bridge off a store the sandbox used', async () => {
    const database = await createTestDatabase('e2e_live_on_sandbox');
    cleanups.push(() => database.drop());
    const sandboxConfig = loadConfig({
      env: { DATABASE_URL: database.url, BRIDGE_PORT: '0', BRIDGE_LOG_LEVEL: 'silent' },
      envFile: false,
    });
    const sandbox = await startBridge(sandboxConfig, {
      modules: [
        createSandboxModule({
          emulators: { salesforcePort: 0, responsysPort: 0 },
          traffic: { enabled: false },
        }),
      ],
      http: false,
    });
    await sandbox.stop();
    const liveConfig = loadConfig({
      env: {
        ...bridgeEnv(
          {
            salesforce: { url: 'https://login.salesforce.com', credentials: { clientId: 'live-app' } },
            responsys: {
              url: 'https://login.rsys1.net',
              username: 'u',
              password: 'p',
              profileList: { name: 'L', folderName: 'F' },
            },
          } as unknown as Emulators,
          database.url,
        ),
        BRIDGE_LOG_LEVEL: 'silent',
      },
      envFile: false,
    });
    expect(liveConfig.mode).toBe('live');
    await expect(startBridge(liveConfig, { modules: [createSandboxModule()], http: false })).rejects.toThrow(
      /holds a sandbox run's demo data/,
    );
  });
});

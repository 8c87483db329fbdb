import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../bridge/src/config/load.js';
import { ResponsysClient } from '../../../bridge/src/responsys/client.js';
import { createLogger } from '../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../bridge/src/shared/metrics.js';
import { startResponsysEmulator } from '../../../test/emulators/responsys/index.js';
import { JWT_PRIVATE_KEY_FILE, startSalesforceEmulator } from '../../../test/emulators/salesforce/index.js';
import { startMeasured } from '../support/measured-child.js';
import { mb, type BenchRow } from '../support/report.js';
import type { BenchScenario } from './types.js';

// Engagement in (F2): a send to 25,000 Contacts produces 100,000 events (sent, opens, clicks,
// conversions) in one Contact Event Data export; a bridge process (`responsys-bridge start`) reads
// the files and writes every event as a Responsys_Engagement__c record with the summary fields.
// Measured: events per second from the first file read to the last record in Salesforce, and the
// Salesforce API calls it took per 10,000 events (every call the emulator counted, logins included).
// The emulators run in the benchmark process; the bridge is measured from outside.

const PEOPLE = 25_000;
const EVENTS = 100_000;
/** sObject Collections alone would need 50 upserts and 50 summary updates per 10,000 events. */
const CALLS_PER_10K_TARGET = 100;
const CHUNK = 10_000;

export const engagementScenario: BenchScenario = {
  name: 'engagement',
  title: `Engagement in: ${EVENTS.toLocaleString('en-US')} Contact Event Data events to Salesforce`,
  async run(options) {
    const filesDir = await mkdtemp(join(tmpdir(), 'bench-ced-'));
    const salesforce = await startSalesforceEmulator({
      packageTriggers: false,
      dailyApiLimit: 5_000_000,
      seed: 7,
    });
    const responsys = await startResponsysEmulator({
      sftp: false,
      seed: 7,
      eventFilesDir: filesDir,
      rateLimits: { mergeListRecipients: 20_000, retrieveListRecipients: 20_000 },
    });
    const database = await options.createDatabase();
    const env = {
      SALESFORCE_LOGIN_URL: salesforce.url,
      SALESFORCE_AUTH: 'jwt',
      SALESFORCE_CLIENT_ID: salesforce.credentials.clientId,
      SALESFORCE_USERNAME: 'bridge@example.com',
      SALESFORCE_PRIVATE_KEY_FILE: JWT_PRIVATE_KEY_FILE,
      RESPONSYS_LOGIN_URL: responsys.url,
      RESPONSYS_USERNAME: responsys.username,
      RESPONSYS_PASSWORD: responsys.password,
      RESPONSYS_PROFILE_LIST: responsys.profileList.name,
      RESPONSYS_PROFILE_LIST_FOLDER: responsys.profileList.folderName,
      RESPONSYS_EVENT_FILES: filesDir,
      RESPONSYS_EVENT_FILES_POLL_SECONDS: '1',
      RESPONSYS_EVENT_FILES_SETTLE_SECONDS: '0',
      DATABASE_URL: database.url,
      BRIDGE_ADMIN_TOKEN: 'bench-admin-token-0123456789',
      BRIDGE_HOST: '127.0.0.1',
      BRIDGE_PORT: '0',
      BRIDGE_LOG_LEVEL: 'info',
      BRIDGE_PROCESS_METRICS: 'false',
      BRIDGE_INSTANCE_ID: 'bench-engagement',
      SALESFORCE_RECONCILE_SCHEDULE: 'off',
      BRIDGE_CAMPAIGN_SEGMENT_SCHEDULE: 'off',
      BRIDGE_OPT_OUT_RECONCILE_SCHEDULE: 'off',
      BRIDGE_ENGAGEMENT_PURGE_SCHEDULE: 'off',
    };
    try {
      // The people: Contacts in Salesforce, recipients in Responsys with CUSTOMER_ID_ = the Contact id
      // (as the outbound sync leaves them).
      options.log(`seeding ${PEOPLE.toLocaleString('en-US')} Contacts and recipients`);
      const ids: string[] = [];
      for (let start = 0; start < PEOPLE; start += CHUNK) {
        ids.push(
          ...salesforce.insert(
            'Contact',
            Array.from({ length: Math.min(CHUNK, PEOPLE - start) }, (_, i) => ({
              LastName: `Reader${start + i}`,
              Email: `reader${start + i}@engagement.example`,
            })),
            { asUser: 'bridge@example.com' },
          ),
        );
      }
      const client = ResponsysClient.fromConfig(loadConfig({ env, envFile: false }), {
        logger: createLogger({ level: 'silent' }),
        metrics: new BridgeMetrics(),
      });
      const riids: string[] = [];
      try {
        const merged = await client.mergeProfileMembers(
          ids.map((id, n) => ({
            EMAIL_ADDRESS_: `reader${n}@engagement.example`,
            CUSTOMER_ID_: id,
            EMAIL_PERMISSION_STATUS_: 'I',
          })),
          { matchColumn: 'EMAIL_ADDRESS_', defaultPermissionStatus: 'OPTIN' },
        );
        for (const outcome of merged) {
          if (!outcome.ok) throw new Error(`seeding a recipient failed: ${outcome.message}`);
          riids.push(outcome.riid);
        }
      } finally {
        client.close();
      }

      // The send: everyone got it and opened it, most opened twice, some clicked, a few bought.
      options.log(`recording ${EVENTS.toLocaleString('en-US')} engagement events and exporting them`);
      const sentAt = Date.now() - 6 * 3_600_000;
      const events = Array.from({ length: EVENTS }, (_, n) => {
        const person = n % PEOPLE;
        const round = Math.floor(n / PEOPLE);
        const occurredAt = new Date(sentAt + round * 3_600_000 + (person % 3_600) * 1000).toISOString();
        const recipient = { riid: riids[person]! };
        if (round === 0) return { type: 'sent' as const, recipient, occurredAt };
        if (round === 3 && person % 5 === 0) {
          return {
            type: 'converted' as const,
            recipient,
            occurredAt,
            order: { id: `ORD-${person}`, total: '99.00' },
          };
        }
        if (round === 3 && person % 2 === 0) {
          return {
            type: 'clicked' as const,
            recipient,
            occurredAt,
            link: { url: `https://www.example.com/offer/${person % 10}` },
          };
        }
        return { type: 'opened' as const, recipient, occurredAt };
      });
      for (let start = 0; start < EVENTS; start += CHUNK) {
        responsys.control.injectEngagement(events.slice(start, start + CHUNK));
      }
      const files = await responsys.control.exportEventFiles({ profileLists: false });

      const before = salesforce.apiUsage();
      const bridge = startMeasured(join(options.repoRoot, 'bridge/src/cli/main.ts'), ['start'], {
        env,
        cwd: options.repoRoot,
      });
      let stopped = false;
      try {
        await bridge.waitForLine((line) => line.msg === 'bridge started', 120_000);
        const firstRead = await bridge.waitForLine((line) => line.msg === 'file read', 120_000);
        const started = Date.parse(String(firstRead.time)) - 1;
        options.log(`reading ${files.length} files and writing the events to Salesforce`);
        const deadline = Date.now() + 30 * 60_000;
        let written = 0;
        for (;;) {
          written = salesforce.query<{ expr0: number }>('SELECT COUNT() FROM Responsys_Engagement__c')[0]!
            .expr0;
          if (written >= EVENTS || Date.now() > deadline) break;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        const elapsedMs = Date.now() - started;
        const after = salesforce.apiUsage();
        const run = await bridge.stop();
        stopped = true;
        const calls = after.used - before.used;
        const byKind = Object.entries(after.byKind)
          .map(([kind, count]) => [kind, count - (before.byKind[kind] ?? 0)] as const)
          .filter(([, count]) => count > 0)
          .sort((a, b) => b[1] - a[1]);
        const perTenThousand = calls / (EVENTS / 10_000);
        return [
          {
            scenario: 'engagement',
            metric: 'events written to Salesforce',
            value: `${written.toLocaleString('en-US')} of ${EVENTS.toLocaleString('en-US')} (${files.length} files, ${PEOPLE.toLocaleString('en-US')} Contacts)`,
            target: `all ${EVENTS.toLocaleString('en-US')}`,
            ok: written === EVENTS,
          },
          {
            scenario: 'engagement',
            metric: 'events / second (file read → record in Salesforce)',
            value: `${Math.round(written / (elapsedMs / 1000)).toLocaleString('en-US')} (${(elapsedMs / 1000).toFixed(1)} s)`,
          },
          {
            scenario: 'engagement',
            metric: 'Salesforce API calls per 10,000 events',
            value: `${perTenThousand.toFixed(1)} (${calls} calls)`,
            target: `≤ ${CALLS_PER_10K_TARGET}`,
            ok: perTenThousand <= CALLS_PER_10K_TARGET,
          },
          {
            scenario: 'engagement',
            metric: 'Salesforce API calls by kind',
            value: byKind.map(([kind, count]) => `${kind} ${count}`).join(', '),
          },
          { scenario: 'engagement', metric: 'bridge peak memory (RSS)', value: mb(run.peakRssBytes) },
        ] satisfies BenchRow[];
      } finally {
        if (!stopped) await bridge.stop().catch(() => undefined);
      }
    } finally {
      await database.drop().catch(() => undefined);
      await Promise.allSettled([responsys.close(), salesforce.close()]);
      await rm(filesDir, { recursive: true, force: true });
    }
  },
};

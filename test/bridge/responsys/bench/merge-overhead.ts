import { ResponsysClient } from '../../../../bridge/src/responsys/client.js';
import { silentLogger } from '../../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../../bridge/src/shared/metrics.js';
import { startResponsysEmulator } from '../../../emulators/responsys/index.js';

// What the bridge's Responsys client costs over bare HTTP: N profile merges sent straight to the
// emulator (calls of 200, 4 in flight: the floor), then the same number through mergeProfileMembers
// (session, rate limiter, retries, metrics, per-record outcomes; 4 calls in flight by default).
//
//   npx tsx test/bridge/responsys/bench/merge-overhead.ts [records=100000] [latencyMs=20]

const count = Number(process.argv[2] ?? 100_000);
const latencyMs = Number(process.argv[3] ?? 20);
const IN_FLIGHT = 4;
const fieldNames = ['CUSTOMER_ID_', 'EMAIL_ADDRESS_', 'EMAIL_PERMISSION_STATUS_', 'FIRST_NAME'];
const records = (prefix: string) =>
  Array.from({ length: count }, (_, i) => ({
    CUSTOMER_ID_: `${prefix}${i}`,
    EMAIL_ADDRESS_: `${prefix}${i}@example.com`,
    EMAIL_PERMISSION_STATUS_: 'I',
    FIRST_NAME: `First${i}`,
  }));

const emulator = await startResponsysEmulator({
  sftp: false,
  latencyMs,
  rateLimits: { mergeListRecipients: 1_000_000 },
});
try {
  const login = (await (
    await fetch(`${emulator.url}/rest/api/v1.3/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        user_name: emulator.username,
        password: emulator.password,
        auth_type: 'password',
      }),
    })
  ).json()) as { authToken: string };

  const floorRecords = records('floor');
  let started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < floorRecords.length) {
        const chunk = floorRecords.slice(next, (next += 200));
        const answer = await fetch(`${emulator.url}/rest/api/v1.3/lists/CONTACTS_LIST/members`, {
          method: 'POST',
          headers: { Authorization: login.authToken, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            recordData: {
              fieldNames,
              records: chunk.map((record) => fieldNames.map((name) => record[name as keyof typeof record])),
              mapTemplateName: null,
            },
            mergeRule: {
              matchColumnName1: 'CUSTOMER_ID_',
              defaultPermissionStatus: 'OPTIN',
              optinValue: 'I',
              optoutValue: 'O',
            },
          }),
        });
        await answer.text();
      }
    }),
  );
  const floorMs = performance.now() - started;

  const client = new ResponsysClient({
    loginUrl: emulator.url,
    username: emulator.username,
    password: emulator.password,
    profileList: emulator.profileList.name,
    profileListFolder: emulator.profileList.folderName,
    logger: silentLogger(),
    metrics: new BridgeMetrics(),
    concurrency: IN_FLIGHT,
  });
  const clientRecords = records('client');
  started = performance.now();
  const outcomes = await client.mergeProfileMembers(clientRecords, {
    matchColumn: 'CUSTOMER_ID_',
    defaultPermissionStatus: 'OPTIN',
  });
  const clientMs = performance.now() - started;
  client.close();

  const calls = emulator.control.state(['calls']).calls!.total;
  console.log(
    [
      `records: ${count} per run, emulated latency ${latencyMs} ms, ${IN_FLIGHT} calls in flight`,
      `floor (bare HTTP): ${Math.round(floorMs)} ms, ${Math.round(count / (floorMs / 1000))} records/s`,
      `bridge client:     ${Math.round(clientMs)} ms, ${Math.round(count / (clientMs / 1000))} records/s`,
      `client overhead:   ${Math.round((clientMs / floorMs - 1) * 100)}%`,
      `accepted: ${outcomes.filter((outcome) => outcome.ok).length}/${count}; merge calls (both runs): ${calls.mergeListRecipients}`,
    ].join('\n'),
  );
} finally {
  await emulator.close();
}

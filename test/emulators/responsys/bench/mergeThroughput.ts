// Measures how fast the Responsys emulator merges profile-list members: 100,000 members in 500 calls of
// 200 records (a first load), then the same 500 calls again (all updates), sequentially and with 4 calls
// in flight, with no added latency and with the 20 ms the bridge benchmarks use.
//
//   npx tsx --expose-gc test/emulators/responsys/bench/mergeThroughput.ts
import { startResponsysEmulator } from '../index.js';

const CALLS = 500;
const RECORDS_PER_CALL = 200;

async function run(latencyMs: number, concurrency: number): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  const emulator = await startResponsysEmulator({
    sftp: false,
    latencyMs,
    rateLimits: { mergeListRecipients: 10_000 },
  });
  try {
    const login = await fetch(`${emulator.url}/rest/api/v1.3/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'user_name=api_user&password=api_password&auth_type=password',
    });
    const { authToken } = (await login.json()) as { authToken: string };
    const bodies = Array.from({ length: CALLS }, (_, call) =>
      JSON.stringify({
        recordData: {
          fieldNames: [
            'EMAIL_ADDRESS_',
            'CUSTOMER_ID_',
            'FIRST_NAME',
            'LAST_NAME',
            'COMPANY_NAME',
            'EMAIL_PERMISSION_STATUS_',
          ],
          records: Array.from({ length: RECORDS_PER_CALL }, (_, i) => {
            const n = call * RECORDS_PER_CALL + i;
            return [
              `person${n}@example.com`,
              `00Q${String(n).padStart(15, '0')}`,
              'Bench',
              `Person ${n}`,
              'Example Inc',
              'I',
            ];
          }),
          mapTemplateName: null,
        },
        mergeRule: {
          htmlValue: 'H',
          textValue: 'T',
          optinValue: 'I',
          optoutValue: 'O',
          insertOnNoMatch: true,
          updateOnMatch: 'REPLACE_ALL',
          matchColumnName1: 'CUSTOMER_ID_',
          matchColumnName2: 'EMAIL_ADDRESS_',
          matchOperator: 'NONE',
          defaultPermissionStatus: 'OPTIN',
        },
      }),
    );

    const pass = async (label: string) => {
      const started = performance.now();
      let next = 0;
      let failedRows = 0;
      const worker = async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const response = await fetch(`${emulator.url}/rest/api/v1.3/lists/CONTACTS_LIST/members`, {
            method: 'POST',
            headers: { Authorization: authToken, 'Content-Type': 'application/json' },
            body,
          });
          if (response.status !== 200)
            throw new Error(`merge answered ${response.status}: ${await response.text()}`);
          const answer = (await response.json()) as { recordData: { records: string[][] } };
          failedRows += answer.recordData.records.filter((r) => !/^\d+$/.test(r[0]!)).length;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const seconds = (performance.now() - started) / 1000;
      const members = emulator.control.state(['calls']).calls!.total.mergeListRecipients;
      console.log(
        `latency ${String(latencyMs).padStart(2)} ms, ${concurrency} in flight, ${label}: ${CALLS} calls / ` +
          `${CALLS * RECORDS_PER_CALL} records in ${seconds.toFixed(2)} s ` +
          `(${Math.round(CALLS / seconds)} calls/s, ${Math.round((CALLS * RECORDS_PER_CALL) / seconds)} records/s), ` +
          `failed rows ${failedRows}, merge calls so far ${members}`,
      );
    };
    await pass('insert');
    await pass('update');
    const memberCount = emulator.control.state(['lists']).lists!.CONTACTS_LIST!.memberCount;
    console.log(
      `  members in list: ${memberCount}; heap used ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`,
    );
  } finally {
    await emulator.close();
  }
}

await run(0, 1);
await run(0, 4);
await run(20, 4);

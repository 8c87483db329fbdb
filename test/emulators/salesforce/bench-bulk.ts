// Benchmark: 100,000 Leads loaded through Bulk API 2.0 and read back by a Bulk API 2.0 query job,
// driven by the real jsforce client against the in-process Salesforce emulator.
//
//   npx tsx test/emulators/salesforce/bench-bulk.ts [records]
//
// Prints the time of each phase and the emulator's process memory. The emulator must stay well under
// a minute for 100,000 records on a 2-core machine so it can be the far side of the bridge's benchmarks.
import { readFileSync } from 'node:fs';
import jsforce from 'jsforce';
import { JWT_PRIVATE_KEY_FILE, signJwtAssertion, startSalesforceEmulator } from './index.js';

const total = Number(process.argv[2] ?? 100_000);
const emulator = await startSalesforceEmulator({ demoData: false });
try {
  const conn = new jsforce.Connection({ loginUrl: emulator.url, version: '62.0' });
  await conn.authorize({
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: signJwtAssertion({
      clientId: emulator.credentials.clientId,
      username: 'bridge@example.com',
      audience: emulator.url,
      privateKeyPem: readFileSync(JWT_PRIVATE_KEY_FILE, 'utf8'),
    }),
  });
  conn.bulk2.pollInterval = 200;
  conn.bulk2.pollTimeout = 120_000;

  const lines = ['FirstName,LastName,Company,Email,LeadSource,Responsys_RIID__c'];
  for (let i = 0; i < total; i++) {
    lines.push(`Bench${i},Lead${i},Company ${i % 997},bench.lead${i}@example.com,Web,R${i}`);
  }
  const csv = `${lines.join('\n')}\n`;

  const t0 = performance.now();
  const load = await conn.bulk2.loadAndWaitForResults({ object: 'Lead', operation: 'insert', input: csv });
  const t1 = performance.now();
  const stream = await conn.bulk2.query('SELECT Id, Email, Responsys_RIID__c, Company FROM Lead');
  let read = 0;
  for await (const record of stream) {
    if (record) read += 1;
  }
  const t2 = performance.now();

  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  console.log(`records: ${total}`);
  console.log(`bulk 2.0 ingest (create, upload, close, poll, results): ${seconds(t1 - t0)} s`);
  console.log(`  successful ${load.successfulResults.length}, failed ${load.failedResults.length}`);
  console.log(`bulk 2.0 query (create, poll, paged CSV results): ${seconds(t2 - t1)} s, ${read} records`);
  console.log(`total: ${seconds(t2 - t0)} s; rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`);
  console.log(`API calls: ${JSON.stringify(emulator.apiUsage().byKind)}`);
  if (load.successfulResults.length !== total || read !== total) process.exitCode = 1;
} finally {
  await emulator.close();
}

import { readFileSync } from 'node:fs';
import jsforce from 'jsforce';
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';
import { JWT_PRIVATE_KEY_FILE, signJwtAssertion, startSalesforceEmulator } from '../index.js';

// Streaming throughput of the emulator as the bridge sees it: a rep loads N Leads through Bulk API
// 2.0, the model of the package's triggers publishes one Responsys_Sync__e per Lead, and a jsforce
// CometD subscriber (Replay extension, long-polling) receives them. Then a second subscriber replays
// all N with -2. Usage: npx tsx test/emulators/salesforce/streaming/bench-streaming.ts [records]

const records = Number(process.argv[2] ?? 10_000);
const channel = '/event/Responsys_Sync__e';

const emulator = await startSalesforceEmulator({ streaming: { longPollTimeoutMs: 5_000 } });
const privateKeyPem = readFileSync(JWT_PRIVATE_KEY_FILE, 'utf8');
// Two subscribers receive every event; keep the 24-hour delivery allocation out of the way.
emulator.org.limits.setMax('DailyDeliveredPlatformEvents', Math.max(50_000, 2 * records));

async function connect(username: string) {
  const conn = new jsforce.Connection({ loginUrl: emulator.url, version: '62.0' });
  await conn.authorize({
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: signJwtAssertion({
      clientId: emulator.credentials.clientId,
      username,
      audience: emulator.url,
      privateKeyPem,
    }),
  });
  conn.bulk2.pollInterval = 50;
  conn.bulk2.pollTimeout = 600_000;
  return conn;
}

async function receive(
  conn: jsforce.Connection,
  replayId: number,
  count: number,
  start: () => Promise<void>,
) {
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const client = conn.streaming.createClient([
    new StreamingExtension.Replay(channel, replayId),
  ]) as unknown as {
    subscribe(name: string, cb: () => void): PromiseLike<unknown>;
    disconnect(): PromiseLike<unknown>;
  };
  const began = performance.now();
  await client.subscribe(channel, () => {
    received += 1;
    if (received === count) done();
  });
  await start();
  await finished;
  const ms = performance.now() - began;
  // Wait for the answer: an unanswered disconnect leaves faye retrying against the closed server.
  await client.disconnect();
  return ms;
}

try {
  const rep = await connect('rep@example.com');
  const bridge = await connect('bridge@example.com');
  const input = Array.from({ length: records }, (_, i) => ({ LastName: `Bench ${i}`, Company: 'Streaming' }));
  let loadMs = 0;
  const liveMs = await receive(bridge, -1, records, async () => {
    const began = performance.now();
    await rep.bulk2.loadAndWaitForResults({ object: 'Lead', operation: 'insert', input });
    loadMs = performance.now() - began;
  });
  const replayMs = await receive(bridge, -2, records, async () => undefined);
  const rate = (ms: number) => Math.round((records / ms) * 1000);
  console.log(`${records} Leads loaded by the rep through Bulk API 2.0: ${(loadMs / 1000).toFixed(1)} s`);
  console.log(
    `live delivery of ${records} events to a jsforce subscriber: ${(liveMs / 1000).toFixed(1)} s after subscribing (${rate(liveMs)} events/s, load included)`,
  );
  console.log(
    `replay of ${records} retained events with -2: ${(replayMs / 1000).toFixed(1)} s (${rate(replayMs)} events/s)`,
  );
  console.log(`deliveries counted: ${emulator.org.limits.used('DailyDeliveredPlatformEvents')}`);
} finally {
  await emulator.close();
}

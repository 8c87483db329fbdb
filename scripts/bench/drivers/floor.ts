import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { responsysLogin, send } from './http.js';

// The floor: the merge requests the bridge sent during a backfill (captured by the recording proxy),
// sent again straight to the Responsys emulator, with as many calls in flight as the bridge's client
// uses, and nothing else: no Salesforce reads, no mapping, no store. The bridge's overhead is its
// time over this one.

export interface FloorResult {
  calls: number;
  records: number;
  durationMs: number;
  failedCalls: number;
  /** the quickest call: at least the latency added to every answer, or the floor did not pay it */
  fastestCallMs: number;
}

export async function replayMerges(options: {
  file: string;
  responsysUrl: string;
  username: string;
  password: string;
  concurrency: number;
}): Promise<FloorResult> {
  const token = await responsysLogin(options.responsysUrl, options.username, options.password);
  const lines = createInterface({ input: createReadStream(options.file), crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  let calls = 0;
  let records = 0;
  let failedCalls = 0;
  let fastestCallMs = Infinity;
  const started = process.hrtime.bigint();
  const worker = async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const { path, body } = JSON.parse(next.value) as { path: string; body: string };
      const sent = performance.now();
      const answer = await send(`${options.responsysUrl}${path}`, {
        method: 'POST',
        headers: { authorization: token, 'content-type': 'application/json' },
        body,
      });
      fastestCallMs = Math.min(fastestCallMs, performance.now() - sent);
      calls += 1;
      records += (JSON.parse(body) as { recordData: { records: unknown[] } }).recordData.records.length;
      if (answer.status !== 200) failedCalls += 1;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return {
    calls,
    records,
    failedCalls,
    fastestCallMs,
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
  };
}

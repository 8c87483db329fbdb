import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  countEngagement,
  inboundEnv,
  startInboundEmulators,
  type InboundEmulators,
} from './inbound-support.js';
import { eventually, killIfRunning, spawnCli, type BridgeProcess } from './support.js';

// A bridge process killed (SIGKILL) in the middle of a Contact Event Data file: the next process
// resumes the file after the last chunk that was stored, and in the end every row of the file is one
// event and one engagement record, none twice, none lost.

const ROWS = 20_000;

let emulators: InboundEmulators;
let database: TestDatabase;
let db: pg.Client;
let first: BridgeProcess | undefined;
let second: BridgeProcess | undefined;

beforeAll(async () => {
  emulators = await startInboundEmulators();
  database = await createTestDatabase('e2e_inbound_crash');
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
}, 60_000);

afterAll(async () => {
  await killIfRunning(first);
  await killIfRunning(second);
  await db?.end();
  await database?.drop();
  await emulators?.close();
});

describe('a bridge killed in the middle of an event file', () => {
  it('resumes after the last stored chunk: every row once, nothing lost', async () => {
    // A recipient and the Contact it is (matched by email), and a file of opens for them.
    const [contactId] = emulators.salesforce.insert(
      'Contact',
      [{ LastName: 'Reader', Email: 'reader@crash.example' }],
      {
        asUser: 'admin@example.com',
      },
    );
    emulators.responsys.control.reset({ demoData: true });
    const reader = emulators.responsys.control.findMember({ email: 'ava.thompson@example.com' })!;
    emulators.salesforce.update([{ Id: contactId!, Email: 'ava.thompson@example.com' }], {
      asUser: 'admin@example.com',
    });
    const start = Date.now() - ROWS * 1000;
    for (let offset = 0; offset < ROWS; offset += 5000) {
      emulators.responsys.control.injectEngagement(
        Array.from({ length: Math.min(5000, ROWS - offset) }, (_, index) => ({
          type: 'opened' as const,
          recipient: { riid: String(reader.RIID_) },
          occurredAt: new Date(start + (offset + index) * 1000).toISOString(),
        })),
      );
    }
    const env = inboundEnv(emulators, database.url, {
      RESPONSYS_EVENT_FILES: emulators.filesDir,
      BRIDGE_LOG_LEVEL: 'info',
    });
    first = spawnCli(['start'], env);
    await first.waitForLine((line) => line.msg === 'bridge started');
    const [file] = await emulators.responsys.control.exportEventFiles({
      profileLists: false,
      feeds: ['OPEN'],
    });
    expect(file!.rows).toBe(ROWS);

    // Kill it once part of the file is stored.
    let linesDone = 0;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const { rows } = await db.query<{ lines_done: string; status: string }>(
        `SELECT lines_done, status FROM bridge.inbound_files WHERE file_name = $1`,
        [file!.name],
      );
      linesDone = Number(rows[0]?.lines_done ?? 0);
      if (linesDone > 1 || rows[0]?.status === 'done') break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    first.process.kill('SIGKILL');
    await first.exited;
    const { rows: afterKill } = await db.query<{ lines_done: string; status: string }>(
      `SELECT lines_done, status FROM bridge.inbound_files WHERE file_name = $1`,
      [file!.name],
    );
    expect(afterKill[0]!.status).toBe('reading');
    const stored = Number(afterKill[0]!.lines_done) - 1; // the header is line 1
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThan(ROWS);
    const { rows: eventsAfterKill } = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM bridge.responsys_events',
    );
    // The reading position is saved with the rows: exactly the rows before it are stored.
    expect(Number(eventsAfterKill[0]!.n)).toBe(stored);

    second = spawnCli(['start'], env);
    const resumed = await second.waitForLine((line) => line.msg === 'resuming a file read in part', 60_000);
    expect(Number(resumed.linesDone)).toBe(stored + 1);
    await eventually(
      'the whole file in the store',
      async () => {
        const { rows } = await db.query<{ status: string }>(
          'SELECT status FROM bridge.inbound_files WHERE file_name = $1',
          [file!.name],
        );
        return rows[0]?.status === 'done';
      },
      60_000,
    );
    const { rows: events } = await db.query<{ n: string; keys: string }>(
      'SELECT count(*) AS n, count(DISTINCT event_key) AS keys FROM bridge.responsys_events',
    );
    expect(Number(events[0]!.n)).toBe(ROWS);
    expect(Number(events[0]!.keys)).toBe(ROWS);
    // Opens carry only the RIID: the bridge asks Responsys who it is and finds the Contact by email.
    await eventually('every open in Salesforce', () => countEngagement(emulators) === ROWS, 120_000);
    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(countEngagement(emulators)).toBe(ROWS);
  }, 240_000);
});

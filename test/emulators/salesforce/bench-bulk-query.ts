// Benchmark: the emulator's CPU for one Bulk API 2.0 query job over N Contacts, read the way the
// bridge's backfill reads it (raw HTTP, pages of 2,400 with maxRecords + Sforce-Locator).
//
//   npx tsx test/emulators/salesforce/bench-bulk-query.ts [records] [rounds]
//
// The emulator runs in a child process, so its CPU (process.cpuUsage, user + system) is measured apart
// from the client's. Prints the CPU of each round (create, poll, every result page) and a digest of
// the result bytes, which must not change when the emulator is made faster.
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startSalesforceEmulator } from './index.js';

const SOQL =
  'SELECT Id, Account.Name, Department, Email, FirstName, HasOptedOutOfEmail, LastName, LeadSource, ' +
  'MailingCity, MailingCountry, Phone, Title, Responsys_RIID__c, SystemModstamp FROM Contact';
const PAGE_SIZE = 2400;
const VERSION = '62.0';

type ToChild = { kind: 'cpu' } | { kind: 'close' };
type FromChild = { kind: 'ready'; url: string; token: string } | { kind: 'cpu'; micros: number };

async function serveEmulator(total: number): Promise<void> {
  const emulator = await startSalesforceEmulator({ demoData: false, packageTriggers: false, seed: 5 });
  // Fixed ids and timestamps: the digest of the result bytes is then the same in every run.
  emulator.org.clock.set(new Date('2026-01-15T09:30:00.000Z'), true);
  const accounts = emulator.insert(
    'Account',
    Array.from({ length: 100 }, (_, i) => ({ Name: `Account "${i}", Inc.` })),
  );
  for (let start = 0; start < total; start += 10_000) {
    const size = Math.min(10_000, total - start);
    emulator.insert(
      'Contact',
      Array.from({ length: size }, (_, i) => {
        const n = start + i;
        return {
          FirstName: `First${n}`,
          LastName: `Bench${n}`,
          Email: `Bench.Contact${n}@Example.com`,
          Title: n % 7 === 0 ? 'VP, Engineering' : 'Engineer',
          Phone: `+1 555 ${String(n % 10_000).padStart(4, '0')}`,
          MailingCity: n % 2 === 0 ? 'Austin' : 'Lyon',
          MailingCountry: n % 2 === 0 ? 'US' : 'FR',
          LeadSource: ['Web', 'Phone Inquiry', 'Partner Referral', 'Other'][n % 4]!,
          Department: n % 3 === 0 ? 'R&D' : 'Sales',
          HasOptedOutOfEmail: n % 50 === 0,
          ...(n % 4 === 0 ? { AccountId: accounts[n % accounts.length]! } : {}),
        };
      }),
    );
  }
  const user = emulator.org.directory.findByUsername('bridge@example.com')!;
  const { token } = emulator.org.sessions.create(
    user.id,
    user.username,
    'jwt-bearer',
    emulator.credentials.clientId,
  );
  process.on('message', (message: ToChild) => {
    if (message.kind === 'cpu') {
      const { user: u, system } = process.cpuUsage();
      process.send!({ kind: 'cpu', micros: u + system } satisfies FromChild);
    } else {
      void emulator.close().then(() => process.exit(0));
    }
  });
  process.send!({ kind: 'ready', url: emulator.url, token } satisfies FromChild);
}

async function measure(total: number, rounds: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--emulator', String(total)], {
    execArgv: ['--import', 'tsx', ...(process.env.EMULATOR_EXEC_ARGV ?? '').split(' ').filter(Boolean)],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () => new Promise<FromChild>((resolve) => child.once('message', resolve));
  const ready = await next();
  if (ready.kind !== 'ready') throw new Error('the emulator did not start');
  const cpu = async () => {
    const reply = next();
    child.send({ kind: 'cpu' } satisfies ToChild);
    return ((await reply) as { micros: number }).micros;
  };
  const base = `${ready.url}/services/data/v${VERSION}/jobs/query`;
  const headers = { Authorization: `Bearer ${ready.token}` };
  const figures: number[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const before = await cpu();
      const created = await fetch(base, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ operation: 'query', query: SOQL }),
      });
      const job = (await created.json()) as { id: string };
      for (;;) {
        const info = (await (await fetch(`${base}/${job.id}`, { headers })).json()) as { state: string };
        if (info.state === 'JobComplete') break;
        if (info.state !== 'UploadComplete' && info.state !== 'InProgress') throw new Error(info.state);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const digest = createHash('sha256');
      let locator = '';
      let records = 0;
      let pages = 0;
      for (;;) {
        const query = `maxRecords=${PAGE_SIZE}${locator ? `&locator=${locator}` : ''}`;
        const response = await fetch(`${base}/${job.id}/results?${query}`, { headers });
        digest.update(await response.text());
        records += Number(response.headers.get('sforce-numberofrecords'));
        pages += 1;
        locator = response.headers.get('sforce-locator') ?? 'null';
        if (locator === 'null') break;
      }
      const ms = ((await cpu()) - before) / 1000;
      figures.push(ms);
      console.log(
        `round ${round}: emulator CPU ${ms.toFixed(0)} ms for ${records} records in ${pages} pages; ` +
          `sha256 ${digest.digest('hex').slice(0, 16)}`,
      );
    }
    const sorted = [...figures].sort((a, b) => a - b);
    console.log(`median emulator CPU: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms`);
  } finally {
    child.send({ kind: 'close' } satisfies ToChild);
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

if (process.argv[2] === '--emulator') await serveEmulator(Number(process.argv[3]));
else await measure(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 5));

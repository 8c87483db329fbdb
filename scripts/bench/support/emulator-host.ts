import { startResponsysEmulator, type ResponsysEmulator } from '../../../test/emulators/responsys/index.js';
import {
  JWT_PRIVATE_KEY_FILE,
  startSalesforceEmulator,
  type SalesforceEmulator,
} from '../../../test/emulators/salesforce/index.js';
import { RecordingProxy } from './recording-proxy.js';
import { serveRpc } from './rpc.js';

// The benchmark's emulator process: both emulators (and the recording proxy in front of Responsys)
// in a process of their own, so their work and memory never count as the bridge's. The benchmark
// drives it over IPC (see EmulatorHostClient in emulators.ts).

export interface HostOptions {
  latencyMs: number;
  /** model the package triggers (publish Responsys_Sync__e); off for seeding large data sets */
  packageTriggers: boolean;
}

export interface HostUrls {
  salesforceUrl: string;
  responsysUrl: string;
  /** the recording proxy in front of Responsys: what the bridge is pointed at */
  responsysProxyUrl: string;
  clientId: string;
  clientSecret: string;
  privateKeyFile: string;
  responsysUsername: string;
  responsysPassword: string;
  profileList: string;
  profileListFolder: string;
}

let salesforce: SalesforceEmulator | undefined;
let responsys: ResponsysEmulator | undefined;
let proxy: RecordingProxy | undefined;
/** The latency setLatency asked for; a Responsys reset clears faults, so it is added again after one. */
let latencyMs = 0;

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`${what} is not started`);
  return value;
};

const CONTACT_CHUNK = 10_000;

/** A deterministic Contact for record number n: the same data in every run. */
function benchContact(n: number): Record<string, string | boolean> {
  return {
    FirstName: `First${n}`,
    LastName: `Bench${n}`,
    Email: `Bench.Contact${n}@Example.com`,
    Title: n % 7 === 0 ? 'VP Engineering' : 'Engineer',
    Phone: `+1 555 ${String(n % 10_000).padStart(4, '0')}`,
    MailingCity: n % 2 === 0 ? 'Austin' : 'Lyon',
    MailingCountry: n % 2 === 0 ? 'US' : 'FR',
    LeadSource: ['Web', 'Phone Inquiry', 'Partner Referral', 'Other'][n % 4]!,
    Department: n % 3 === 0 ? 'R&D' : 'Sales',
    HasOptedOutOfEmail: n % 50 === 0,
  };
}

function addResponsysLatency(): void {
  const control = need(responsys, 'Responsys').control;
  control.faults.clear();
  if (latencyMs > 0) control.addFault({ path: '**', fault: { type: 'delay', ms: latencyMs } });
}

serveRpc(
  {
    async start(options: HostOptions): Promise<HostUrls> {
      salesforce = await startSalesforceEmulator({
        latencyMs: options.latencyMs,
        packageTriggers: options.packageTriggers,
        dailyApiLimit: 5_000_000,
        seed: 5,
      });
      // An account with raised limits, so the figures show the bridge rather than the account's quota
      // (at the default 1,000 merges a minute, 1,000,000 records take at least five minutes).
      responsys = await startResponsysEmulator({
        latencyMs: options.latencyMs,
        sftp: false,
        seed: 5,
        rateLimits: {
          mergeListRecipients: 20_000,
          mergeProfileExtensionRecipients: 20_000,
          retrieveListRecipients: 20_000,
          triggerCustomEvent: 20_000,
        },
      });
      proxy = new RecordingProxy(responsys.url);
      await proxy.listen();
      return {
        salesforceUrl: salesforce.url,
        responsysUrl: responsys.url,
        responsysProxyUrl: proxy.url,
        clientId: salesforce.credentials.clientId,
        clientSecret: salesforce.credentials.clientSecret,
        privateKeyFile: JWT_PRIVATE_KEY_FILE,
        responsysUsername: responsys.username,
        responsysPassword: responsys.password,
        profileList: responsys.profileList.name,
        profileListFolder: responsys.profileList.folderName,
      };
    },

    /** Inserts Contacts number `from` .. `from + count - 1` (as the sales rep); returns their ids in order. */
    seedContacts({ from, count }: { from: number; count: number }): {
      inserted: number;
      firstId: string | null;
    } {
      const sf = need(salesforce, 'Salesforce');
      let firstId: string | null = null;
      for (let start = from; start < from + count; start += CONTACT_CHUNK) {
        const size = Math.min(CONTACT_CHUNK, from + count - start);
        const ids = sf.insert(
          'Contact',
          Array.from({ length: size }, (_, i) => benchContact(start + i)),
        );
        firstId ??= ids[0] ?? null;
      }
      return { inserted: count, firstId };
    },

    /** Ids of the first `count` Contacts (for the per-record baseline's lookups). */
    contactIds({ count }: { count: number }): string[] {
      return need(salesforce, 'Salesforce')
        .query<{ Id: string }>(`SELECT Id FROM Contact ORDER BY Id LIMIT ${Math.floor(count)}`)
        .map((row) => row.Id);
    },

    /**
     * Creates Leads as the sales rep in transactions of `batch`, at `perSecond` records a second for
     * `seconds`; the package triggers publish one Responsys_Sync__e per Lead. Returns each Lead's
     * customer id (the Lead id) and when its transaction committed.
     */
    async publishLeads({
      perSecond,
      seconds,
      batch,
      prefix,
    }: {
      perSecond: number;
      seconds: number;
      batch: number;
      /** makes names and emails unique across calls */
      prefix: string;
    }): Promise<{ published: Record<string, number>; achievedPerSecond: number }> {
      const sf = need(salesforce, 'Salesforce');
      const published: Record<string, number> = {};
      const total = Math.round(perSecond * seconds);
      const start = Date.now();
      let n = 0;
      while (n < total) {
        const due = start + (n / perSecond) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const size = Math.min(batch, total - n);
        const ids = sf.insert(
          'Lead',
          Array.from({ length: size }, (_, i) => ({
            LastName: `${prefix}${n + i}`,
            Company: `Stream Co ${n + i}`,
            Email: `${prefix}.lead${n + i}@example.com`,
            LeadSource: (n + i) % 3 === 0 ? 'Web' : 'Phone Inquiry',
          })),
        );
        const at = Date.now();
        for (const id of ids) published[id] = at;
        n += size;
      }
      const elapsed = (Date.now() - start) / 1000;
      return { published, achievedPerSecond: total / Math.max(elapsed, 0.001) };
    },

    /**
     * Adds `ms` to every answer of both emulators from now on (0 removes it), as a network between the
     * bridge and the services would.
     */
    setLatency({ ms }: { ms: number }): void {
      const sf = need(salesforce, 'Salesforce');
      sf.org.faults.clear();
      if (ms > 0) sf.org.faults.add({ path: '**', fault: { type: 'delay', ms } });
      latencyMs = ms;
      addResponsysLatency();
    },

    /** A fresh Responsys account (no members, no calls counted), still answering with the latency set. */
    resetResponsys(): void {
      need(responsys, 'Responsys').control.reset();
      addResponsysLatency();
    },

    responsysCalls(): Record<string, number> {
      return need(responsys, 'Responsys').control.state(['calls']).calls?.total ?? {};
    },

    responsysMembers(): number {
      const state = need(responsys, 'Responsys').control.state(['lists']);
      return Object.values(state.lists ?? {}).reduce((sum, list) => sum + list.memberCount, 0);
    },

    salesforceApiUsage(): { used: number; byKind: Record<string, number> } {
      const usage = need(salesforce, 'Salesforce').apiUsage();
      return { used: usage.used, byKind: usage.byKind };
    },

    startCapture({ file }: { file: string }): void {
      need(proxy, 'the proxy').startCapture(file);
    },

    stopCapture(): Promise<number> {
      return need(proxy, 'the proxy').stopCapture();
    },

    trackAcceptances({ on }: { on: boolean }): void {
      need(proxy, 'the proxy').trackAcceptances(on);
    },

    acceptances(): Record<string, number> {
      return need(proxy, 'the proxy').acceptances();
    },

    rss(): number {
      return process.memoryUsage().rss;
    },

    /** CPU time this process used so far (user + system, ms). */
    cpuMs(): number {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1000;
    },
  },
  async () => {
    await proxy?.close();
    await Promise.allSettled([salesforce?.close(), responsys?.close()]);
  },
);

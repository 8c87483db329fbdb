import { runPerRecordBaseline } from '../drivers/per-record-baseline.js';
import { startEmulatorHost } from '../support/emulators.js';
import { perSecond, type BenchRow } from '../support/report.js';
import { measureBackfill } from './backfill.js';
import type { BenchScenario } from './types.js';

// Against the way recipe-based integrations work: with 20 ms of latency added to every call on both
// emulators, the per-record loop (one Salesforce lookup and one single-record merge per record) and
// the bridge's backfill move the same Contacts; the bridge must move at least 50 times as many a
// second.

const LATENCY_MS = 20;
const RECORDS = 20_000;
const BASELINE_SECONDS = 15;
const MIN_RATIO = 50;

export const perRecordBaselineScenario: BenchScenario = {
  name: 'baseline',
  title: `Against a per-record integration loop, ${LATENCY_MS} ms latency per call on both sides`,
  async run(options) {
    const host = await startEmulatorHost({ latencyMs: LATENCY_MS, packageTriggers: false });
    try {
      await host.call('seedContacts', { from: 0, count: RECORDS });
      options.log(
        `bridge backfill of ${RECORDS.toLocaleString('en-US')} Contacts at ${LATENCY_MS} ms latency`,
      );
      const bridge = await measureBackfill(options, host, RECORDS);
      options.log(`per-record loop for ${BASELINE_SECONDS} s`);
      await host.call('resetResponsys');
      const baseline = await runPerRecordBaseline({
        salesforceUrl: host.urls.salesforceUrl,
        clientId: host.urls.clientId,
        clientSecret: host.urls.clientSecret,
        responsysUrl: host.urls.responsysUrl,
        responsysUsername: host.urls.responsysUsername,
        responsysPassword: host.urls.responsysPassword,
        profileList: host.urls.profileList,
        contactIds: await host.call<string[]>('contactIds', { count: 5000 }),
        maxMs: BASELINE_SECONDS * 1000,
      });
      const bridgeRate = bridge.result.read / (bridge.result.durationMs / 1000);
      const baselineRate = baseline.records / (baseline.durationMs / 1000);
      const ratio = bridgeRate / baselineRate;
      const rows: BenchRow[] = [
        {
          scenario: 'baseline',
          metric: 'per-record loop (1 lookup + 1 merge per record)',
          value: `${perSecond(baseline.records, baseline.durationMs)} (${baseline.records} records, ${baseline.salesforceCalls + baseline.responsysCalls} calls)`,
        },
        {
          scenario: 'baseline',
          metric: `bridge backfill of ${RECORDS.toLocaleString('en-US')}`,
          value: `${perSecond(bridge.result.read, bridge.result.durationMs)} (${
            (bridge.emulatorCalls.mergeListRecipients ?? 0) +
            (bridge.emulatorCalls.mergeProfileExtensionRecipients ?? 0)
          } Responsys calls)`,
        },
        {
          scenario: 'baseline',
          metric: 'bridge ÷ per-record loop',
          value: `${ratio.toFixed(0)}×`,
          target: `≥ ${MIN_RATIO}×`,
          ok: ratio >= MIN_RATIO && baseline.failed === 0,
        },
      ];
      return rows;
    } finally {
      await host.close();
    }
  },
};

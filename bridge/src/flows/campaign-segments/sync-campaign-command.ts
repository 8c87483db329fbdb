import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../../module.js';
import { BridgeError, isBridgeError } from '../../shared/errors.js';
import type { SyncLogEntry } from '../../store/sync-log.js';
import { campaignSyncOutcome, queueCampaignSyncs } from './segment-requests.js';

// `responsys-bridge sync-campaign <campaignId>`: syncs one campaign's members into its Responsys
// segment now and prints what happened. It asks a running bridge when there is one (--url, BRIDGE_URL,
// the embedded store's lock, or a live instance on the shared PostgreSQL); otherwise it starts the
// bridge in this process for the time of the sync.

const CAMPAIGN_ID = /^701[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$/;
const WAIT_MS = 10 * 60_000;

interface Printed {
  campaignId: string;
  campaignName?: string;
  outcome?: Pick<SyncLogEntry, 'outcome' | 'reason' | 'errorCode' | 'details'> | null;
  queued?: boolean;
  stillRunning?: boolean;
}

function campaignId(value: string): string {
  if (!CAMPAIGN_ID.test(value.trim())) throw new InvalidArgumentError('must be a Campaign id (701...)');
  return value.trim();
}

async function viaAdminApi(url: string, token: string, id: string, wait: boolean): Promise<Printed> {
  let response: Response;
  try {
    response = await fetch(
      `${url.replace(/\/+$/, '')}/api/v1/campaign-segments/${id}/sync${wait ? '?wait=true' : ''}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(WAIT_MS + 30_000),
      },
    );
  } catch (error) {
    throw new BridgeError(
      'UPSTREAM_FAILED',
      `Could not reach the bridge at ${url}: ${(error as Error).message}`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as Printed & {
    error?: { code?: string; message?: string };
  };
  if (!response.ok) {
    throw new BridgeError(
      (body.error?.code ?? 'UPSTREAM_FAILED') as BridgeError['code'],
      body.error?.message ?? `The bridge answered ${response.status}`,
    );
  }
  return body;
}

function describe(printed: Printed): string {
  const name = printed.campaignName ? `${printed.campaignName} (${printed.campaignId})` : printed.campaignId;
  if (!printed.outcome) {
    return printed.stillRunning
      ? `Campaign ${name}: the sync is still running; see \`responsys-bridge explain ${printed.campaignId}\`.\n`
      : `Campaign ${name}: sync queued.\n`;
  }
  const { outcome, reason } = printed.outcome;
  const verb = outcome === 'succeeded' ? 'synced' : outcome === 'skipped' ? 'not synced' : 'failed';
  return `Campaign ${name} ${verb}: ${reason ?? ''}\n`;
}

export function registerSyncCampaignCommand(program: Command, cli: CliContext): void {
  program
    .command('sync-campaign')
    .description("sync a Salesforce campaign's members into its Responsys segment now (F6)")
    .argument('<campaignId>', 'the Campaign id (701...)', campaignId)
    .option('--no-wait', 'queue the sync and return at once')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { wait: boolean; json?: boolean }) => {
      const config = cli.loadConfig();
      const url = (program.opts() as { url?: string }).url ?? process.env.BRIDGE_URL;
      let printed: Printed;
      if (url) {
        printed = await viaAdminApi(url, config.http.adminToken, id, options.wait);
      } else {
        printed = await viaStore(cli, id, options.wait, (adminUrl) =>
          viaAdminApi(adminUrl, config.http.adminToken, id, options.wait),
        );
      }
      cli.out.write(options.json ? `${JSON.stringify(printed, null, 2)}\n` : describe(printed));
      if (printed.outcome && printed.outcome.outcome !== 'succeeded') {
        throw new BridgeError('CONFLICT', `The sync of campaign ${printed.campaignId} did not succeed`);
      }
    });
}

async function viaStore(
  cli: CliContext,
  id: string,
  wait: boolean,
  askBridge: (adminUrl: string) => Promise<Printed>,
): Promise<Printed> {
  let runtime;
  try {
    runtime = await cli.openRuntime();
  } catch (error) {
    const adminUrl = isBridgeError(error)
      ? (error.details as { adminUrl?: string } | undefined)?.adminUrl
      : undefined;
    if (isBridgeError(error) && error.code === 'STORE_IN_USE' && adminUrl) {
      cli.err.write(`The embedded store is in use by a running bridge; asking it at ${adminUrl}.\n`);
      return askBridge(adminUrl);
    }
    throw error;
  }
  const requestedAt = new Date();
  const alive = await runtime.store.instances.alive(90);
  if (alive.length > 0) {
    // A bridge shares this PostgreSQL: it does the work; this process queues it and waits.
    try {
      await queueCampaignSyncs(runtime.queue, [id], 'operator');
      if (!wait) return { campaignId: id, queued: true };
      return await waitForOutcome(id, requestedAt, (since) =>
        campaignSyncOutcome(runtime.store.syncLog, id, since),
      );
    } finally {
      await runtime.close();
    }
  }
  await runtime.close();
  cli.err.write('No bridge is running: starting one in this process for the sync.\n');
  const bridge = await cli.startBridge();
  try {
    const sync = bridge.context.services.has('campaignSegments')
      ? bridge.context.services.get('campaignSegments')
      : undefined;
    if (!sync)
      throw new BridgeError('NOT_READY', 'The Salesforce and Responsys connectors are not configured');
    const campaign = await sync.campaign(id);
    await queueCampaignSyncs(bridge.context.queue, [campaign.id], 'operator');
    const printed = await waitForOutcome(campaign.id, requestedAt, (since) =>
      campaignSyncOutcome(bridge.context.store.syncLog, campaign.id, since),
    );
    return { ...printed, campaignName: campaign.name };
  } finally {
    await bridge.stop();
  }
}

async function waitForOutcome(
  id: string,
  since: Date,
  read: (since: Date) => Promise<SyncLogEntry | undefined>,
): Promise<Printed> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const outcome = await read(since);
    if (outcome) {
      return {
        campaignId: id,
        campaignName: (outcome.details as { campaignName?: string } | null)?.campaignName,
        outcome: {
          outcome: outcome.outcome,
          reason: outcome.reason,
          errorCode: outcome.errorCode,
          details: outcome.details,
        },
      };
    }
    if (Date.now() > deadline) return { campaignId: id, queued: true, stillRunning: true };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

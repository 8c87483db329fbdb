import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResponsysControl } from './control/handle.js';
import { ResponsysCore } from './core.js';
import { createResponsysApp } from './http/app.js';
import { DEFAULT_SFTP_PASSWORD, DEFAULT_SFTP_USERNAME, type ResponsysEmulatorOptions } from './options.js';
import { startSftpServer, type SftpServerHandle } from './sftp/server.js';

export type {
  ResponsysEmulatorOptions,
  ResponsysQuirks,
  CedOptions,
  NotificationOptions,
} from './options.js';
export type { AccountDefinitionInput } from './account/definitions.js';
export type { ResponsysControl, ProfileUpdate, RecipientRef } from './control/handle.js';
export type { ResponsysStateSnapshot, StateSection } from './control/state.js';
export type { EngagementEvent, EngagementInput, EngagementType } from './engagement/events.js';
export type { ExportedFile, ExportRequest } from './engagement/cedFiles.js';
export { EngagementRejected } from './engagement/inject.js';
export {
  defaultAccountDefinition,
  DEFAULT_PROFILE_LIST,
  DEFAULT_PROFILE_LIST_FOLDER,
} from './account/demo.js';
export { feedColumns } from './engagement/cedFiles.js';
export { apiFunctions } from './http/rateLimits.js';

export interface ResponsysEmulator {
  /** Base URL: the login host AND the `endPoint` returned at login (e.g. http://127.0.0.1:4020). */
  url: string;
  /** `sftp://user:pass@host:port/` when SFTP is on. */
  sftpUrl?: string;
  sftp?: { host: string; port: number; username: string; password: string; hostKeyFingerprint: string };
  /** Where Contact Event Data files are written (and what SFTP serves). */
  eventFilesDir: string;
  username: string;
  password: string;
  accountId: string;
  profileList: { name: string; folderName: string };
  /** In-process control: the same operations as the HTTP API under /__control/. */
  control: ResponsysControl;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** URLs use a loopback address when the server listens on every interface. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startResponsysEmulator(
  options: ResponsysEmulatorOptions = {},
): Promise<ResponsysEmulator> {
  const host = options.host ?? '127.0.0.1';
  const ownsFilesDir = options.eventFilesDir === undefined;
  const eventFilesDir = options.eventFilesDir ?? (await mkdtemp(join(tmpdir(), 'responsys-event-files-')));
  await mkdir(eventFilesDir, { recursive: true });

  const core = new ResponsysCore(options, eventFilesDir);
  const control = new ResponsysControl(core);
  const server = createServer(createResponsysApp(core, control));
  const port = await listen(server, options.port ?? 0, host);
  const url = `http://${urlHost(host)}:${port}`;
  core.baseUrl = url;

  let sftp: SftpServerHandle | undefined;
  const sftpOptions = options.sftp === false ? undefined : (options.sftp ?? {});
  const sftpUser = sftpOptions?.username ?? DEFAULT_SFTP_USERNAME;
  const sftpPassword = sftpOptions?.password ?? DEFAULT_SFTP_PASSWORD;
  if (sftpOptions) {
    try {
      sftp = await startSftpServer({
        root: eventFilesDir,
        host,
        port: sftpOptions.port ?? 0,
        username: sftpUser,
        password: sftpPassword,
        authorizedKeys: sftpOptions.authorizedKeys ?? [],
      });
    } catch (error) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw error;
    }
  }

  const exportTimer =
    options.exportIntervalMs && options.exportIntervalMs > 0
      ? setInterval(() => void core.exporter.exportNow().catch(() => undefined), options.exportIntervalMs)
      : undefined;
  exportTimer?.unref();

  const firstList = core.account.lists.values().next().value!;
  let closed: Promise<void> | undefined;
  return {
    url,
    sftpUrl: sftp
      ? `sftp://${encodeURIComponent(sftpUser)}:${encodeURIComponent(sftpPassword)}@${urlHost(host)}:${sftp.port}/`
      : undefined,
    sftp: sftp
      ? {
          host: urlHost(host),
          port: sftp.port,
          username: sftpUser,
          password: sftpPassword,
          hostKeyFingerprint: sftp.hostKeyFingerprint,
        }
      : undefined,
    eventFilesDir,
    username: core.username,
    password: core.password,
    accountId: core.accountId,
    profileList: { name: firstList.name, folderName: firstList.folderName },
    control,
    close() {
      closed ??= (async () => {
        if (exportTimer) clearInterval(exportTimer);
        core.notifications.close();
        await sftp?.close();
        // Hung requests (the `hang` fault) would otherwise keep the server open forever.
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (ownsFilesDir) await rm(eventFilesDir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/** What `npm run emulators` prints for the Responsys half: where it is and how to log in. */
export function describeResponsysEmulatorForHumans(emulator: ResponsysEmulator): string {
  const lines = [
    'Responsys emulator',
    `  REST login / endPoint   ${emulator.url}   (POST ${emulator.url}/rest/api/v1.3/auth/token)`,
    `  API user                ${emulator.username} / ${emulator.password}`,
    `  profile list            ${emulator.profileList.name} (folder ${emulator.profileList.folderName}), account ${emulator.accountId}`,
    `  event files directory   ${emulator.eventFilesDir}`,
  ];
  if (emulator.sftpUrl && emulator.sftp) {
    lines.push(`  event files over SFTP   ${emulator.sftpUrl}`);
    lines.push(`  SFTP user               ${emulator.sftp.username} / ${emulator.sftp.password}`);
    lines.push(`  SFTP host key (SHA256)  ${emulator.sftp.hostKeyFingerprint}`);
  }
  lines.push(
    `  control API             ${emulator.url}/__control/ (state, reset, faults, engagement, export)`,
  );
  return lines.join('\n');
}

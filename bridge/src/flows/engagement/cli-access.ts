import type { Command } from 'commander';
import type { CliContext, CliRuntime } from '../../module.js';
import { adminApiCall, type AdminApiCall } from '../../cli/admin-access.js';
import { isBridgeError } from '../../shared/errors.js';

// How the inbound flows' CLI commands reach their data, the way the core commands do: a running
// bridge's admin API with --url (or BRIDGE_URL), otherwise the store; when the embedded store is held
// by a running bridge, that bridge's admin API.

export type InboundAccess =
  { kind: 'http'; via: string; call: AdminApiCall } | { kind: 'store'; via: string; runtime: CliRuntime };

export async function inboundAccess(program: Command, cli: CliContext): Promise<InboundAccess> {
  const config = cli.loadConfig();
  const url = (program.opts() as { url?: string }).url ?? process.env.BRIDGE_URL;
  if (url) return httpAccess(url, config.http.adminToken);
  try {
    return { kind: 'store', via: 'the store', runtime: await cli.openRuntime() };
  } catch (error) {
    const adminUrl = isBridgeError(error)
      ? (error.details as { adminUrl?: string } | undefined)?.adminUrl
      : undefined;
    if (isBridgeError(error) && error.code === 'STORE_IN_USE' && adminUrl) {
      cli.err.write(`The embedded store is in use by a running bridge; asking it at ${adminUrl}.\n`);
      return httpAccess(adminUrl, config.http.adminToken);
    }
    throw error;
  }
}

function httpAccess(baseUrl: string, token: string): InboundAccess {
  const base = baseUrl.replace(/\/+$/, '');
  return { kind: 'http', via: base, call: adminApiCall(base, token, { timeoutMs: 60_000 }) };
}

/** Runs `fn` with the access and closes what it opened. */
export async function withInboundAccess<T>(
  program: Command,
  cli: CliContext,
  fn: (access: InboundAccess) => Promise<T>,
): Promise<T> {
  const access = await inboundAccess(program, cli);
  try {
    return await fn(access);
  } finally {
    if (access.kind === 'store') await access.runtime.close();
  }
}

/** Dates as ISO strings, like the admin API answers them. */
export function asJson<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}

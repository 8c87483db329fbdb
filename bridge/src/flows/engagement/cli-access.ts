import type { Command } from 'commander';
import type { CliContext, CliRuntime } from '../../module.js';
import { BridgeError, isBridgeError } from '../../shared/errors.js';

// How the inbound flows' CLI commands reach their data, the way the core commands do: a running
// bridge's admin API with --url (or BRIDGE_URL), otherwise the store; when the embedded store is held
// by a running bridge, that bridge's admin API.

export type InboundAccess =
  | { kind: 'http'; via: string; call<T>(method: string, path: string, body?: unknown): Promise<T> }
  | { kind: 'store'; via: string; runtime: CliRuntime };

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
  return {
    kind: 'http',
    via: base,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${base}/api/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        throw new BridgeError(
          'UPSTREAM_FAILED',
          `Could not reach the bridge at ${base}: ${(error as Error).message}`,
        );
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : {};
      } catch {
        throw new BridgeError(
          'UPSTREAM_FAILED',
          `The bridge at ${base} answered ${response.status} with a non-JSON body`,
        );
      }
      if (!response.ok) {
        const error = (json as { error?: { code?: string; message?: string; details?: unknown } }).error;
        throw new BridgeError(
          (error?.code ?? 'UPSTREAM_FAILED') as BridgeError['code'],
          error?.message ?? `The bridge answered ${response.status}`,
          {
            status: response.status,
            details: error?.details,
          },
        );
      }
      return json as T;
    },
  };
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

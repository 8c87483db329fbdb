import { readFileSync } from 'node:fs';
import jsforce, { type Connection } from 'jsforce';
import {
  JWT_PRIVATE_KEY_FILE,
  signJwtAssertion,
  startSalesforceEmulator,
  type SalesforceEmulator,
  type SalesforceEmulatorOptions,
} from '../index.js';

// Shared by the Salesforce emulator suites: start an emulator, log in with the real jsforce client,
// and talk raw HTTP when a test needs exact status codes, headers and bodies.

export const privateKeyPem = readFileSync(JWT_PRIVATE_KEY_FILE, 'utf8');

export async function startEmulator(options: SalesforceEmulatorOptions = {}): Promise<SalesforceEmulator> {
  return startSalesforceEmulator({ seed: 7, ...options });
}

/** A jsforce connection authorized with the JWT bearer flow (the bridge's production flow). */
export async function jwtConnection(
  emulator: SalesforceEmulator,
  username = 'bridge@example.com',
): Promise<Connection> {
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
  conn.bulk2.pollInterval = 25;
  conn.bulk2.pollTimeout = 20_000;
  return conn;
}

export async function accessToken(
  emulator: SalesforceEmulator,
  username = 'bridge@example.com',
): Promise<string> {
  const response = await fetch(`${emulator.url}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: emulator.credentials.clientId,
      client_secret: emulator.credentials.clientSecret,
      username,
      password: 'password',
    }),
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

export interface RawResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A REST call with exact status and body; `path` is below /services/data/v62.0 unless absolute. */
export async function api<T = unknown>(
  emulator: SalesforceEmulator,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse<T>> {
  const url =
    path.startsWith('/services') || path.startsWith('/__control') ? path : `/services/data/v62.0${path}`;
  const isText = typeof body === 'string';
  const response = await fetch(`${emulator.url}${url}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': isText ? 'text/csv' : 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : isText ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** A control API call (no auth, not counted). */
export async function control<T = unknown>(
  emulator: SalesforceEmulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<RawResponse<T>> {
  const response = await fetch(`${emulator.url}/__control${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
    text,
  };
}

export function errorCodeOf(error: unknown): string | undefined {
  return (error as { errorCode?: string; name?: string }).errorCode ?? (error as { name?: string }).name;
}

import type { Connection } from 'jsforce';
import { StreamingExtension } from 'jsforce/lib/api/streaming.js';
import type { SalesforceEmulator } from '../index.js';

// Shared by the Streaming API suites: subscribe with the real jsforce streaming client (one faye
// client per channel, with the Replay and AuthFailure extensions, as the bridge does), watch what it
// sees, and talk raw Bayeux when a test needs exact replies, status codes and cookies.

export const SYNC_CHANNEL = '/event/Responsys_Sync__e';

/** A Bayeux message as the client sees it. */
export interface Bayeux {
  channel: string;
  id?: string;
  clientId?: string;
  successful?: boolean;
  error?: string;
  advice?: { reconnect?: string; interval?: number; timeout?: number };
  ext?: Record<string, unknown>;
  data?: unknown;
  subscription?: string;
  supportedConnectionTypes?: string[];
  [key: string]: unknown;
}

/** What the faye subscription callback receives for a platform event. */
export interface PlatformEventData {
  schema: string;
  payload: Record<string, unknown> & { CreatedDate: string; CreatedById: string };
  event: { replayId: number; EventUuid?: string };
}

/** The part of faye's Client that jsforce's `createClient` returns and these tests use. */
interface FayeSubscription extends PromiseLike<unknown> {
  errback(callback: (error: { code?: number | null; message: string }) => void): void;
  cancel(): void;
}
interface FayeClient {
  subscribe(channel: string, callback: (data: PlatformEventData) => void): FayeSubscription;
  /** Undefined when the client is not connected (never was, or was ended by reconnect "none"). */
  disconnect(): PromiseLike<unknown> | undefined;
  addExtension(extension: { incoming?: (m: Bayeux, cb: (m: Bayeux) => void) => void }): void;
  on(event: 'transport:down' | 'transport:up', callback: () => void): void;
}

export interface Subscriber {
  client: FayeClient;
  subscription: FayeSubscription;
  /** Event payloads received, in order. */
  events: PlatformEventData[];
  /** Every meta message the client received (after faye's incoming extensions). */
  meta: Bayeux[];
  authFailures: Bayeux[];
  subscribeErrors: Array<{ code?: number | null; message: string }>;
  transport: string[];
  /** Resolves when `count` events have arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<PlatformEventData[]>;
  /** Disconnects and waits for the server's answer, so faye does not retry against a closed server. */
  close(): Promise<void>;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 8_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Subscribes to a channel the way the bridge does: `conn.streaming.createClient` with a Replay
 * extension for this channel only and an AuthFailure extension. Does not wait for the subscribe.
 */
export function subscribe(
  conn: Connection,
  options: { channel?: string; replayId?: number } = {},
): Subscriber {
  const channel = options.channel ?? SYNC_CHANNEL;
  const authFailures: Bayeux[] = [];
  const meta: Bayeux[] = [];
  const events: PlatformEventData[] = [];
  const subscribeErrors: Subscriber['subscribeErrors'] = [];
  const transport: string[] = [];
  const client = conn.streaming.createClient([
    new StreamingExtension.Replay(channel, options.replayId ?? -1),
    new StreamingExtension.AuthFailure((message: Bayeux) => authFailures.push(message)),
  ]) as unknown as FayeClient;
  client.addExtension({
    incoming(message, callback) {
      if (message.channel.startsWith('/meta/')) meta.push(message);
      callback(message);
    },
  });
  client.on('transport:down', () => transport.push('down'));
  client.on('transport:up', () => transport.push('up'));
  const subscription = client.subscribe(channel, (data) => events.push(data));
  subscription.errback((error) => subscribeErrors.push(error));
  return {
    client,
    subscription,
    events,
    meta,
    authFailures,
    subscribeErrors,
    transport,
    waitForEvents: (count, timeoutMs) =>
      waitFor(`${count} events (have ${events.length})`, () => events.length >= count && events, timeoutMs),
    close: () => disconnect(client),
  };
}

/** `client.disconnect()`, awaited (at most 2 s): an unanswered disconnect leaves faye retrying forever. */
export async function disconnect(client: { disconnect(): PromiseLike<unknown> | undefined }): Promise<void> {
  const answered = client.disconnect();
  if (!answered) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.resolve(answered).catch(() => undefined),
    new Promise((resolve) => (timer = setTimeout(resolve, 2_000))),
  ]);
  clearTimeout(timer);
}

/** Subscribes and waits until Salesforce acknowledged the subscription. */
export async function subscribed(conn: Connection, options: { channel?: string; replayId?: number } = {}) {
  const subscriber = subscribe(conn, options);
  await subscriber.subscription;
  return subscriber;
}

export interface BayeuxResponse {
  status: number;
  body: Bayeux[];
  text: string;
  setCookie: string | null;
}

/** One raw long-polling request, as faye's Node transport sends it. */
export async function bayeux(
  emulator: SalesforceEmulator,
  messages: Bayeux | Bayeux[],
  options: { token?: string; cookie?: string; version?: string; authScheme?: string } = {},
): Promise<BayeuxResponse> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.token) headers.Authorization = `${options.authScheme ?? 'OAuth'} ${options.token}`;
  if (options.cookie) headers.Cookie = options.cookie;
  const response = await fetch(`${emulator.url}/cometd/${options.version ?? '62.0'}`, {
    method: 'POST',
    headers,
    body: JSON.stringify([messages].flat()),
  });
  const text = await response.text();
  let body: Bayeux[] = [];
  try {
    body = JSON.parse(text) as Bayeux[];
  } catch {
    body = [];
  }
  return { status: response.status, body, text, setCookie: response.headers.get('set-cookie') };
}

/** Handshakes raw and returns the client id and the BAYEUX_BROWSER cookie to send back. */
export async function rawHandshake(emulator: SalesforceEmulator, token: string, version = '62.0') {
  const reply = await bayeux(
    emulator,
    { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'], id: '1' },
    { token, version },
  );
  const cookie = reply.setCookie?.split(';')[0] ?? '';
  return { clientId: reply.body[0]!.clientId!, cookie, reply };
}

// The parts of faye's Client (as jsforce's `streaming.createClient` returns it) the subscriber uses,
// and how to put one down for good. faye has no "destroy": after `disconnect()` a client whose
// long-poll is still held keeps that HTTP request open, and a client that never reached CONNECTED
// ignores `disconnect()` and retries its handshake. Retiring one therefore also forbids reconnects,
// closes the transport and aborts requests in flight.

export interface BayeuxMessage {
  channel: string;
  id?: string;
  clientId?: string;
  successful?: boolean;
  error?: string;
  advice?: { reconnect?: string; interval?: number; timeout?: number };
  ext?: Record<string, unknown>;
  subscription?: string | string[];
  data?: unknown;
}

export interface FayeExtension {
  incoming?(message: BayeuxMessage, callback: (message: BayeuxMessage | null) => void): void;
  outgoing?(message: BayeuxMessage, callback: (message: BayeuxMessage) => void): void;
}

export interface FayeSubscription {
  then(onSuccess: () => void, onFailure?: (error: unknown) => void): unknown;
  cancel(): void;
}

export interface FayeClient {
  subscribe(channel: string, callback: (data: unknown) => void): FayeSubscription;
  disconnect(): unknown;
  addExtension(extension: FayeExtension): void;
  on(event: 'transport:down', callback: () => void): void;
}

interface FayeInternals {
  _state?: number;
  _advice?: { reconnect?: string };
  _dispatcher?: {
    close(): void;
    _envelopes?: Map<string, { timer?: NodeJS.Timeout | null; request?: PromiseLike<unknown> | null }>;
  };
}

const DISCONNECTED = 4;

/**
 * Aborts what the client has in flight (the held long-poll), says goodbye with /meta/disconnect so
 * Salesforce frees its concurrent-client slot at once (a Developer Edition org allows 20), and makes
 * sure it never reconnects.
 */
export function retireFayeClient(client: FayeClient, goodbyeTimeoutMs = 2000): void {
  const internals = client as unknown as FayeInternals;
  const dispatcher = internals._dispatcher;
  for (const envelope of dispatcher?._envelopes?.values() ?? []) {
    if (envelope.timer) clearTimeout(envelope.timer);
    envelope.timer = null;
    void Promise.resolve(envelope.request)
      .then((request) => (request as { abort?: () => void } | null)?.abort?.())
      .catch(() => undefined);
  }
  dispatcher?._envelopes?.clear();
  try {
    // Only a connected client sends it; faye closes its transport when the answer comes.
    client.disconnect();
  } catch {
    // a client in a broken state: the steps below still stop it
  }
  if (internals._advice) internals._advice.reconnect = 'none';
  internals._state = DISCONNECTED;
  if (dispatcher) setTimeout(() => dispatcher.close(), goodbyeTimeoutMs).unref();
}

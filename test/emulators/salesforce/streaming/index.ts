import type { Request, Response, Router } from 'express';
import type { SalesforceOrg } from '../org.js';
import { CometdEndpoint } from './cometd-endpoint.js';
import { DurableEventLog, schemaIdOf, type RetainedEvent } from './event-log.js';
import { StreamingClients, type ClientFilter } from './streaming-clients.js';

// The Streaming API half of the Salesforce emulator: every platform event published in the org
// (through REST or by the model of the package's triggers) goes into the durable log and out to the
// CometD subscribers of its channel. The handle below is what tests and the control API use to
// inspect it and to force the failures real subscribers meet.

export interface StreamingOptions {
  /** How long a `/meta/connect` is held when there is nothing to deliver; Salesforce holds 110 s. */
  longPollTimeoutMs?: number;
  /** How long a client may take to reconnect after a long-poll answers; Salesforce allows 40 s. */
  reconnectTimeoutMs?: number;
}

export interface StreamingClientState {
  clientId: string;
  username: string | null;
  /** When the client handshook. */
  since: string;
  apiVersion: number;
  channels: string[];
  connects: number;
  delivered: number;
  queued: number;
  /** True while a long-poll of the client is being held open. */
  connected: boolean;
}

export interface StreamingState {
  endpoint: string;
  longPollTimeoutMs: number;
  reconnectTimeoutMs: number;
  eventRetentionMs: number;
  clients: StreamingClientState[];
  channels: ReturnType<DurableEventLog['describe']>;
}

export interface StreamingApi {
  state(): StreamingState;
  /** Retained events of a channel, oldest first (what -2 replays). */
  retainedEvents(channel: string): RetainedEvent[];
  /** The server forgets the clients: their next request answers `403::Unknown client`. */
  dropClients(filter?: ClientFilter): number;
  /** Revokes the clients' sessions: their next connect answers `401::Authentication invalid`. */
  revokeClientSessions(filter?: ClientFilter): number;
  /** Cuts the sockets of held long-polls (a network drop); faye retries after its retry interval. */
  dropConnections(filter?: ClientFilter): number;
  /** Answers held long-polls now, empty if nothing is queued. */
  releaseConnections(filter?: ClientFilter): number;
  /** The next answer carrying events is never written: delivered for Salesforce, lost for the client. */
  loseNextDelivery(filter?: ClientFilter): number;
  /** Removes retained events, as if their retention window had passed. */
  expireEvents(filter?: { channel?: string; throughReplayId?: number }): number;
  close(): void;
}

export const DEFAULT_LONG_POLL_TIMEOUT_MS = 110_000;
export const DEFAULT_RECONNECT_TIMEOUT_MS = 40_000;

export function startStreamingApi(
  org: SalesforceOrg,
  extensions: Router,
  options: StreamingOptions & { eventRetentionMs: number },
): StreamingApi {
  const longPollTimeoutMs = options.longPollTimeoutMs ?? DEFAULT_LONG_POLL_TIMEOUT_MS;
  const reconnectTimeoutMs = options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
  const log = new DurableEventLog(org.clock, options.eventRetentionMs);
  const clients = new StreamingClients(log, org.limits, reconnectTimeoutMs);
  const endpoint = new CometdEndpoint(org, clients, log, { longPollTimeoutMs });
  const schemas = new Map<string, string>();

  const unsubscribe = org.events.subscribe((event) => {
    let schema = schemas.get(event.object);
    if (!schema) {
      const object = org.catalog.object(event.object);
      schema = object ? schemaIdOf(object) : event.object;
      schemas.set(event.object, schema);
    }
    clients.deliver(log.append(event, schema));
  });
  // A reset org starts with nothing retained; replay ids keep increasing, so old cursors read as expired.
  const detachReset = org.onReset(() => log.expire());

  extensions.all('/cometd/:version', (req: Request, res: Response) =>
    endpoint.handle(req, res, String(req.params.version)),
  );

  const revoke = (filter: ClientFilter = {}) => {
    let revoked = 0;
    for (const client of clients.matching(filter)) {
      if (client.token) revoked += org.sessions.expire({ token: client.token });
    }
    endpoint.release(filter);
    return revoked;
  };

  return {
    state: () => {
      const held = new Set(endpoint.heldClientIds());
      return {
        endpoint: `${org.url}/cometd/<version>`,
        longPollTimeoutMs,
        reconnectTimeoutMs,
        eventRetentionMs: log.retentionMs,
        clients: clients.all().map((c) => ({
          clientId: c.id,
          username: c.username,
          since: c.createdAt,
          apiVersion: c.apiVersion,
          channels: [...c.channels],
          connects: c.connects,
          delivered: c.delivered,
          queued: c.outbox.length,
          connected: held.has(c.id),
        })),
        channels: log.describe(),
      };
    },
    retainedEvents: (channel) => log.after(channel, -2),
    dropClients: (filter = {}) => {
      const matching = clients.matching(filter);
      for (const client of matching) clients.destroyClient(client.id);
      return matching.length;
    },
    revokeClientSessions: revoke,
    dropConnections: (filter) => endpoint.dropConnections(filter),
    releaseConnections: (filter) => endpoint.release(filter),
    loseNextDelivery: (filter) => endpoint.loseNextDelivery(filter),
    expireEvents: (filter) => log.expire(filter),
    close: () => {
      unsubscribe();
      detachReset();
      endpoint.close();
    },
  };
}

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session } from '../auth/sessions.js';
import { LATEST_API_VERSION } from '../http/rest/api.js';
import type { SalesforceOrg } from '../org.js';
import {
  AUTHENTICATION_INVALID,
  CONCURRENT_CLIENT_LIMIT,
  DAILY_DELIVERY_LIMIT,
  HANDSHAKE_DENIED,
  invalidConnectionType,
  invalidReplayId,
  MAX_REQUEST_BYTES,
  MAXIMUM_REQUEST_SIZE,
  missingBrowserCookie,
  PUBLISH_DENIED,
  replayIdNotInMap,
  REQUEST_REQUIRES_AUTHENTICATION,
  UNKNOWN_CLIENT,
  unknownChannel,
} from './bayeux-errors.js';
import type { DurableEventLog } from './event-log.js';
import { createNodeAdapter, type BayeuxMessage, type ExtensionCallback, type NodeAdapter } from './faye.js';
import type { ClientFilter, ReplayFrom, StreamingClients } from './streaming-clients.js';

// The Streaming API endpoint, `/cometd/<version>`, on faye's Bayeux server, made to answer as
// Salesforce's (a heavily modified CometD): OAuth on every request, long-polling only, the replay
// extension, Salesforce's error strings and advice, the BAYEUX_BROWSER cookie, and a first connect
// that returns at once while later ones are held. faye extensions see Bayeux messages, not HTTP
// headers, so the HTTP handler reads the Authorization header first and files what it found under
// the request object, which faye hands to every extension.

/** Durable streaming (replay) exists from 37.0; retired versions are routed to the latest. */
export const OLDEST_STREAMING_VERSION = 37;
export const BROWSER_COOKIE = 'BAYEUX_BROWSER';

interface RequestContext {
  token: string;
  session: Session | undefined;
  apiVersion: number;
  response: ServerResponse;
  browserId: string | undefined;
  /** Client ids of this request's messages, by message id: failed replies get theirs back. */
  clientIds: Map<string, string>;
  /** The client whose `/meta/connect` this request holds. */
  heldClientId?: string;
  /** The answer is lost on the way (see loseNextDelivery): it is never written. */
  lost?: boolean;
}

interface HeldPoll {
  request: IncomingMessage;
  response: ServerResponse;
}

export interface CometdEndpointOptions {
  longPollTimeoutMs: number;
}

function tokenOf(request: IncomingMessage): string | undefined {
  const m = /^(?:OAuth|Bearer)\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return m?.[1];
}

function cookieOf(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function isMeta(channel: string): boolean {
  return channel.startsWith('/meta/');
}

function subscriptionsOf(message: BayeuxMessage): string[] {
  return message.subscription === undefined ? [] : [message.subscription].flat();
}

/** A replay option from the subscribe's ext.replay map, or the error Salesforce gives. */
function replayOption(
  message: BayeuxMessage,
  channel: string,
): { replayFrom: ReplayFrom } | { error: string } {
  const map = message.ext?.replay;
  if (map === undefined || map === null) return { replayFrom: -1 };
  if (typeof map !== 'object' || Array.isArray(map)) return { error: invalidReplayId(JSON.stringify(map)) };
  const entries = map as Record<string, unknown>;
  if (!(channel in entries)) return { error: replayIdNotInMap(channel, entries) };
  const raw = entries[channel];
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < -2)
    return { error: invalidReplayId(raw) };
  return { replayFrom: value };
}

export class CometdEndpoint {
  private readonly adapter: NodeAdapter;
  private readonly requests = new WeakMap<IncomingMessage, RequestContext>();
  private readonly held = new Map<string, HeldPoll>();
  /** Clients whose next long-poll answer carrying events is lost on the way. */
  private readonly losingNextDelivery = new Set<string>();

  constructor(
    private readonly org: SalesforceOrg,
    private readonly clients: StreamingClients,
    private readonly log: DurableEventLog,
    readonly options: CometdEndpointOptions,
  ) {
    this.adapter = createNodeAdapter({
      mount: '/cometd',
      timeout: options.longPollTimeoutMs / 1000,
      engine: { type: clients.engineType() },
    });
    this.adapter.addExtension({
      incoming: (message, request, callback) => this.incoming(message, request, callback),
      outgoing: (message, request, callback) => this.outgoing(message, request, callback),
    });
  }

  /** The HTTP side of `/cometd/<version>`: what must be settled before faye sees the messages. */
  handle(request: IncomingMessage, response: ServerResponse, versionParam: string): void {
    const apiVersion = this.resolveVersion(versionParam);
    if (apiVersion === undefined) {
      response.writeHead(404, { 'Content-Type': 'application/json;charset=UTF-8' });
      response.end(
        JSON.stringify([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]),
      );
      return;
    }
    // Long-polling is a POST of a JSON array; faye's JSONP, EventSource and WebSocket routes stay shut.
    if (request.method !== 'POST') {
      response.writeHead(405, { Allow: 'POST', 'Content-Type': 'application/json;charset=UTF-8' });
      response.end(JSON.stringify([{ error: invalidConnectionType('callback-polling'), successful: false }]));
      return;
    }
    if (Number(request.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) {
      response.writeHead(413, { 'Content-Type': 'application/json;charset=UTF-8', Connection: 'close' });
      response.end(JSON.stringify([{ error: MAXIMUM_REQUEST_SIZE, successful: false }]));
      request.resume();
      return;
    }
    const token = tokenOf(request);
    if (!token) {
      response.writeHead(401, { 'Content-Type': 'application/json;charset=UTF-8' });
      response.end(JSON.stringify([{ error: REQUEST_REQUIRES_AUTHENTICATION, successful: false }]));
      request.resume();
      return;
    }
    this.requests.set(request, {
      token,
      session: this.org.sessions.use(token),
      apiVersion,
      response,
      browserId: cookieOf(request, BROWSER_COOKIE),
      clientIds: new Map(),
    });
    this.adapter.handle(request, response);
  }

  private resolveVersion(param: string): number | undefined {
    const m = /^(\d+)\.0$/.exec(param);
    if (!m) return undefined;
    const version = Number(m[1]);
    if (version > LATEST_API_VERSION) return undefined;
    return version < OLDEST_STREAMING_VERSION ? LATEST_API_VERSION : version;
  }

  private incoming(
    message: BayeuxMessage,
    request: IncomingMessage | null,
    callback: ExtensionCallback,
  ): void {
    const context = request ? this.requests.get(request) : undefined;
    if (!context) return callback(message);
    if (message.id && message.clientId) context.clientIds.set(message.id, message.clientId);
    const client = this.clients.get(message.clientId);
    switch (message.channel) {
      case '/meta/handshake':
        if (!context.session) message.error = HANDSHAKE_DENIED;
        else if (this.clients.size >= this.org.limits.max('StreamingApiConcurrentClients')) {
          message.error = CONCURRENT_CLIENT_LIMIT;
        }
        break;
      case '/meta/connect':
        if (!context.session) message.error = AUTHENTICATION_INVALID;
        else if (client) {
          if (!context.browserId) message.error = missingBrowserCookie(client.id);
          else if (message.connectionType !== 'long-polling') {
            message.error = invalidConnectionType(message.connectionType);
          } else {
            // The first connect after a handshake answers at once; later ones wait for events.
            if (client.connects === 0) message.advice = { ...message.advice, timeout: 0 };
            client.connects += 1;
            context.heldClientId = client.id;
            this.hold(client.id, request!, context.response);
          }
        }
        break;
      case '/meta/subscribe':
        if (!context.session) message.error = AUTHENTICATION_INVALID;
        else if (client) message.error = this.acceptSubscribe(client.id, message, !!context.browserId);
        break;
      case '/meta/unsubscribe':
      case '/meta/disconnect':
        if (!context.session) message.error = AUTHENTICATION_INVALID;
        break;
      default:
        if (!isMeta(message.channel)) message.error = PUBLISH_DENIED;
    }
    if (message.error === undefined) delete message.error;
    callback(message);
  }

  /** Checks a subscribe; when it is good, tells the engine where it replays from. */
  private acceptSubscribe(clientId: string, message: BayeuxMessage, hasCookie: boolean): string | undefined {
    if (!hasCookie) return missingBrowserCookie(clientId);
    const channels = subscriptionsOf(message);
    const options: Array<[string, ReplayFrom]> = [];
    for (const channel of channels) {
      if (!this.channelExists(channel)) return unknownChannel(channel);
      const option = replayOption(message, channel);
      if ('error' in option) return option.error;
      if (option.replayFrom >= 0 && !this.log.isValidReplayId(channel, option.replayFrom)) {
        return invalidReplayId(option.replayFrom);
      }
      options.push([channel, option.replayFrom]);
    }
    if (this.org.limits.remaining('DailyDeliveredPlatformEvents') <= 0) return DAILY_DELIVERY_LIMIT;
    for (const [channel, replayFrom] of options) this.clients.expectSubscribe(clientId, channel, replayFrom);
    return undefined;
  }

  /** Platform event channels of the org's event definitions (names are case-sensitive). */
  private channelExists(channel: string): boolean {
    const m = /^\/event\/(\w+__e)$/.exec(channel);
    const object = m ? this.org.catalog.object(m[1]!) : undefined;
    return object?.kind === 'event' && object.name === m![1];
  }

  private outgoing(reply: BayeuxMessage, request: IncomingMessage | null, callback: ExtensionCallback): void {
    const context = request ? this.requests.get(request) : undefined;
    if (context?.heldClientId && !isMeta(reply.channel)) {
      if (this.losingNextDelivery.delete(context.heldClientId)) context.lost = true;
    }
    // faye answers a request once every reply has passed the extensions: holding them back keeps
    // the answer from being written, and the socket open until the client gives up.
    if (context?.lost) return;
    if (!context || !isMeta(reply.channel)) return callback(reply);
    if (reply.channel === '/meta/handshake') return callback(this.handshakeReply(reply, context));
    const clientId = reply.id ? context.clientIds.get(reply.id) : undefined;
    // faye says "401:<clientId>:Unknown client"; Salesforce says 403 and asks for a new handshake.
    if (reply.error && /^\d+:[^:]*:Unknown client$/.test(reply.error)) {
      reply.error = UNKNOWN_CLIENT;
      reply.advice = { interval: 0, reconnect: 'handshake' };
    } else if (reply.error === AUTHENTICATION_INVALID) {
      // The client is finished: faye never connects again after reconnect "none".
      if (clientId) reply.clientId = clientId;
      reply.advice = { interval: 0, reconnect: 'none' };
      if (clientId) this.clients.destroyClient(clientId);
    }
    callback(reply);
  }

  private handshakeReply(reply: BayeuxMessage, context: RequestContext): BayeuxMessage {
    if (reply.error === HANDSHAKE_DENIED) {
      return {
        ext: { sfdc: { failureReason: AUTHENTICATION_INVALID } },
        advice: { reconnect: 'none' },
        channel: reply.channel,
        ...(reply.id ? { id: reply.id } : {}),
        error: HANDSHAKE_DENIED,
        successful: false,
      };
    }
    if (!reply.successful || !reply.clientId) {
      delete reply.supportedConnectionTypes;
      return reply;
    }
    const client = this.clients.get(reply.clientId);
    if (client && context.session) {
      client.userId = context.session.userId;
      client.username = context.session.username;
      client.token = context.token;
      client.apiVersion = context.apiVersion;
      client.browserId = context.browserId ?? randomBytes(16).toString('base64url');
      if (!context.browserId) {
        context.response.setHeader('Set-Cookie', `${BROWSER_COOKIE}=${client.browserId}; Path=/; HttpOnly`);
      }
    }
    const { advice: _advice, ...rest } = reply;
    return {
      ...rest,
      minimumVersion: '1.0',
      supportedConnectionTypes: ['long-polling'],
      ext: { replay: true, 'payload.format': true },
    };
  }

  /** Tracks a held long-poll, and forgets it when the client goes away before the answer. */
  private hold(clientId: string, request: IncomingMessage, response: ServerResponse): void {
    const poll: HeldPoll = { request, response };
    this.held.set(clientId, poll);
    response.once('close', () => {
      if (this.held.get(clientId) !== poll) return;
      this.held.delete(clientId);
      // Gone before the answer: keep queued events for the next connect instead of writing them
      // into a closed socket.
      if (!response.writableFinished) this.detach(clientId);
    });
  }

  /** Forgets faye's held long-poll of a client without answering it. */
  private detach(clientId: string): void {
    const host = this.clients.engineHost();
    const connection = host.connection(clientId, false);
    if (!connection) return;
    connection.removeTimeout('connection');
    connection.removeTimeout('delivery');
    host.closeConnection(clientId);
  }

  /** Answers held long-polls now (they return successfully, with whatever is queued). */
  release(filter: ClientFilter = {}): number {
    const host = this.clients.engineHost();
    let released = 0;
    for (const client of this.clients.matching(filter)) {
      if (!this.held.has(client.id)) continue;
      host.flushConnection(client.id);
      released += 1;
    }
    return released;
  }

  /** Cuts the sockets of held long-polls: the clients see a network error and retry. */
  dropConnections(filter: ClientFilter = {}): number {
    let dropped = 0;
    for (const client of this.clients.matching(filter)) {
      const poll = this.held.get(client.id);
      if (!poll) continue;
      this.held.delete(client.id);
      this.detach(client.id);
      poll.request.socket.destroy();
      dropped += 1;
    }
    return dropped;
  }

  /**
   * The next long-poll answer carrying events to each matching client is lost on the way (a proxy
   * or a NAT swallowing a response): the events count as delivered, and the client only notices when
   * its own request timeout passes.
   */
  loseNextDelivery(filter: ClientFilter = {}): number {
    const clients = this.clients.matching(filter);
    for (const client of clients) this.losingNextDelivery.add(client.id);
    return clients.length;
  }

  heldClientIds(): string[] {
    return [...this.held.keys()];
  }

  close(): void {
    this.dropConnections();
    this.adapter.close();
  }
}

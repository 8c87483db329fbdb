import type { OrgLimits } from '../limits.js';
import { deliveryMessage, type DurableEventLog, type RetainedEvent } from './event-log.js';
import type { BayeuxMessage, EngineHost, FayeEngine } from './faye.js';

// The faye engine behind the CometD endpoint: the Bayeux clients (one per handshake), their
// subscriptions and their outboxes. Where faye's memory engine forgets a message once it is queued,
// this one takes its events from the durable log, so a subscribe can replay, and counts deliveries
// against DailyDeliveredPlatformEvents. faye's server calls the FayeEngine methods; the CometD
// endpoint calls the rest.

/** -1: new events only; -2: everything retained; n >= 0: the retained events after replay id n. */
export type ReplayFrom = number;

export interface StreamingClient {
  id: string;
  createdAt: string;
  /** Who handshook, with which token and endpoint version; filled in by the handshake reply. */
  userId: string | null;
  username: string | null;
  token: string | null;
  apiVersion: number;
  /** The BAYEUX_BROWSER cookie the handshake was answered with. */
  browserId: string | null;
  channels: Set<string>;
  outbox: BayeuxMessage[];
  connects: number;
  delivered: number;
  expiry: NodeJS.Timeout | undefined;
}

export interface ClientFilter {
  clientId?: string;
  username?: string;
}

export class StreamingClients implements FayeEngine {
  private readonly clients = new Map<string, StreamingClient>();
  /** Replay options of subscribes the endpoint accepted, taken when faye subscribes the client. */
  private readonly pendingReplay = new Map<string, ReplayFrom>();
  private host!: EngineHost;

  constructor(
    private readonly log: DurableEventLog,
    private readonly limits: OrgLimits,
    /** How long a client may stay away after a long-poll answers before its session ends. */
    private readonly reconnectTimeoutMs: number,
  ) {}

  /** faye builds its engine through `type.create(host, options)`; this hands it the instance. */
  engineType(): { create(host: EngineHost): FayeEngine } {
    return {
      create: (host: EngineHost) => {
        this.host = host;
        return this;
      },
    };
  }

  // faye engine interface

  createClient(callback: (clientId: string) => void, context?: unknown): void {
    const id = this.host.generateId();
    this.clients.set(id, {
      id,
      createdAt: new Date().toISOString(),
      userId: null,
      username: null,
      token: null,
      apiVersion: 0,
      browserId: null,
      channels: new Set(),
      outbox: [],
      connects: 0,
      delivered: 0,
      expiry: undefined,
    });
    this.updateGauges();
    this.ping(id);
    this.host.trigger('handshake', id);
    callback.call(context, id);
  }

  destroyClient(clientId: string, callback?: () => void, context?: unknown): void {
    const client = this.clients.get(clientId);
    if (!client) return;
    clearTimeout(client.expiry);
    this.clients.delete(clientId);
    this.updateGauges();
    this.host.trigger('disconnect', clientId);
    // faye's host answers the client's held long-poll when it hears `close`.
    this.host.trigger('close', clientId);
    callback?.call(context);
  }

  clientExists(clientId: string, callback: (exists: boolean) => void, context?: unknown): void {
    callback.call(context, this.clients.has(clientId));
  }

  /** Called when a long-poll starts: the client lives while it keeps reconnecting in time. */
  ping(clientId: string): void {
    const client = this.clients.get(clientId);
    if (!client) return;
    clearTimeout(client.expiry);
    client.expiry = setTimeout(
      () => this.destroyClient(clientId),
      this.host.timeout * 1000 + this.reconnectTimeoutMs,
    );
    client.expiry.unref();
  }

  subscribe(clientId: string, channel: string, callback?: (ok: boolean) => void, context?: unknown): void {
    const client = this.clients.get(clientId);
    if (client) {
      client.channels.add(channel);
      const key = `${clientId} ${channel}`;
      const replayFrom = this.pendingReplay.get(key) ?? -1;
      this.pendingReplay.delete(key);
      if (replayFrom !== -1) {
        for (const event of this.log.after(channel, replayFrom))
          client.outbox.push(deliveryMessage(event, client.apiVersion));
        this.emptyQueue(clientId);
      }
      this.host.trigger('subscribe', clientId, channel);
    }
    callback?.call(context, client !== undefined);
  }

  unsubscribe(clientId: string, channel: string, callback?: (ok: boolean) => void, context?: unknown): void {
    const removed = this.clients.get(clientId)?.channels.delete(channel) ?? false;
    if (removed) this.host.trigger('unsubscribe', clientId, channel);
    callback?.call(context, true);
  }

  /** Clients cannot publish on the Streaming API (the endpoint refuses it); nothing reaches here. */
  publish(): void {}

  emptyQueue(clientId: string): void {
    const client = this.clients.get(clientId);
    if (!client || client.outbox.length === 0 || !this.host.hasConnection(clientId)) return;
    const messages = client.outbox;
    client.outbox = [];
    client.delivered += messages.length;
    this.limits.consume('DailyDeliveredPlatformEvents', messages.length);
    this.host.deliver(clientId, messages);
  }

  disconnect(): void {
    for (const client of this.clients.values()) clearTimeout(client.expiry);
    this.clients.clear();
    this.pendingReplay.clear();
    this.updateGauges();
  }

  // Used by the CometD endpoint

  engineHost(): EngineHost {
    return this.host;
  }

  get(clientId: string | undefined): StreamingClient | undefined {
    return clientId ? this.clients.get(clientId) : undefined;
  }

  get size(): number {
    return this.clients.size;
  }

  matching(filter: ClientFilter): StreamingClient[] {
    return [...this.clients.values()].filter(
      (c) =>
        (!filter.clientId || c.id === filter.clientId) &&
        (!filter.username || c.username?.toLowerCase() === filter.username.toLowerCase()),
    );
  }

  all(): StreamingClient[] {
    return [...this.clients.values()];
  }

  /** Remembers where an accepted subscribe replays from, for the subscribe faye is about to make. */
  expectSubscribe(clientId: string, channel: string, replayFrom: ReplayFrom): void {
    this.pendingReplay.set(`${clientId} ${channel}`, replayFrom);
  }

  /** A new event: into the outbox of every subscriber, and out at once to those holding a long-poll. */
  deliver(event: RetainedEvent): void {
    for (const client of this.clients.values()) {
      if (!client.channels.has(event.channel)) continue;
      client.outbox.push(deliveryMessage(event, client.apiVersion));
      this.emptyQueue(client.id);
    }
  }

  private updateGauges(): void {
    this.limits.setGauge('StreamingApiConcurrentClients', this.clients.size);
    this.limits.setGauge('DurableStreamingApiConcurrentClients', this.clients.size);
  }
}

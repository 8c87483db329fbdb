import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

// faye 1.4.3 ships no type declarations; these are the parts of its server the CometD endpoint uses:
// the NodeAdapter (HTTP long-polling and the extension pipeline) and the engine interface a custom
// engine implements (the one faye-redis implements). A declaration of the whole module would leak
// into every other user of faye in the project, so it stays local.

/** One Bayeux message as it travels through faye (requests, replies and data messages). */
export interface BayeuxMessage {
  channel: string;
  id?: string;
  clientId?: string;
  successful?: boolean;
  error?: string;
  advice?: { reconnect?: 'retry' | 'handshake' | 'none'; interval?: number; timeout?: number };
  ext?: Record<string, unknown>;
  data?: unknown;
  subscription?: string | string[];
  connectionType?: string;
  supportedConnectionTypes?: string[];
  version?: string;
  minimumVersion?: string;
}

export type ExtensionCallback = (message: BayeuxMessage | null) => void;

/** A server extension; with three parameters faye passes the HTTP request (null for in-process). */
export interface ServerExtension {
  incoming?(message: BayeuxMessage, request: IncomingMessage | null, callback: ExtensionCallback): void;
  outgoing?(message: BayeuxMessage, request: IncomingMessage | null, callback: ExtensionCallback): void;
}

/** A held long-poll (faye's Connection); its timers decide when it answers. */
export interface HeldConnection {
  removeTimeout(name: 'connection' | 'delivery'): void;
}

/** faye's Engine.Proxy: what it offers the engine it hosts. */
export interface EngineHost {
  /** Long-poll hold time and reconnect interval, in seconds. */
  timeout: number;
  interval: number;
  generateId(): string;
  hasConnection(clientId: string): boolean;
  connection(clientId: string, create: boolean): HeldConnection | undefined;
  /** Hands messages to the held long-poll, which answers at once. */
  deliver(clientId: string, messages: BayeuxMessage[]): boolean;
  /** Answers the held long-poll now (with what it holds). */
  flushConnection(clientId: string, close?: boolean): void;
  closeConnection(clientId: string): void;
  trigger(event: string, ...args: unknown[]): void;
}

/** The engine interface faye's server calls (faye/src/engines/memory.js implements the same). */
export interface FayeEngine {
  createClient(callback: (clientId: string) => void, context?: unknown): void;
  destroyClient(clientId: string, callback?: () => void, context?: unknown): void;
  clientExists(clientId: string, callback: (exists: boolean) => void, context?: unknown): void;
  ping(clientId: string): void;
  subscribe(clientId: string, channel: string, callback?: (ok: boolean) => void, context?: unknown): void;
  unsubscribe(clientId: string, channel: string, callback?: (ok: boolean) => void, context?: unknown): void;
  publish(message: BayeuxMessage, channels: string[]): void;
  emptyQueue(clientId: string): void;
  disconnect(): void;
}

export interface NodeAdapterOptions {
  mount: string;
  /** Long-poll hold time in seconds. */
  timeout: number;
  engine: { type: { create(host: EngineHost, options: unknown): FayeEngine }; interval?: number };
}

export interface NodeAdapter {
  handle(request: IncomingMessage, response: ServerResponse): void;
  addExtension(extension: ServerExtension): void;
  close(): void;
}

interface FayeModule {
  NodeAdapter: new (options: NodeAdapterOptions) => NodeAdapter;
}

const require = createRequire(import.meta.url);
const faye = require('faye') as FayeModule;

export function createNodeAdapter(options: NodeAdapterOptions): NodeAdapter {
  return new faye.NodeAdapter(options);
}

import { createHash } from 'node:crypto';
import type { EmulatorClock } from '../clock.js';
import type { PublishedPlatformEvent } from '../data/platform-events.js';
import type { ObjectDef, StoredRecord } from '../schema/types.js';
import type { BayeuxMessage } from './faye.js';

// The event bus's durable side: every platform event published in the org gets the next replay id of
// its channel and is kept for the retention window (72 hours for high-volume events), measured on the
// org clock so tests can move time. A subscriber replays from it with -2 (everything retained) or a
// stored replay id (the events after it); an id from before the retained window, or one the channel
// never issued, is invalid.

/** EventUuid is delivered from API 52.0 on (the CometD endpoint version decides). */
export const EVENT_UUID_SINCE_VERSION = 52;

export interface RetainedEvent {
  channel: string;
  replayId: number;
  eventUuid: string;
  schema: string;
  payload: StoredRecord;
  /** Org clock time it was stored, in ms. */
  storedAtMs: number;
}

interface ChannelLog {
  events: RetainedEvent[];
  /** The last replay id issued on the channel. */
  lastReplayId: number;
  /** Every event up to this replay id is gone (expired or purged). */
  purgedThrough: number;
}

/**
 * The schema id of an event definition: a versioned id that changes when the event's fields change,
 * 22 base64url characters like Salesforce's (`dffQ2QLzDNHqwB8_sHMxdA`).
 */
export function schemaIdOf(object: ObjectDef): string {
  const shape = object.fields
    .map((f) => `${f.name}:${f.type}:${f.length}`)
    .sort()
    .join(',');
  return createHash('md5').update(`${object.name}|${shape}`).digest('base64url').slice(0, 22);
}

/** The message a subscriber receives, shaped as Salesforce delivers it for an endpoint version. */
export function deliveryMessage(event: RetainedEvent, apiVersion: number): BayeuxMessage {
  const meta =
    apiVersion >= EVENT_UUID_SINCE_VERSION
      ? { EventUuid: event.eventUuid, replayId: event.replayId }
      : { replayId: event.replayId };
  return { data: { schema: event.schema, payload: event.payload, event: meta }, channel: event.channel };
}

export class DurableEventLog {
  private readonly channels = new Map<string, ChannelLog>();

  constructor(
    private readonly clock: EmulatorClock,
    public retentionMs: number,
  ) {}

  private log(channel: string): ChannelLog {
    let log = this.channels.get(channel);
    if (!log) {
      log = { events: [], lastReplayId: 0, purgedThrough: 0 };
      this.channels.set(channel, log);
    }
    return log;
  }

  /** Drops what the retention window no longer covers. */
  private prune(log: ChannelLog): void {
    const oldest = this.clock.nowMs() - this.retentionMs;
    let drop = 0;
    while (drop < log.events.length && log.events[drop]!.storedAtMs < oldest) drop += 1;
    if (drop > 0) this.purge(log, drop);
  }

  private purge(log: ChannelLog, count: number): void {
    log.purgedThrough = Math.max(log.purgedThrough, log.events[count - 1]!.replayId);
    log.events.splice(0, count);
  }

  append(event: PublishedPlatformEvent, schema: string): RetainedEvent {
    const log = this.log(event.channel);
    this.prune(log);
    log.lastReplayId += 1;
    const retained: RetainedEvent = {
      channel: event.channel,
      replayId: log.lastReplayId,
      eventUuid: event.eventUuid,
      schema,
      payload: event.payload,
      storedAtMs: this.clock.nowMs(),
    };
    log.events.push(retained);
    return retained;
  }

  /** A stored replay id is valid when no event after it has expired and the channel issued it. */
  isValidReplayId(channel: string, replayId: number): boolean {
    const log = this.log(channel);
    this.prune(log);
    return replayId >= log.purgedThrough && replayId <= log.lastReplayId;
  }

  /** Retained events after `replayId`; -2 means every retained event. */
  after(channel: string, replayId: number): RetainedEvent[] {
    const log = this.log(channel);
    this.prune(log);
    return replayId === -2 ? [...log.events] : log.events.filter((e) => e.replayId > replayId);
  }

  /**
   * Removes retained events, as if their 72 hours had passed: those of one channel or all, up to and
   * including `throughReplayId` or all of them. Returns how many went.
   */
  expire(filter: { channel?: string; throughReplayId?: number } = {}): number {
    let removed = 0;
    for (const [channel, log] of this.channels) {
      if (filter.channel && channel !== filter.channel) continue;
      const count =
        filter.throughReplayId === undefined
          ? log.events.length
          : log.events.filter((e) => e.replayId <= filter.throughReplayId!).length;
      if (count > 0) this.purge(log, count);
      if (filter.throughReplayId === undefined) log.purgedThrough = log.lastReplayId;
      removed += count;
    }
    return removed;
  }

  describe(): Array<{
    channel: string;
    lastReplayId: number;
    retained: number;
    oldestRetainedReplayId: number | null;
    oldestRetainedAt: string | null;
    purgedThroughReplayId: number;
  }> {
    return [...this.channels].map(([channel, log]) => {
      this.prune(log);
      const oldest = log.events[0];
      return {
        channel,
        lastReplayId: log.lastReplayId,
        retained: log.events.length,
        oldestRetainedReplayId: oldest?.replayId ?? null,
        oldestRetainedAt: oldest ? new Date(oldest.storedAtMs).toISOString() : null,
        purgedThroughReplayId: log.purgedThrough,
      };
    });
  }
}

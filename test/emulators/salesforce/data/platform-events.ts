import type { StoredRecord } from '../schema/types.js';

// Platform events published in this org (through REST, or by the model of the package's triggers).
// The bus only fans messages out; the Streaming API (CometD) subscribes to it, numbers the events
// per channel with replay ids and keeps them for the retention window.

export interface PublishedPlatformEvent {
  /** `/event/Responsys_Sync__e` */
  channel: string;
  object: string;
  eventUuid: string;
  /** Custom fields plus CreatedDate and CreatedById, as delivered in `data.payload`. */
  payload: StoredRecord;
  publishedAt: string;
  publishedBy: { id: string; username: string };
}

export type PlatformEventListener = (event: PublishedPlatformEvent) => void;

export class PlatformEventBus {
  private readonly listeners = new Set<PlatformEventListener>();
  private publishedCount = 0;

  subscribe(listener: PlatformEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: PublishedPlatformEvent): void {
    this.publishedCount += 1;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('[salesforce-emulator] platform event listener failed', error);
      }
    }
  }

  get published(): number {
    return this.publishedCount;
  }
}

import type { EmulatorClock } from '../clock.js';
import type { IdFactory } from '../schema/ids.js';
import type { QueryResult } from './query-engine.js';

// Query locators for `nextRecordsUrl` paging. A cursor holds the result's row snapshots; it expires
// after 15 minutes without use, and a user keeps at most 10 open (the oldest is dropped), as the
// API documents. Following a dead locator answers INVALID_QUERY_LOCATOR.

const IDLE_MS = 15 * 60_000;
const PER_USER = 10;

interface Cursor {
  id: string;
  userId: string;
  result: QueryResult;
  lastUsed: number;
  createdAt: number;
}

export class QueryCursors {
  private readonly cursors = new Map<string, Cursor>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly ids: IdFactory,
  ) {}

  open(userId: string, result: QueryResult): string {
    const now = this.clock.nowMs();
    const mine = [...this.cursors.values()]
      .filter((c) => c.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt);
    while (mine.length >= PER_USER) this.cursors.delete(mine.shift()!.id);
    const id = this.ids.next('01g').slice(0, 15);
    this.cursors.set(id, { id, userId, result, lastUsed: now, createdAt: now });
    return id;
  }

  get(id: string, userId: string): QueryResult | undefined {
    const cursor = this.cursors.get(id);
    const now = this.clock.nowMs();
    if (!cursor || cursor.userId !== userId) return undefined;
    if (now - cursor.lastUsed > IDLE_MS) {
      this.cursors.delete(id);
      return undefined;
    }
    cursor.lastUsed = now;
    return cursor.result;
  }

  close(id: string): void {
    this.cursors.delete(id);
  }

  clear(): void {
    this.cursors.clear();
  }

  get size(): number {
    return this.cursors.size;
  }
}

import type { Queryable } from './database.js';

// Where the Streaming API subscription resumes: the replay id of the last event durably queued, per
// channel. Saves only move forward, so a late save of an older event never rewinds the cursor; a
// reset (replay id rejected by Salesforce, org refresh) is explicit.

export interface ReplayCursor {
  channel: string;
  replayId: number;
  updatedAt: Date;
  updatedBy: string | null;
}

interface Row {
  channel: string;
  replay_id: number;
  updated_at: Date;
  updated_by: string | null;
}

const toCursor = (row: Row): ReplayCursor => ({
  channel: row.channel,
  replayId: row.replay_id,
  updatedAt: row.updated_at,
  updatedBy: row.updated_by,
});

export class ReplayCursors {
  constructor(
    private readonly db: Queryable,
    private readonly instanceId: string,
  ) {}

  async load(channel: string): Promise<ReplayCursor | undefined> {
    const { rows } = await this.db.query<Row>('SELECT * FROM bridge.replay_cursors WHERE channel = $1', [
      channel,
    ]);
    return rows[0] && toCursor(rows[0]);
  }

  /** Records that every event up to `replayId` is safely queued. Never moves the cursor back. */
  async save(channel: string, replayId: number): Promise<void> {
    await this.db.query(
      `INSERT INTO bridge.replay_cursors (channel, replay_id, updated_at, updated_by)
       VALUES ($1, $2, now(), $3)
       ON CONFLICT (channel) DO UPDATE
         SET replay_id = EXCLUDED.replay_id, updated_at = now(), updated_by = EXCLUDED.updated_by
         WHERE bridge.replay_cursors.replay_id < EXCLUDED.replay_id`,
      [channel, replayId, this.instanceId],
    );
  }

  /** Forgets the position: the next subscription starts from what the caller decides (e.g. -2). */
  async reset(channel: string): Promise<void> {
    await this.db.query('DELETE FROM bridge.replay_cursors WHERE channel = $1', [channel]);
  }

  async list(): Promise<ReplayCursor[]> {
    const { rows } = await this.db.query<Row>('SELECT * FROM bridge.replay_cursors ORDER BY channel');
    return rows.map(toCursor);
  }
}

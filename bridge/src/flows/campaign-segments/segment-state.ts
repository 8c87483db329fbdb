import type { Queryable } from '../../store/database.js';
import type { Migration } from '../../store/migrations.js';

// What the bridge last wrote to the Responsys segment of each campaign: per member, a hash of its row
// and whether it is active, so a sync sends only what changed and knows who left (Responsys cannot
// list the rows of a supplemental table). Each sync is a numbered run; members not seen in a
// complete run have left the campaign or its selected statuses.

export const segmentStateMigrations: Migration[] = [
  {
    id: '0001_segment_state',
    sql: `
      CREATE TABLE bridge.campaign_segments (
        campaign_id text PRIMARY KEY,
        campaign_name text,
        target text NOT NULL,
        run bigint NOT NULL DEFAULT 0,
        last_started_at timestamptz,
        last_synced_at timestamptz,
        last_result jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE bridge.campaign_segment_members (
        campaign_id text NOT NULL,
        member_id text NOT NULL,
        person_id text,
        row_hash text NOT NULL,
        active boolean NOT NULL,
        seen_run bigint NOT NULL,
        synced_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (campaign_id, member_id)
      );
      CREATE INDEX campaign_segment_members_left ON bridge.campaign_segment_members (campaign_id, seen_run)
        WHERE active;
    `,
  },
];

export interface SegmentSummary {
  campaignId: string;
  campaignName: string | null;
  target: string;
  run: number;
  lastStartedAt: Date | null;
  lastSyncedAt: Date | null;
  lastResult: Record<string, unknown> | null;
}

interface SegmentRow {
  campaign_id: string;
  campaign_name: string | null;
  target: string;
  run: string | number;
  last_started_at: Date | null;
  last_synced_at: Date | null;
  last_result: Record<string, unknown> | null;
}

const toSummary = (row: SegmentRow): SegmentSummary => ({
  campaignId: row.campaign_id,
  campaignName: row.campaign_name,
  target: row.target,
  run: Number(row.run),
  lastStartedAt: row.last_started_at,
  lastSyncedAt: row.last_synced_at,
  lastResult: row.last_result,
});

export interface StoredMember {
  memberId: string;
  rowHash: string;
  active: boolean;
}

export class SegmentState {
  constructor(private readonly db: Queryable) {}

  /**
   * Starts a run for a campaign and returns its number. A campaign whose target changed starts over:
   * every member counts as new for the new target.
   */
  async beginRun(campaignId: string, campaignName: string, target: string): Promise<number> {
    const { rows } = await this.db.query<{ run: string | number; previous_target: string | null }>(
      `WITH previous AS (SELECT target FROM bridge.campaign_segments WHERE campaign_id = $1)
       INSERT INTO bridge.campaign_segments (campaign_id, campaign_name, target, run, last_started_at)
       VALUES ($1, $2, $3, 1, now())
       ON CONFLICT (campaign_id) DO UPDATE SET
         campaign_name = EXCLUDED.campaign_name, target = EXCLUDED.target,
         run = bridge.campaign_segments.run + 1, last_started_at = now()
       RETURNING run, (SELECT target FROM previous) AS previous_target`,
      [campaignId, campaignName, target],
    );
    const row = rows[0]!;
    if (row.previous_target !== null && row.previous_target !== target) {
      await this.db.query('DELETE FROM bridge.campaign_segment_members WHERE campaign_id = $1', [campaignId]);
    }
    return Number(row.run);
  }

  async finishRun(campaignId: string, result: Record<string, unknown>): Promise<void> {
    await this.db.query(
      `UPDATE bridge.campaign_segments SET last_synced_at = now(), last_result = $2::jsonb WHERE campaign_id = $1`,
      [campaignId, JSON.stringify(result)],
    );
  }

  async members(campaignId: string, memberIds: readonly string[]): Promise<Map<string, StoredMember>> {
    if (memberIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ member_id: string; row_hash: string; active: boolean }>(
      `SELECT member_id, row_hash, active FROM bridge.campaign_segment_members
       WHERE campaign_id = $1 AND member_id = ANY($2::text[])`,
      [campaignId, [...memberIds]],
    );
    return new Map(
      rows.map((row) => [
        row.member_id,
        { memberId: row.member_id, rowHash: row.row_hash, active: row.active },
      ]),
    );
  }

  /** Members written as active in this run (inserted or updated). */
  async saveActive(
    campaignId: string,
    run: number,
    members: ReadonlyArray<{ memberId: string; personId: string | null; rowHash: string }>,
  ): Promise<void> {
    if (members.length === 0) return;
    await this.db.query(
      `INSERT INTO bridge.campaign_segment_members (campaign_id, member_id, person_id, row_hash, active, seen_run, synced_at)
       SELECT $1, member_id, person_id, row_hash, true, $2, now()
       FROM jsonb_to_recordset($3::jsonb) AS x(member_id text, person_id text, row_hash text)
       ON CONFLICT (campaign_id, member_id) DO UPDATE SET
         person_id = EXCLUDED.person_id, row_hash = EXCLUDED.row_hash, active = true,
         seen_run = EXCLUDED.seen_run, synced_at = now()`,
      [
        campaignId,
        run,
        JSON.stringify(
          members.map((m) => ({ member_id: m.memberId, person_id: m.personId, row_hash: m.rowHash })),
        ),
      ],
    );
  }

  /** Members seen in this run without a new write (unchanged, or failed and left for the next run). */
  async markSeen(campaignId: string, run: number, memberIds: readonly string[]): Promise<void> {
    if (memberIds.length === 0) return;
    await this.db.query(
      `UPDATE bridge.campaign_segment_members SET seen_run = $2
       WHERE campaign_id = $1 AND member_id = ANY($3::text[])`,
      [campaignId, run, [...memberIds]],
    );
  }

  /** Active members the run did not see: they left. */
  async departed(
    campaignId: string,
    run: number,
    limit: number,
  ): Promise<Array<{ memberId: string; personId: string | null }>> {
    const { rows } = await this.db.query<{ member_id: string; person_id: string | null }>(
      `SELECT member_id, person_id FROM bridge.campaign_segment_members
       WHERE campaign_id = $1 AND active AND seen_run < $2 ORDER BY member_id LIMIT $3`,
      [campaignId, run, limit],
    );
    return rows.map((row) => ({ memberId: row.member_id, personId: row.person_id }));
  }

  async markLeft(
    campaignId: string,
    run: number,
    memberIds: readonly string[],
    how: 'flagged' | 'removed',
  ): Promise<void> {
    if (memberIds.length === 0) return;
    if (how === 'removed') {
      await this.db.query(
        'DELETE FROM bridge.campaign_segment_members WHERE campaign_id = $1 AND member_id = ANY($2::text[])',
        [campaignId, [...memberIds]],
      );
      return;
    }
    await this.db.query(
      `UPDATE bridge.campaign_segment_members SET active = false, seen_run = $2, synced_at = now()
       WHERE campaign_id = $1 AND member_id = ANY($3::text[])`,
      [campaignId, run, [...memberIds]],
    );
  }

  async summary(campaignId: string): Promise<SegmentSummary | undefined> {
    const { rows } = await this.db.query<SegmentRow>(
      'SELECT * FROM bridge.campaign_segments WHERE campaign_id = $1',
      [campaignId],
    );
    return rows[0] ? toSummary(rows[0]) : undefined;
  }

  async list(): Promise<SegmentSummary[]> {
    const { rows } = await this.db.query<SegmentRow>(
      'SELECT * FROM bridge.campaign_segments ORDER BY campaign_id',
    );
    return rows.map(toSummary);
  }

  async counts(campaignId: string): Promise<{ active: number; inactive: number }> {
    const { rows } = await this.db.query<{ active: boolean; n: string | number }>(
      `SELECT active, count(*) AS n FROM bridge.campaign_segment_members WHERE campaign_id = $1 GROUP BY active`,
      [campaignId],
    );
    return {
      active: Number(rows.find((row) => row.active)?.n ?? 0),
      inactive: Number(rows.find((row) => !row.active)?.n ?? 0),
    };
  }
}

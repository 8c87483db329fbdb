import type { Queryable } from '../../store/database.js';

// The bridge's memory of what the status rules did: an action (event + rule) is claimed before its
// Task is created and marked done with what was written, so a retried batch never creates a second
// Task for the same event. A claim left by a crash between the two is checked against Salesforce
// before anything is created again.

export interface ActionClaim {
  eventKey: string;
  ruleName: string;
  leadId: string;
  correlationId: string | null;
}

export interface ClaimedAction extends ActionClaim {
  state: 'claimed' | 'done';
  /** claimed now (false: an earlier attempt claimed it and did not finish) */
  fresh: boolean;
  taskId: string | null;
}

export interface CompletedAction {
  eventKey: string;
  ruleName: string;
  statusFrom?: string | null;
  statusTo?: string | null;
  taskId?: string | null;
  campaignMemberId?: string | null;
  campaignMemberStatus?: string | null;
  note?: string | null;
}

export interface LeadRating {
  leadId: string;
  ratedThrough: Date;
  score: number;
}

export interface RecordedAction {
  eventKey: string;
  ruleName: string;
  leadId: string;
  state: string;
  statusFrom: string | null;
  statusTo: string | null;
  taskId: string | null;
  campaignMemberId: string | null;
  campaignMemberStatus: string | null;
  note: string | null;
  claimedAt: Date;
  doneAt: Date | null;
}

export class LeadStatusActions {
  constructor(private readonly db: Queryable) {}

  /** Claims actions; answers every requested one with its state (done ones must not be repeated). */
  async claim(actions: readonly ActionClaim[]): Promise<Map<string, ClaimedAction>> {
    const result = new Map<string, ClaimedAction>();
    if (actions.length === 0) return result;
    const key = (eventKey: string, ruleName: string) => `${eventKey}\u0000${ruleName}`;
    const { rows: inserted } = await this.db.query<{ event_key: string; rule_name: string }>(
      `INSERT INTO bridge.lead_status_actions (event_key, rule_name, lead_id, state, correlation_id)
       SELECT event_key, rule_name, lead_id, 'claimed', correlation_id
       FROM jsonb_to_recordset($1::jsonb) AS x(event_key text, rule_name text, lead_id text, correlation_id text)
       ON CONFLICT (event_key, rule_name) DO NOTHING
       RETURNING event_key, rule_name`,
      [
        JSON.stringify(
          actions.map((action) => ({
            event_key: action.eventKey,
            rule_name: action.ruleName,
            lead_id: action.leadId,
            correlation_id: action.correlationId,
          })),
        ),
      ],
    );
    const fresh = new Set(inserted.map((row) => key(row.event_key, row.rule_name)));
    const { rows } = await this.db.query<{
      event_key: string;
      rule_name: string;
      lead_id: string;
      state: 'claimed' | 'done';
      task_id: string | null;
      correlation_id: string | null;
    }>(
      `SELECT a.event_key, a.rule_name, a.lead_id, a.state, a.task_id, a.correlation_id
       FROM bridge.lead_status_actions a
       JOIN jsonb_to_recordset($1::jsonb) AS x(event_key text, rule_name text)
         ON a.event_key = x.event_key AND a.rule_name = x.rule_name`,
      [JSON.stringify(actions.map((action) => ({ event_key: action.eventKey, rule_name: action.ruleName })))],
    );
    for (const row of rows) {
      const id = key(row.event_key, row.rule_name);
      result.set(id, {
        eventKey: row.event_key,
        ruleName: row.rule_name,
        leadId: row.lead_id,
        correlationId: row.correlation_id,
        state: row.state,
        fresh: fresh.has(id),
        taskId: row.task_id,
      });
    }
    return result;
  }

  async complete(actions: readonly CompletedAction[]): Promise<void> {
    if (actions.length === 0) return;
    await this.db.query(
      `UPDATE bridge.lead_status_actions a SET state = 'done', done_at = now(),
         status_from = x.status_from, status_to = x.status_to, task_id = COALESCE(x.task_id, a.task_id),
         campaign_member_id = x.campaign_member_id, campaign_member_status = x.campaign_member_status, note = x.note
       FROM jsonb_to_recordset($1::jsonb) AS x(event_key text, rule_name text, status_from text, status_to text,
         task_id text, campaign_member_id text, campaign_member_status text, note text)
       WHERE a.event_key = x.event_key AND a.rule_name = x.rule_name`,
      [
        JSON.stringify(
          actions.map((action) => ({
            event_key: action.eventKey,
            rule_name: action.ruleName,
            status_from: action.statusFrom ?? null,
            status_to: action.statusTo ?? null,
            task_id: action.taskId ?? null,
            campaign_member_id: action.campaignMemberId ?? null,
            campaign_member_status: action.campaignMemberStatus ?? null,
            note: action.note ?? null,
          })),
        ),
      ],
    );
  }

  /** Remembers a Task created before the rest of its action could be completed. */
  async rememberTask(eventKey: string, ruleName: string, taskId: string): Promise<void> {
    await this.db.query(
      'UPDATE bridge.lead_status_actions SET task_id = $3 WHERE event_key = $1 AND rule_name = $2',
      [eventKey, ruleName, taskId],
    );
  }

  async ratings(leadIds: readonly string[]): Promise<Map<string, LeadRating>> {
    const result = new Map<string, LeadRating>();
    if (leadIds.length === 0) return result;
    const { rows } = await this.db.query<{ lead_id: string; rated_through: Date; score: number }>(
      'SELECT lead_id, rated_through, score FROM bridge.lead_status_ratings WHERE lead_id = ANY($1::text[])',
      [[...leadIds]],
    );
    for (const row of rows) {
      result.set(row.lead_id, { leadId: row.lead_id, ratedThrough: row.rated_through, score: row.score });
    }
    return result;
  }

  async saveRatings(ratings: readonly LeadRating[]): Promise<void> {
    if (ratings.length === 0) return;
    await this.db.query(
      `INSERT INTO bridge.lead_status_ratings (lead_id, rated_through, score)
       SELECT lead_id, rated_through, score FROM jsonb_to_recordset($1::jsonb)
         AS x(lead_id text, rated_through timestamptz, score integer)
       ON CONFLICT (lead_id) DO UPDATE SET
         rated_through = GREATEST(bridge.lead_status_ratings.rated_through, EXCLUDED.rated_through),
         score = EXCLUDED.score, updated_at = now()`,
      [
        JSON.stringify(
          ratings.map((rating) => ({
            lead_id: rating.leadId,
            rated_through: rating.ratedThrough.toISOString(),
            score: rating.score,
          })),
        ),
      ],
    );
  }

  async forLead(leadId: string, limit = 50): Promise<RecordedAction[]> {
    const { rows } = await this.db.query<{
      event_key: string;
      rule_name: string;
      lead_id: string;
      state: string;
      status_from: string | null;
      status_to: string | null;
      task_id: string | null;
      campaign_member_id: string | null;
      campaign_member_status: string | null;
      note: string | null;
      claimed_at: Date;
      done_at: Date | null;
    }>('SELECT * FROM bridge.lead_status_actions WHERE lead_id = $1 ORDER BY claimed_at DESC LIMIT $2', [
      leadId,
      limit,
    ]);
    return rows.map((row) => ({
      eventKey: row.event_key,
      ruleName: row.rule_name,
      leadId: row.lead_id,
      state: row.state,
      statusFrom: row.status_from,
      statusTo: row.status_to,
      taskId: row.task_id,
      campaignMemberId: row.campaign_member_id,
      campaignMemberStatus: row.campaign_member_status,
      note: row.note,
      claimedAt: row.claimed_at,
      doneAt: row.done_at,
    }));
  }
}

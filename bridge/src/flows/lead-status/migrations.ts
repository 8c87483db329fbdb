import type { Migration } from '../../store/migrations.js';

// What the status rules did (F5): one row per event and rule, claimed before the Task is created and
// completed with the ids of what was written, so no event ever gets a second Task; and per Lead, how
// far its engagement has been rated.

export const leadStatusMigrations: Migration[] = [
  {
    id: '0001_lead_status_actions',
    sql: `
CREATE TABLE bridge.lead_status_actions (
  event_key text NOT NULL,
  rule_name text NOT NULL,
  lead_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('claimed', 'done')),
  status_from text,
  status_to text,
  task_id text,
  campaign_member_id text,
  campaign_member_status text,
  note text,
  correlation_id text,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  done_at timestamptz,
  PRIMARY KEY (event_key, rule_name)
);
CREATE INDEX lead_status_actions_lead ON bridge.lead_status_actions (lead_id, claimed_at DESC);

CREATE TABLE bridge.lead_status_ratings (
  lead_id text PRIMARY KEY,
  rated_through timestamptz NOT NULL,
  score integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
];

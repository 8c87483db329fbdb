import type { Migration } from '../../store/migrations.js';

// Tables of the engagement flow (F2), in the bridge schema. Events are stored before anything is
// written to Salesforce: a file chunk or a callback batch is committed together with the file's
// reading position, then applied in large batches. The primary key on the event key is what makes a
// replayed file or a redelivered callback a no-op.

export const engagementMigrations: Migration[] = [
  {
    id: '0001_engagement_events',
    sql: `
CREATE TABLE bridge.responsys_events (
  event_key text PRIMARY KEY,
  origin text NOT NULL CHECK (origin IN ('file', 'callback')),
  event_type text NOT NULL,
  riid text,
  customer_id text,
  email text,
  occurred_at timestamptz NOT NULL,
  occurred_at_exact boolean NOT NULL,
  campaign_id text,
  campaign_name text,
  launch_id text,
  offer_name text,
  offer_url text,
  detail text,
  event_source text,
  correlation_id text NOT NULL,
  origin_ref text,
  -- pending: to write; applied: record written; counted: summary only (opens kept as counts);
  -- unmatched: no Lead or Contact yet (retried); failed: Salesforce refused it for good;
  -- merged: a file row folded into the callback record of the same event; superseded: a callback
  -- whose file row came first
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'applied', 'counted', 'unmatched', 'failed', 'merged', 'superseded')),
  paired_key text,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  salesforce_id text,
  object_type text,
  matched_by text,
  error text,
  error_code text,
  summarized_at timestamptz,
  -- opt-outs and opt-ins (F7): pending, applied, held (an opt-in that may not clear an opt-out),
  -- ignored (nothing to change), unmatched
  opt_status text CHECK (opt_status IN ('pending', 'applied', 'held', 'ignored', 'unmatched')),
  opt_reason text,
  received_at timestamptz NOT NULL DEFAULT now(),
  applied_at timestamptz
);
CREATE INDEX responsys_events_due ON bridge.responsys_events (next_attempt_at)
  WHERE status IN ('pending', 'unmatched');
CREATE INDEX responsys_events_riid ON bridge.responsys_events (riid, event_type);
CREATE INDEX responsys_events_salesforce ON bridge.responsys_events (salesforce_id, occurred_at)
  WHERE salesforce_id IS NOT NULL;
CREATE INDEX responsys_events_received ON bridge.responsys_events (received_at);
CREATE INDEX responsys_events_status ON bridge.responsys_events (status, received_at);

-- Launch id -> campaign (the LAUNCH_STATE feed), and campaign id -> name (callbacks carry names).
CREATE TABLE bridge.responsys_launches (
  launch_id text PRIMARY KEY,
  campaign_id text,
  campaign_name text,
  launch_name text,
  salesforce_campaign_id text,
  external_campaign_id text,
  subject text,
  launched_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bridge.responsys_campaigns (
  campaign_id text PRIMARY KEY,
  campaign_name text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Rows and payloads that could not be read: kept for the operator (nothing received is dropped).
CREATE TABLE bridge.responsys_event_rejects (
  id bigserial PRIMARY KEY,
  origin text NOT NULL,
  origin_ref text NOT NULL,
  reason text NOT NULL,
  payload text,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (origin, origin_ref)
);

-- Callback batches by content: a redelivery within the window gets the same event keys.
CREATE TABLE bridge.responsys_callback_batches (
  fingerprint text PRIMARY KEY,
  first_received_at timestamptz NOT NULL,
  last_received_at timestamptz NOT NULL,
  deliveries integer NOT NULL DEFAULT 1
);

-- What the bridge wrote into the summary fields of each Lead and Contact, and the score's state.
CREATE TABLE bridge.engagement_summaries (
  salesforce_id text PRIMARY KEY,
  object_type text NOT NULL,
  score double precision NOT NULL DEFAULT 0,
  score_at timestamptz NOT NULL,
  written_score integer,
  last_opened_at timestamptz,
  last_clicked_at timestamptz,
  event_counts jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX engagement_summaries_score ON bridge.engagement_summaries (updated_at);
`,
  },
];

-- Core tables of the bridge. Everything lives in the "bridge" schema so that a shared database keeps
-- the bridge's tables apart from pg-boss ("pgboss" schema) and anything else.

-- Streaming API position per channel: the replay id of the last event durably queued.
CREATE TABLE bridge.replay_cursors (
  channel text PRIMARY KEY,
  replay_id bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text
);

-- Salesforce record <-> Responsys recipient (RIID), stored after the first successful sync.
-- One Salesforce record has one RIID; one RIID may be linked to several records (a Lead and a Contact).
CREATE TABLE bridge.identity_links (
  salesforce_id text PRIMARY KEY,
  object_type text NOT NULL,
  riid text NOT NULL,
  email_hash text,
  correlation_id text,
  linked_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_links_riid ON bridge.identity_links (riid);
CREATE INDEX identity_links_email_hash ON bridge.identity_links (email_hash);

-- Echo suppression: the hash of the last value the bridge wrote, per direction, record and target
-- (a Salesforce field or a Responsys column). A change that merely brings that value back is an echo.
CREATE TABLE bridge.sync_ledger (
  direction text NOT NULL CHECK (direction IN ('salesforce_to_responsys', 'responsys_to_salesforce')),
  record_key text NOT NULL,
  target text NOT NULL,
  value_hash text NOT NULL,
  written_at timestamptz NOT NULL,
  correlation_id text,
  suppressed_count integer NOT NULL DEFAULT 0,
  last_suppressed_at timestamptz,
  PRIMARY KEY (direction, record_key, target)
);

-- Program entries, for cooldowns and for "never twice for one change". A reservation is pending
-- until the custom event call succeeds (confirmed) or fails (released).
CREATE TABLE bridge.program_enrollments (
  id bigserial PRIMARY KEY,
  recipient_key text NOT NULL,
  program text NOT NULL,
  salesforce_id text,
  riid text,
  change_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'entered')),
  entered_at timestamptz NOT NULL DEFAULT now(),
  correlation_id text
);
CREATE INDEX program_enrollments_recent ON bridge.program_enrollments (recipient_key, program, entered_at DESC);
CREATE UNIQUE INDEX program_enrollments_change ON bridge.program_enrollments (recipient_key, program, change_key);

-- What happened to each record, in words an operator understands. Purged after the retention period.
CREATE TABLE bridge.sync_log (
  id bigserial PRIMARY KEY,
  correlation_id text NOT NULL,
  flow text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('salesforce_to_responsys', 'responsys_to_salesforce')),
  object_type text,
  salesforce_id text,
  riid text,
  email text,
  change_type text,
  outcome text NOT NULL CHECK (outcome IN ('succeeded', 'skipped', 'retrying', 'dead_lettered')),
  reason text,
  error_code text,
  attempt integer,
  occurred_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz NOT NULL DEFAULT now(),
  duration_ms integer,
  details jsonb
);
CREATE INDEX sync_log_salesforce_id ON bridge.sync_log (salesforce_id, finished_at DESC);
CREATE INDEX sync_log_riid ON bridge.sync_log (riid, finished_at DESC);
CREATE INDEX sync_log_email ON bridge.sync_log (lower(email), finished_at DESC);
CREATE INDEX sync_log_correlation ON bridge.sync_log (correlation_id);
CREATE INDEX sync_log_finished_at ON bridge.sync_log (finished_at);

-- Reading progress of inbound files (Responsys event exports), so a crash resumes mid-file and a
-- file is never read twice.
CREATE TABLE bridge.inbound_files (
  source text NOT NULL,
  file_name text NOT NULL,
  file_size bigint,
  lines_done bigint NOT NULL DEFAULT 0,
  byte_offset bigint NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'reading' CHECK (status IN ('reading', 'done', 'failed')),
  error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (source, file_name)
);

-- Records that failed for good, with the reason and the whole payload, until an operator retries or
-- discards them.
CREATE TABLE bridge.dead_letters (
  id bigserial PRIMARY KEY,
  flow text NOT NULL,
  queue text NOT NULL,
  record_key text NOT NULL,
  correlation_id text,
  payload jsonb NOT NULL,
  reason text NOT NULL,
  error_code text,
  attempts integer NOT NULL,
  first_queued_at timestamptz,
  failed_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retried', 'discarded')),
  handled_at timestamptz,
  handled_by text,
  source_job_id text UNIQUE
);
CREATE INDEX dead_letters_open ON bridge.dead_letters (status, flow, failed_at);
CREATE INDEX dead_letters_record ON bridge.dead_letters (record_key);

-- Leadership leases (one holder at a time, e.g. the Streaming API subscription).
CREATE TABLE bridge.leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL,
  renewed_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);

-- Named positions of scheduled work (e.g. the SystemModstamp a reconciliation reached).
CREATE TABLE bridge.watermarks (
  name text PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Bridge processes sharing this database, with a heartbeat, for the status API.
CREATE TABLE bridge.instances (
  instance_id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  version text NOT NULL,
  started_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL
);

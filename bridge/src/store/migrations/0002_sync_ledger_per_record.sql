-- The sync ledger moves from one row per direction, record and field or column to one row per
-- direction and record, the record's fields in a document. A backfill writes the four two-way columns
-- of 100,000 recipients: 100,000 rows instead of 400,000, each with one index entry instead of four,
-- and that work is most of what the bridge's PostgreSQL does during a backfill. An echo check reads a
-- record's ledger by its key either way. The time and correlation id are the record's last write in
-- that direction (the sync log keeps every write with its own).
CREATE TABLE bridge.sync_ledger_records (
  direction text NOT NULL CHECK (direction IN ('salesforce_to_responsys', 'responsys_to_salesforce')),
  record_key text NOT NULL,
  -- target -> hash of the value last written
  written jsonb NOT NULL,
  written_at timestamptz NOT NULL,
  correlation_id text,
  -- target -> [echoes suppressed, last suppressed at (ms since the epoch)]; only targets with echoes
  suppressed jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (direction, record_key)
);

INSERT INTO bridge.sync_ledger_records (direction, record_key, written, written_at, correlation_id, suppressed)
SELECT
  direction,
  record_key,
  jsonb_object_agg(target, value_hash),
  max(written_at),
  (array_agg(correlation_id ORDER BY written_at DESC))[1],
  COALESCE(
    jsonb_object_agg(
      target,
      jsonb_build_array(suppressed_count, floor(extract(epoch FROM last_suppressed_at) * 1000)::bigint)
    ) FILTER (WHERE suppressed_count > 0),
    '{}'::jsonb
  )
FROM bridge.sync_ledger
GROUP BY direction, record_key;

DROP TABLE bridge.sync_ledger;
ALTER TABLE bridge.sync_ledger_records RENAME TO sync_ledger;
ALTER TABLE bridge.sync_ledger RENAME CONSTRAINT sync_ledger_records_pkey TO sync_ledger_pkey;
ALTER TABLE bridge.sync_ledger RENAME CONSTRAINT sync_ledger_records_direction_check TO sync_ledger_direction_check;

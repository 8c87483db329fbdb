import type { Queryable } from '../../store/database.js';
import type { LaunchInfo } from './ced-rows.js';
import { callbackTypes, type EngagementEvent, type EngagementType, type EventOrigin } from './events.js';

// The bridge's record of every engagement event received, from intake to Salesforce. Intake (a file
// chunk with its reading position, a callback batch) runs in one transaction; the apply step reads
// due events in large batches and records what became of each.
//
// Callback and file row of the same event converge here (see events.ts): both intake paths take one
// transaction-scoped advisory lock, so a callback and its file row arriving at the same moment still
// see each other.

export type EventStatus =
  'pending' | 'applied' | 'counted' | 'unmatched' | 'failed' | 'merged' | 'superseded';
export type OptStatus = 'pending' | 'applied' | 'held' | 'ignored' | 'unmatched';

export interface StoredEvent extends EngagementEvent {
  status: EventStatus;
  attempts: number;
  salesforceId: string | null;
  objectType: string | null;
  matchedBy: string | null;
  error: string | null;
  errorCode: string | null;
  summarizedAt: Date | null;
  optStatus: OptStatus | null;
  optReason: string | null;
  pairedKey: string | null;
  receivedAt: Date;
  appliedAt: Date | null;
}

export interface IntakeResult {
  /** events stored for the first time (file rows folded into a callback are not among them) */
  added: EngagementEvent[];
  /** already stored (a replayed file, a redelivered callback) */
  duplicates: number;
  /** file rows that completed the record of their callback: [file key, callback key] */
  merged: Array<[string, string]>;
  /** callbacks whose file row was stored first: dropped */
  superseded: string[];
  /** people with opt-outs/opt-ins to apply now (F7) */
  optRiids: string[];
}

/** A callback is received shortly after the event; its file row comes with the next export. */
const PAIRING_EARLY_MS = 10 * 60_000;
const PAIRING_LATE_MS = 48 * 3_600_000;
const PAIRING_LOCK = 'responsys-bridge.engagement-pairing';

interface Row {
  event_key: string;
  origin: EventOrigin;
  event_type: EngagementType;
  riid: string | null;
  customer_id: string | null;
  email: string | null;
  occurred_at: Date;
  occurred_at_exact: boolean;
  campaign_id: string | null;
  campaign_name: string | null;
  launch_id: string | null;
  offer_name: string | null;
  offer_url: string | null;
  detail: string | null;
  event_source: string | null;
  correlation_id: string;
  origin_ref: string | null;
  status: EventStatus;
  paired_key: string | null;
  attempts: number;
  salesforce_id: string | null;
  object_type: string | null;
  matched_by: string | null;
  error: string | null;
  error_code: string | null;
  summarized_at: Date | null;
  opt_status: OptStatus | null;
  opt_reason: string | null;
  received_at: Date;
  applied_at: Date | null;
}

const toEvent = (row: Row): StoredEvent => ({
  eventKey: row.event_key,
  origin: row.origin,
  type: row.event_type,
  riid: row.riid,
  customerId: row.customer_id,
  email: row.email,
  occurredAt: row.occurred_at,
  occurredAtExact: row.occurred_at_exact,
  campaignId: row.campaign_id,
  campaignName: row.campaign_name,
  launchId: row.launch_id,
  offerName: row.offer_name,
  offerUrl: row.offer_url,
  detail: row.detail,
  source: row.event_source,
  correlationId: row.correlation_id,
  originRef: row.origin_ref ?? '',
  status: row.status,
  pairedKey: row.paired_key,
  attempts: row.attempts,
  salesforceId: row.salesforce_id,
  objectType: row.object_type,
  matchedBy: row.matched_by,
  error: row.error,
  errorCode: row.error_code,
  summarizedAt: row.summarized_at,
  optStatus: row.opt_status,
  optReason: row.opt_reason,
  receivedAt: row.received_at,
  appliedAt: row.applied_at,
});

const isOpt = (type: EngagementType) => type === 'Opted_Out' || type === 'Opted_In';

export interface EventOutcome {
  eventKey: string;
  status: EventStatus;
  salesforceId?: string | null;
  objectType?: string | null;
  matchedBy?: string | null;
  /** the attempt count after this attempt (unchanged when absent) */
  attempts?: number;
  nextAttemptAt?: Date | null;
  error?: string | null;
  errorCode?: string | null;
  summarized?: boolean;
  applied?: boolean;
}

export interface SummaryState {
  salesforceId: string;
  objectType: string;
  score: number;
  scoreAt: Date;
  writtenScore: number | null;
  lastOpenedAt: Date | null;
  lastClickedAt: Date | null;
  eventCounts: Record<string, number>;
}

export interface UnmatchedPerson {
  riid: string | null;
  customerId: string | null;
  email: string | null;
  events: number;
  types: string[];
  firstReceivedAt: Date;
  lastReceivedAt: Date;
  attempts: number;
  nextAttemptAt: Date;
  reason: string | null;
}

export class EngagementEventStore {
  constructor(private readonly db: Queryable) {}

  /**
   * Stores new events (call inside a transaction: the pairing lock is transaction-scoped). Events
   * already stored are left alone; file rows and callbacks of the same event converge.
   */
  async addEvents(events: readonly EngagementEvent[], receivedAt: Date = new Date()): Promise<IntakeResult> {
    const unique = [...new Map(events.map((event) => [event.eventKey, event])).values()];
    const result: IntakeResult = {
      added: [],
      duplicates: events.length - unique.length,
      merged: [],
      superseded: [],
      optRiids: [],
    };
    if (unique.length === 0) return result;
    await this.db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [PAIRING_LOCK]);
    const rows = unique.map((event) => ({
      event_key: event.eventKey,
      origin: event.origin,
      event_type: event.type,
      riid: event.riid,
      customer_id: event.customerId,
      email: event.email,
      occurred_at: event.occurredAt.toISOString(),
      occurred_at_exact: event.occurredAtExact,
      campaign_id: event.campaignId,
      campaign_name: event.campaignName,
      launch_id: event.launchId,
      offer_name: event.offerName,
      offer_url: event.offerUrl,
      detail: event.detail,
      event_source: event.source,
      correlation_id: event.correlationId,
      origin_ref: event.originRef,
      opt_status: isOpt(event.type) ? 'pending' : null,
      received_at: receivedAt.toISOString(),
    }));
    const { rows: inserted } = await this.db.query<{ event_key: string }>(
      `INSERT INTO bridge.responsys_events (event_key, origin, event_type, riid, customer_id, email, occurred_at,
         occurred_at_exact, campaign_id, campaign_name, launch_id, offer_name, offer_url, detail, event_source,
         correlation_id, origin_ref, opt_status, received_at, next_attempt_at)
       SELECT event_key, origin, event_type, riid, customer_id, email, occurred_at, occurred_at_exact, campaign_id,
         campaign_name, launch_id, offer_name, offer_url, detail, event_source, correlation_id, origin_ref, opt_status,
         received_at, received_at
       FROM jsonb_to_recordset($1::jsonb) AS x(event_key text, origin text, event_type text, riid text,
         customer_id text, email text, occurred_at timestamptz, occurred_at_exact boolean, campaign_id text,
         campaign_name text, launch_id text, offer_name text, offer_url text, detail text, event_source text,
         correlation_id text, origin_ref text, opt_status text, received_at timestamptz)
       ON CONFLICT (event_key) DO NOTHING
       RETURNING event_key`,
      [JSON.stringify(rows)],
    );
    const insertedKeys = new Set(inserted.map((row) => row.event_key));
    const added = unique.filter((event) => insertedKeys.has(event.eventKey));
    result.duplicates += unique.length - added.length;

    const fileRows = added.filter((event) => event.origin === 'file' && callbackTypes.has(event.type));
    const callbacks = added.filter((event) => event.origin === 'callback');
    result.merged = await this.foldFileRowsIntoCallbacks(fileRows);
    result.superseded = await this.dropCallbacksOfStoredRows(callbacks);
    const folded = new Set(result.merged.map(([fileKey]) => fileKey));
    const dropped = new Set(result.superseded);
    result.added = added.filter((event) => !folded.has(event.eventKey) && !dropped.has(event.eventKey));

    const optRiids = new Set<string>();
    for (const event of result.added) if (event.riid && isOpt(event.type)) optRiids.add(event.riid);
    for (const [fileKey] of result.merged) {
      const event = added.find((candidate) => candidate.eventKey === fileKey)!;
      if (event.riid && isOpt(event.type)) optRiids.add(event.riid);
    }
    result.optRiids = [...optRiids];
    return result;
  }

  /** File rows whose callback was stored first: the callback's record takes the row's exact data. */
  private async foldFileRowsIntoCallbacks(fileRows: EngagementEvent[]): Promise<Array<[string, string]>> {
    if (fileRows.length === 0) return [];
    const times = fileRows.map((event) => event.occurredAt.getTime());
    const { rows } = await this.db.query<{
      event_key: string;
      event_type: string;
      riid: string;
      campaign_id: string | null;
      detail: string | null;
      received_at: Date;
    }>(
      // an unpaired callback's occurred_at is when it was received (callbacks carry no time)
      `SELECT event_key, event_type, riid, campaign_id, detail, occurred_at AS received_at FROM bridge.responsys_events
       WHERE origin = 'callback' AND paired_key IS NULL AND status <> 'superseded'
         AND riid = ANY($1::text[]) AND event_type = ANY($2::text[])
         AND occurred_at BETWEEN $3 AND $4
       ORDER BY occurred_at, event_key
       FOR UPDATE`,
      [
        [...new Set(fileRows.map((event) => event.riid!))],
        [...new Set(fileRows.map((event) => event.type))],
        new Date(Math.min(...times) - PAIRING_EARLY_MS).toISOString(),
        new Date(Math.max(...times) + PAIRING_LATE_MS).toISOString(),
      ],
    );
    const taken = new Set<string>();
    const pairs: Array<{ file: EngagementEvent; callbackKey: string }> = [];
    for (const file of [...fileRows].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())) {
      const candidates = rows.filter(
        (row) =>
          !taken.has(row.event_key) &&
          row.riid === file.riid &&
          row.event_type === file.type &&
          (row.campaign_id ?? '') === (file.campaignId ?? '') &&
          row.received_at.getTime() >= file.occurredAt.getTime() - PAIRING_EARLY_MS &&
          row.received_at.getTime() <= file.occurredAt.getTime() + PAIRING_LATE_MS,
      );
      // Failures carry their reason both ways: prefer the callback with the same one.
      const match =
        candidates.find((row) => row.detail && file.detail?.startsWith(row.detail)) ?? candidates[0];
      if (!match) continue;
      taken.add(match.event_key);
      pairs.push({ file, callbackKey: match.event_key });
    }
    if (pairs.length === 0) return [];
    await this.db.query(
      `UPDATE bridge.responsys_events e SET
         occurred_at = x.occurred_at, occurred_at_exact = true, launch_id = x.launch_id,
         campaign_id = COALESCE(x.campaign_id, e.campaign_id), customer_id = COALESCE(e.customer_id, x.customer_id),
         email = COALESCE(e.email, x.email), offer_name = x.offer_name, offer_url = x.offer_url,
         detail = COALESCE(x.detail, e.detail), event_source = x.event_source, paired_key = x.file_key,
         -- the record written from the callback is rewritten with the exact data
         status = CASE WHEN e.status IN ('applied', 'counted', 'failed') THEN 'pending' ELSE e.status END,
         attempts = CASE WHEN e.status IN ('applied', 'counted', 'failed') THEN 0 ELSE e.attempts END,
         next_attempt_at = now(),
         opt_status = CASE WHEN e.opt_status = 'held' THEN 'pending' ELSE e.opt_status END
       FROM jsonb_to_recordset($1::jsonb) AS x(callback_key text, file_key text, occurred_at timestamptz,
         launch_id text, campaign_id text, customer_id text, email text, offer_name text, offer_url text,
         detail text, event_source text)
       WHERE e.event_key = x.callback_key`,
      [
        JSON.stringify(
          pairs.map(({ file, callbackKey }) => ({
            callback_key: callbackKey,
            file_key: file.eventKey,
            occurred_at: file.occurredAt.toISOString(),
            launch_id: file.launchId,
            campaign_id: file.campaignId,
            customer_id: file.customerId,
            email: file.email,
            offer_name: file.offerName,
            offer_url: file.offerUrl,
            detail: file.detail,
            event_source: file.source,
          })),
        ),
      ],
    );
    await this.db.query(
      `UPDATE bridge.responsys_events e SET status = 'merged', paired_key = x.callback_key, opt_status = NULL
       FROM jsonb_to_recordset($1::jsonb) AS x(file_key text, callback_key text)
       WHERE e.event_key = x.file_key`,
      [
        JSON.stringify(
          pairs.map(({ file, callbackKey }) => ({ file_key: file.eventKey, callback_key: callbackKey })),
        ),
      ],
    );
    // An opt-in held because only its callback dated the person's opt-out is decided again, now that
    // the opt-out's file row has given the exact time (the recipient is queued for it: see optRiids).
    const exactOptOuts = pairs.filter(({ file }) => file.type === 'Opted_Out').map(({ file }) => file.riid);
    if (exactOptOuts.length > 0) {
      await this.db.query(
        `UPDATE bridge.responsys_events SET opt_status = 'pending'
         WHERE riid = ANY($1::text[]) AND event_type = 'Opted_In' AND opt_status = 'held'`,
        [exactOptOuts],
      );
    }
    return pairs.map(({ file, callbackKey }) => [file.eventKey, callbackKey]);
  }

  /** Callbacks of events whose file row is already stored: nothing more to write. */
  private async dropCallbacksOfStoredRows(callbacks: EngagementEvent[]): Promise<string[]> {
    if (callbacks.length === 0) return [];
    const times = callbacks.map((event) => event.occurredAt.getTime());
    const { rows } = await this.db.query<{
      event_key: string;
      event_type: string;
      riid: string;
      campaign_id: string | null;
      detail: string | null;
      occurred_at: Date;
    }>(
      `SELECT event_key, event_type, riid, campaign_id, detail, occurred_at FROM bridge.responsys_events
       WHERE origin = 'file' AND paired_key IS NULL AND status <> 'merged'
         AND riid = ANY($1::text[]) AND event_type = ANY($2::text[])
         AND occurred_at BETWEEN $3 AND $4
       ORDER BY occurred_at, event_key
       FOR UPDATE`,
      [
        [...new Set(callbacks.map((event) => event.riid!))],
        [...new Set(callbacks.map((event) => event.type))],
        new Date(Math.min(...times) - PAIRING_LATE_MS).toISOString(),
        new Date(Math.max(...times) + PAIRING_EARLY_MS).toISOString(),
      ],
    );
    const taken = new Set<string>();
    const pairs: Array<{ callbackKey: string; fileKey: string }> = [];
    for (const callback of callbacks) {
      const receivedAt = callback.occurredAt.getTime();
      const candidates = rows.filter(
        (row) =>
          !taken.has(row.event_key) &&
          row.riid === callback.riid &&
          row.event_type === callback.type &&
          (row.campaign_id ?? '') === (callback.campaignId ?? '') &&
          receivedAt >= row.occurred_at.getTime() - PAIRING_EARLY_MS &&
          receivedAt <= row.occurred_at.getTime() + PAIRING_LATE_MS,
      );
      const match =
        candidates.find((row) => callback.detail && row.detail?.startsWith(callback.detail)) ?? candidates[0];
      if (!match) continue;
      taken.add(match.event_key);
      pairs.push({ callbackKey: callback.eventKey, fileKey: match.event_key });
    }
    if (pairs.length === 0) return [];
    const payload = JSON.stringify(
      pairs.map((pair) => ({ callback_key: pair.callbackKey, file_key: pair.fileKey })),
    );
    await this.db.query(
      `UPDATE bridge.responsys_events e SET status = 'superseded', paired_key = x.file_key, opt_status = NULL
       FROM jsonb_to_recordset($1::jsonb) AS x(callback_key text, file_key text) WHERE e.event_key = x.callback_key`,
      [payload],
    );
    await this.db.query(
      `UPDATE bridge.responsys_events e SET paired_key = x.callback_key
       FROM jsonb_to_recordset($1::jsonb) AS x(callback_key text, file_key text) WHERE e.event_key = x.file_key`,
      [payload],
    );
    return pairs.map((pair) => pair.callbackKey);
  }

  /**
   * When a callback batch with this content was first received, counting this delivery. A batch seen
   * again within `windowMs` is a redelivery (same first time, hence the same keys).
   */
  async callbackBatchReceipt(
    fingerprint: string,
    now: Date,
    windowMs: number,
  ): Promise<{ firstReceivedAt: Date; redelivery: boolean }> {
    const { rows } = await this.db.query<{ first_received_at: Date; deliveries: number }>(
      `INSERT INTO bridge.responsys_callback_batches (fingerprint, first_received_at, last_received_at)
       VALUES ($1, $2, $2)
       ON CONFLICT (fingerprint) DO UPDATE SET
         first_received_at = CASE WHEN bridge.responsys_callback_batches.last_received_at < $2::timestamptz - $3 * interval '1 millisecond'
           THEN $2 ELSE bridge.responsys_callback_batches.first_received_at END,
         deliveries = CASE WHEN bridge.responsys_callback_batches.last_received_at < $2::timestamptz - $3 * interval '1 millisecond'
           THEN 1 ELSE bridge.responsys_callback_batches.deliveries + 1 END,
         last_received_at = $2
       RETURNING first_received_at, deliveries`,
      [fingerprint, now.toISOString(), windowMs],
    );
    return { firstReceivedAt: rows[0]!.first_received_at, redelivery: rows[0]!.deliveries > 1 };
  }

  async upsertLaunches(launches: readonly LaunchInfo[]): Promise<void> {
    const unique = [...new Map(launches.map((launch) => [launch.launchId, launch])).values()];
    if (unique.length === 0) return;
    await this.db.query(
      `INSERT INTO bridge.responsys_launches (launch_id, campaign_id, campaign_name, launch_name,
         salesforce_campaign_id, external_campaign_id, subject, launched_at)
       SELECT launch_id, campaign_id, campaign_name, launch_name, salesforce_campaign_id, external_campaign_id,
         subject, launched_at
       FROM jsonb_to_recordset($1::jsonb) AS x(launch_id text, campaign_id text, campaign_name text,
         launch_name text, salesforce_campaign_id text, external_campaign_id text, subject text, launched_at timestamptz)
       ON CONFLICT (launch_id) DO UPDATE SET
         campaign_id = COALESCE(EXCLUDED.campaign_id, bridge.responsys_launches.campaign_id),
         campaign_name = COALESCE(EXCLUDED.campaign_name, bridge.responsys_launches.campaign_name),
         launch_name = COALESCE(EXCLUDED.launch_name, bridge.responsys_launches.launch_name),
         salesforce_campaign_id = COALESCE(EXCLUDED.salesforce_campaign_id, bridge.responsys_launches.salesforce_campaign_id),
         external_campaign_id = COALESCE(EXCLUDED.external_campaign_id, bridge.responsys_launches.external_campaign_id),
         subject = COALESCE(EXCLUDED.subject, bridge.responsys_launches.subject),
         launched_at = COALESCE(bridge.responsys_launches.launched_at, EXCLUDED.launched_at),
         updated_at = now()`,
      [
        JSON.stringify(
          unique.map((launch) => ({
            launch_id: launch.launchId,
            campaign_id: launch.campaignId,
            campaign_name: launch.campaignName,
            launch_name: launch.launchName,
            salesforce_campaign_id: launch.salesforceCampaignId,
            external_campaign_id: launch.externalCampaignId,
            subject: launch.subject,
            launched_at: launch.launchedAt?.toISOString() ?? null,
          })),
        ),
      ],
    );
    const named = unique.filter((launch) => launch.campaignId && launch.campaignName);
    await this.rememberCampaignNames(named.map((launch) => [launch.campaignId!, launch.campaignName!]));
  }

  async rememberCampaignNames(pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
    const unique = [...new Map(pairs.filter(([id, name]) => id && name)).entries()];
    if (unique.length === 0) return;
    await this.db.query(
      `INSERT INTO bridge.responsys_campaigns (campaign_id, campaign_name)
       SELECT campaign_id, campaign_name FROM jsonb_to_recordset($1::jsonb) AS x(campaign_id text, campaign_name text)
       ON CONFLICT (campaign_id) DO UPDATE SET campaign_name = EXCLUDED.campaign_name, updated_at = now()`,
      [JSON.stringify(unique.map(([campaign_id, campaign_name]) => ({ campaign_id, campaign_name })))],
    );
  }

  /** Campaign name and Salesforce campaign by launch id, and names by campaign id. */
  async campaignsFor(
    launchIds: readonly string[],
    campaignIds: readonly string[],
  ): Promise<{
    launches: Map<
      string,
      { campaignName: string | null; campaignId: string | null; salesforceCampaignId: string | null }
    >;
    names: Map<string, string>;
  }> {
    const launches = new Map<
      string,
      { campaignName: string | null; campaignId: string | null; salesforceCampaignId: string | null }
    >();
    const names = new Map<string, string>();
    if (launchIds.length > 0) {
      const { rows } = await this.db.query<{
        launch_id: string;
        campaign_name: string | null;
        campaign_id: string | null;
        salesforce_campaign_id: string | null;
      }>(
        'SELECT launch_id, campaign_name, campaign_id, salesforce_campaign_id FROM bridge.responsys_launches WHERE launch_id = ANY($1::text[])',
        [[...new Set(launchIds)]],
      );
      for (const row of rows) {
        launches.set(row.launch_id, {
          campaignName: row.campaign_name,
          campaignId: row.campaign_id,
          salesforceCampaignId: row.salesforce_campaign_id,
        });
      }
    }
    if (campaignIds.length > 0) {
      const { rows } = await this.db.query<{ campaign_id: string; campaign_name: string }>(
        'SELECT campaign_id, campaign_name FROM bridge.responsys_campaigns WHERE campaign_id = ANY($1::text[])',
        [[...new Set(campaignIds)]],
      );
      for (const row of rows) names.set(row.campaign_id, row.campaign_name);
    }
    return { launches, names };
  }

  /** Keeps what could not be read (a malformed row or payload), once per place it came from. */
  async reject(
    rejects: ReadonlyArray<{ origin: string; originRef: string; reason: string; payload?: string | null }>,
  ): Promise<number> {
    if (rejects.length === 0) return 0;
    const { rowCount } = await this.db.query(
      `INSERT INTO bridge.responsys_event_rejects (origin, origin_ref, reason, payload)
       SELECT origin, origin_ref, reason, payload FROM jsonb_to_recordset($1::jsonb)
         AS x(origin text, origin_ref text, reason text, payload text)
       ON CONFLICT (origin, origin_ref) DO NOTHING`,
      [
        JSON.stringify(
          rejects.map((reject) => ({
            origin: reject.origin,
            origin_ref: reject.originRef,
            reason: reject.reason.slice(0, 2000),
            payload: reject.payload?.slice(0, 20_000) ?? null,
          })),
        ),
      ],
    );
    return rowCount;
  }

  async rejects(limit = 100): Promise<
    Array<{
      id: number;
      origin: string;
      originRef: string;
      reason: string;
      payload: string | null;
      receivedAt: Date;
    }>
  > {
    const { rows } = await this.db.query<{
      id: string;
      origin: string;
      origin_ref: string;
      reason: string;
      payload: string | null;
      received_at: Date;
    }>('SELECT * FROM bridge.responsys_event_rejects ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map((row) => ({
      id: Number(row.id),
      origin: row.origin,
      originRef: row.origin_ref,
      reason: row.reason,
      payload: row.payload,
      receivedAt: row.received_at,
    }));
  }

  // ---------------------------------------------------------------- apply

  /** Events due to be written (new ones, retries whose time has come, unmatched ones to try again). */
  async due(limit: number, now: Date): Promise<StoredEvent[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.responsys_events
       WHERE status IN ('pending', 'unmatched') AND next_attempt_at <= $1
       ORDER BY next_attempt_at, received_at, event_key
       LIMIT $2`,
      [now.toISOString(), limit],
    );
    return rows.map(toEvent);
  }

  async byKeys(keys: readonly string[]): Promise<StoredEvent[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      'SELECT * FROM bridge.responsys_events WHERE event_key = ANY($1::text[]) ORDER BY occurred_at, event_key',
      [[...new Set(keys)]],
    );
    return rows.map(toEvent);
  }

  async forRiids(riids: readonly string[], types?: readonly EngagementType[]): Promise<StoredEvent[]> {
    if (riids.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.responsys_events WHERE riid = ANY($1::text[])
         AND ($2::text[] IS NULL OR event_type = ANY($2::text[]))
         AND status NOT IN ('merged', 'superseded')
       ORDER BY occurred_at, event_key`,
      [[...new Set(riids)], types ? [...types] : null],
    );
    return rows.map(toEvent);
  }

  async forSalesforceIds(ids: readonly string[], types?: readonly EngagementType[]): Promise<StoredEvent[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.responsys_events WHERE salesforce_id = ANY($1::text[])
         AND ($2::text[] IS NULL OR event_type = ANY($2::text[]))
         AND status IN ('applied', 'counted')
       ORDER BY occurred_at, event_key`,
      [[...new Set(ids)], types ? [...types] : null],
    );
    return rows.map(toEvent);
  }

  /** Records what became of each event. */
  async recordOutcomes(outcomes: readonly EventOutcome[], now: Date): Promise<void> {
    if (outcomes.length === 0) return;
    await this.db.query(
      `UPDATE bridge.responsys_events e SET
         status = x.status,
         salesforce_id = COALESCE(x.salesforce_id, e.salesforce_id),
         object_type = COALESCE(x.object_type, e.object_type),
         matched_by = COALESCE(x.matched_by, e.matched_by),
         attempts = COALESCE(x.attempts, e.attempts),
         next_attempt_at = COALESCE(x.next_attempt_at, e.next_attempt_at),
         error = x.error, error_code = x.error_code,
         summarized_at = CASE WHEN x.summarized THEN COALESCE(e.summarized_at, $2::timestamptz) ELSE e.summarized_at END,
         applied_at = CASE WHEN x.applied THEN $2::timestamptz ELSE e.applied_at END
       FROM jsonb_to_recordset($1::jsonb) AS x(event_key text, status text, salesforce_id text, object_type text,
         matched_by text, attempts integer, next_attempt_at timestamptz, error text, error_code text,
         summarized boolean, applied boolean)
       WHERE e.event_key = x.event_key`,
      [
        JSON.stringify(
          outcomes.map((outcome) => ({
            event_key: outcome.eventKey,
            status: outcome.status,
            salesforce_id: outcome.salesforceId ?? null,
            object_type: outcome.objectType ?? null,
            matched_by: outcome.matchedBy ?? null,
            attempts: outcome.attempts ?? null,
            next_attempt_at: outcome.nextAttemptAt?.toISOString() ?? null,
            error: outcome.error?.slice(0, 2000) ?? null,
            error_code: outcome.errorCode ?? null,
            summarized: outcome.summarized ?? false,
            applied: outcome.applied ?? false,
          })),
        ),
        now.toISOString(),
      ],
    );
  }

  async setOptStatus(
    updates: ReadonlyArray<{ eventKey: string; status: OptStatus; reason?: string | null }>,
  ): Promise<void> {
    if (updates.length === 0) return;
    await this.db.query(
      `UPDATE bridge.responsys_events e SET opt_status = x.status, opt_reason = x.reason
       FROM jsonb_to_recordset($1::jsonb) AS x(event_key text, status text, reason text) WHERE e.event_key = x.event_key`,
      [
        JSON.stringify(
          updates.map((update) => ({
            event_key: update.eventKey,
            status: update.status,
            reason: update.reason ?? null,
          })),
        ),
      ],
    );
  }

  /** Unmatched events due now again (an operator asked, or a match may have appeared). */
  async retryUnmatched(filter: { riid?: string; email?: string } = {}): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE bridge.responsys_events SET next_attempt_at = now()
       WHERE status = 'unmatched' AND ($1::text IS NULL OR riid = $1) AND ($2::text IS NULL OR lower(email) = lower($2))`,
      [filter.riid ?? null, filter.email ?? null],
    );
    return rowCount;
  }

  /** Failed events queued again (an operator fixed what Salesforce refused). */
  async retryFailed(): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE bridge.responsys_events SET status = 'pending', attempts = 0, next_attempt_at = now(), error = NULL, error_code = NULL
       WHERE status = 'failed'`,
    );
    return rowCount;
  }

  // ---------------------------------------------------------------- summaries

  async summaries(ids: readonly string[]): Promise<Map<string, SummaryState>> {
    const result = new Map<string, SummaryState>();
    if (ids.length === 0) return result;
    const { rows } = await this.db.query<{
      salesforce_id: string;
      object_type: string;
      score: number;
      score_at: Date;
      written_score: number | null;
      last_opened_at: Date | null;
      last_clicked_at: Date | null;
      event_counts: Record<string, number>;
    }>('SELECT * FROM bridge.engagement_summaries WHERE salesforce_id = ANY($1::text[])', [
      [...new Set(ids)],
    ]);
    for (const row of rows) {
      result.set(row.salesforce_id, {
        salesforceId: row.salesforce_id,
        objectType: row.object_type,
        score: Number(row.score),
        scoreAt: row.score_at,
        writtenScore: row.written_score,
        lastOpenedAt: row.last_opened_at,
        lastClickedAt: row.last_clicked_at,
        eventCounts: row.event_counts ?? {},
      });
    }
    return result;
  }

  /** The latest open and click among the events written for each record. */
  async latestEngagement(
    ids: readonly string[],
  ): Promise<Map<string, { lastOpenedAt: Date | null; lastClickedAt: Date | null }>> {
    const result = new Map<string, { lastOpenedAt: Date | null; lastClickedAt: Date | null }>();
    if (ids.length === 0) return result;
    const { rows } = await this.db.query<{
      salesforce_id: string;
      opened: Date | null;
      clicked: Date | null;
    }>(
      `SELECT salesforce_id,
         max(occurred_at) FILTER (WHERE event_type = 'Opened') AS opened,
         max(occurred_at) FILTER (WHERE event_type = 'Clicked') AS clicked
       FROM bridge.responsys_events
       WHERE salesforce_id = ANY($1::text[]) AND status IN ('applied', 'counted') AND event_type IN ('Opened', 'Clicked')
       GROUP BY salesforce_id`,
      [[...new Set(ids)]],
    );
    for (const row of rows)
      result.set(row.salesforce_id, { lastOpenedAt: row.opened, lastClickedAt: row.clicked });
    return result;
  }

  async saveSummaries(summaries: readonly SummaryState[]): Promise<void> {
    if (summaries.length === 0) return;
    await this.db.query(
      `INSERT INTO bridge.engagement_summaries (salesforce_id, object_type, score, score_at, written_score,
         last_opened_at, last_clicked_at, event_counts, updated_at)
       SELECT salesforce_id, object_type, score, score_at, written_score, last_opened_at, last_clicked_at, event_counts, now()
       FROM jsonb_to_recordset($1::jsonb) AS x(salesforce_id text, object_type text, score double precision,
         score_at timestamptz, written_score integer, last_opened_at timestamptz, last_clicked_at timestamptz,
         event_counts jsonb)
       ON CONFLICT (salesforce_id) DO UPDATE SET object_type = EXCLUDED.object_type, score = EXCLUDED.score,
         score_at = EXCLUDED.score_at, written_score = EXCLUDED.written_score, last_opened_at = EXCLUDED.last_opened_at,
         last_clicked_at = EXCLUDED.last_clicked_at, event_counts = EXCLUDED.event_counts, updated_at = now()`,
      [
        JSON.stringify(
          summaries.map((summary) => ({
            salesforce_id: summary.salesforceId,
            object_type: summary.objectType,
            score: summary.score,
            score_at: summary.scoreAt.toISOString(),
            written_score: summary.writtenScore,
            last_opened_at: summary.lastOpenedAt?.toISOString() ?? null,
            last_clicked_at: summary.lastClickedAt?.toISOString() ?? null,
            event_counts: summary.eventCounts,
          })),
        ),
      ],
    );
  }

  /** Summaries whose written score may have decayed by a point or more since (for the score refresh). */
  async summariesPage(afterId: string | null, limit: number): Promise<SummaryState[]> {
    const { rows } = await this.db.query<{ salesforce_id: string }>(
      `SELECT salesforce_id FROM bridge.engagement_summaries
       WHERE ($1::text IS NULL OR salesforce_id > $1) AND written_score > 0
       ORDER BY salesforce_id LIMIT $2`,
      [afterId, limit],
    );
    return [...(await this.summaries(rows.map((row) => row.salesforce_id))).values()].sort((a, b) =>
      a.salesforceId.localeCompare(b.salesforceId),
    );
  }

  // ---------------------------------------------------------------- reporting and housekeeping

  async statusCounts(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; count: string }>(
      'SELECT status, count(*) AS count FROM bridge.responsys_events GROUP BY status',
    );
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  }

  /** Who the unmatched events are about, one line per person, most recent first. */
  async unmatchedPeople(limit = 100): Promise<UnmatchedPerson[]> {
    const { rows } = await this.db.query<{
      riid: string | null;
      customer_id: string | null;
      email: string | null;
      events: string;
      types: string[];
      first_received_at: Date;
      last_received_at: Date;
      attempts: number;
      next_attempt_at: Date;
      reason: string | null;
    }>(
      `SELECT riid, max(customer_id) AS customer_id, max(email) AS email, count(*) AS events,
         array_agg(DISTINCT event_type ORDER BY event_type) AS types, min(received_at) AS first_received_at,
         max(received_at) AS last_received_at, max(attempts) AS attempts, min(next_attempt_at) AS next_attempt_at,
         max(error) AS reason
       FROM bridge.responsys_events WHERE status = 'unmatched'
       GROUP BY riid ORDER BY max(received_at) DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      riid: row.riid,
      customerId: row.customer_id,
      email: row.email,
      events: Number(row.events),
      types: row.types,
      firstReceivedAt: row.first_received_at,
      lastReceivedAt: row.last_received_at,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      reason: row.reason,
    }));
  }

  async failedEvents(limit = 100): Promise<StoredEvent[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT * FROM bridge.responsys_events WHERE status = 'failed' ORDER BY received_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toEvent);
  }

  /** Forgets events received before `cutoff` (their Salesforce records are purged separately). */
  async purgeReceivedBefore(cutoff: Date, chunk = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.db.query(
        `DELETE FROM bridge.responsys_events WHERE event_key IN (
           SELECT event_key FROM bridge.responsys_events
           WHERE received_at < $1 AND status NOT IN ('pending') LIMIT $2)`,
        [cutoff.toISOString(), chunk],
      );
      total += rowCount;
      if (rowCount < chunk) break;
    }
    await this.db.query('DELETE FROM bridge.responsys_event_rejects WHERE received_at < $1', [
      cutoff.toISOString(),
    ]);
    await this.db.query('DELETE FROM bridge.responsys_callback_batches WHERE last_received_at < $1', [
      cutoff.toISOString(),
    ]);
    return total;
  }
}

import type { RecordChangeInput } from '../queue/record-change.js';
import type { EnqueueResult } from '../queue/work-queue.js';
import type { Logger } from '../shared/logger.js';
import type { Queryable } from '../store/database.js';
import type { Store } from '../store/store.js';
import type { SalesforceClient } from './client.js';
import { ApiReserveReachedError } from './errors.js';
import { soqlObject, soqlString, type SObjectRecord } from './soql.js';

// The task `reconcile-salesforce-changes`: a safety net under the Streaming API. It re-reads the
// records whose SystemModstamp moved since a watermark and queues them as changes, so anything the
// stream missed (a replay id past retention, an event the bus refused, a rename of a parent record)
// is synced anyway. It runs on a schedule (SALESFORCE_RECONCILE_SCHEDULE) and right after a replay
// reset, from the time of the last event the bridge queued.
//
// The default covers Leads and Contacts; flows add objects (Opportunity, CampaignMember) with
// `objects` and decide how a record becomes a change with `toChange`. Changes made by the
// integration user are left out: they are the bridge's own writes (RIID, sync status).

export const RECONCILE_TASK = 'reconcile-salesforce-changes';

/** What the task accepts (POST /api/v1/tasks/reconcile-salesforce-changes/run {"data": ...}). */
export interface ReconcileSalesforceChangesInput {
  /** ISO time to re-read from, instead of the watermark (the watermark still moves forward) */
  since?: string;
  /** object API names (default: every configured object) */
  objects?: string[];
  /** why it runs, for the logs: schedule, replay_id_invalid, operator */
  reason?: string;
}

export interface ReconciledObjectResult {
  from: string | null;
  to: string | null;
  queued: number;
  pages: number;
  /** the first run only sets the watermark (the stream covers what happens after it) */
  initialized?: boolean;
}

export interface ReconcileSalesforceChangesResult {
  reason: string;
  objects: Record<string, ReconciledObjectResult>;
  /** set when the API reserve was reached: the next run continues from the watermark */
  paused?: string;
}

export interface ReconciledObject {
  objectType: string;
  /** an extra SOQL condition */
  where?: string;
  /** a record (Id, SystemModstamp, IsDeleted, LastModifiedById) as a change; undefined skips it */
  toChange?: (record: SObjectRecord) => RecordChangeInput | undefined;
}

export interface ReconcilerOptions {
  client: SalesforceClient;
  store: Store;
  dispatch: (changes: readonly RecordChangeInput[], options: { tx: Queryable }) => Promise<EnqueueResult>;
  logger: Logger;
  objects?: ReconciledObject[];
  /** records per page (REST query batch size) */
  pageSize?: number;
}

export const DEFAULT_RECONCILED_OBJECTS: ReconciledObject[] = [
  { objectType: 'Lead' },
  { objectType: 'Contact' },
];

/** How far before the last event the re-read starts: a change commits shortly before its event. */
const EVENT_MARGIN_MS = 60_000;

export function reconcileWatermark(objectType: string): string {
  return `${RECONCILE_TASK}:${objectType}`;
}

export class SalesforceChangeReconciler {
  private readonly objects: ReconciledObject[];

  constructor(private readonly options: ReconcilerOptions) {
    this.objects = options.objects ?? DEFAULT_RECONCILED_OBJECTS;
  }

  async run(
    input: ReconcileSalesforceChangesInput = {},
    signal?: AbortSignal,
  ): Promise<ReconcileSalesforceChangesResult> {
    const { client, logger } = this.options;
    const reason = input.reason ?? 'schedule';
    const wanted = input.objects?.map((name) => name.toLowerCase());
    const objects = this.objects.filter(
      (object) => !wanted || wanted.includes(object.objectType.toLowerCase()),
    );
    const result: ReconcileSalesforceChangesResult = { reason, objects: {} };
    const session = await client.connect();
    for (const object of objects) {
      if (signal?.aborted) break;
      try {
        result.objects[object.objectType] = await this.reconcileObject(object, input, session.userId, signal);
      } catch (error) {
        if (error instanceof ApiReserveReachedError) {
          result.paused = error.message;
          logger.warn({ objectType: object.objectType }, `reconciliation paused: ${error.message}`);
          break;
        }
        throw error;
      }
    }
    const queued = Object.values(result.objects).reduce((sum, entry) => sum + entry.queued, 0);
    logger.info(
      { reason, objects: result.objects, paused: result.paused },
      `reconciliation queued ${queued} change(s)`,
    );
    return result;
  }

  private async reconcileObject(
    object: ReconciledObject,
    input: ReconcileSalesforceChangesInput,
    integrationUserId: string,
    signal?: AbortSignal,
  ): Promise<ReconciledObjectResult> {
    const { client, store, logger } = this.options;
    const watermarkName = reconcileWatermark(object.objectType);
    const stored = parseCursor(await store.watermarks.get(watermarkName));
    const explicit =
      input.since && !Number.isNaN(Date.parse(input.since)) ? new Date(input.since) : undefined;
    if (!explicit && !stored) {
      const now = client.clock.now().toISOString();
      await store.watermarks.set(watermarkName, formatCursor({ at: now, ids: [] }));
      logger.info({ objectType: object.objectType, watermark: now }, 'reconciliation watermark initialised');
      return { from: null, to: now, queued: 0, pages: 0, initialized: true };
    }
    const from = explicit ? new Date(explicit.getTime() - EVENT_MARGIN_MS) : new Date(stored!.at);
    // Records of the watermark's last second that were already queued are not queued again.
    const alreadyQueued = new Set(explicit ? [] : (stored?.ids ?? []));
    const conditions = [
      `SystemModstamp >= ${soqlDateTime(from)}`,
      ...(integrationUserId ? [`LastModifiedById != ${soqlString(integrationUserId)}`] : []),
      ...(object.where ? [`(${object.where})`] : []),
    ];
    const soql =
      `SELECT Id, SystemModstamp, IsDeleted, LastModifiedById FROM ${soqlObject(object.objectType)} ` +
      `WHERE ${conditions.join(' AND ')} ORDER BY SystemModstamp, Id`;
    let queued = 0;
    let pages = 0;
    let cursor: ReconcileCursor | undefined = stored;
    for await (const page of client.queryPages(soql, {
      includeDeleted: true,
      batchSize: this.options.pageSize ?? 2000,
      priority: 'background',
    })) {
      pages += 1;
      const fresh = page.filter((record) => !alreadyQueued.has(record.Id));
      const changes = fresh
        .map((record) => (object.toChange ?? defaultChange(object.objectType))(record))
        .filter((change): change is RecordChangeInput => change !== undefined);
      const next = advanceCursor(cursor, page);
      const dispatched = await store.transaction(async (repos, tx) => {
        const outcome = await this.options.dispatch(changes, { tx });
        if (next) await repos.watermarks.set(watermarkName, formatCursor(next));
        return outcome;
      });
      cursor = next ?? cursor;
      queued += dispatched.queued;
      if (signal?.aborted) break;
    }
    return { from: from.toISOString(), to: cursor?.at ?? null, queued, pages };
  }
}

/** Where a reconciliation stopped: the last second it covered and the records it saw in that second. */
interface ReconcileCursor {
  at: string;
  ids: string[];
}

const MAX_BOUNDARY_IDS = 5000;

function parseCursor(value: string | undefined): ReconcileCursor | undefined {
  if (!value) return undefined;
  if (value.startsWith('{')) {
    try {
      const parsed = JSON.parse(value) as Partial<ReconcileCursor>;
      if (typeof parsed.at === 'string') return { at: parsed.at, ids: parsed.ids ?? [] };
    } catch {
      return undefined;
    }
  }
  return Number.isNaN(Date.parse(value)) ? undefined : { at: value, ids: [] };
}

function formatCursor(cursor: ReconcileCursor): string {
  return JSON.stringify(cursor);
}

/** Moves the cursor to the page's last second, remembering the ids seen in that second. */
function advanceCursor(
  cursor: ReconcileCursor | undefined,
  page: SObjectRecord[],
): ReconcileCursor | undefined {
  const last = page.at(-1)?.SystemModstamp;
  if (typeof last !== 'string') return undefined;
  const second = `${new Date(last).toISOString().slice(0, 19)}Z`;
  if (cursor && Date.parse(second) < Date.parse(cursor.at)) return undefined;
  const inSecond = page
    .filter((record) => typeof record.SystemModstamp === 'string' && record.SystemModstamp.length > 0)
    .filter((record) => `${new Date(record.SystemModstamp as string).toISOString().slice(0, 19)}Z` === second)
    .map((record) => record.Id);
  const carried = cursor && cursor.at === second ? cursor.ids : [];
  return { at: second, ids: [...new Set([...carried, ...inSecond])].slice(-MAX_BOUNDARY_IDS) };
}

function defaultChange(objectType: string) {
  return (record: SObjectRecord): RecordChangeInput => ({
    objectType,
    recordId: record.Id,
    changeType: record.IsDeleted === true ? 'DELETE' : 'UPDATE',
    changedFields: [],
    occurredAt:
      typeof record.SystemModstamp === 'string' ? new Date(record.SystemModstamp).toISOString() : undefined,
    source: 'reconciliation',
  });
}

/** A SOQL datetime literal (whole seconds, UTC); flooring keeps a `>=` comparison inclusive. */
export function soqlDateTime(value: Date): string {
  return `${value.toISOString().slice(0, 19)}Z`;
}

import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { AccountState } from '../store/accountState.js';
import { cedFeeds, type CedDelimiter, type CedFeed, type CedOptions } from '../options.js';
import { cedTimestamp, fileTimestamp, parseRestTimestamp } from '../account/time.js';
import type { EngagementEvent, EngagementType } from './events.js';

// Contact Event Data export files, written the way a Connect export job writes them: one file per feed
// per run named `<accountID>_<FEED>_<YYYYMMDD>_<HH24MISS>.txt`, an optional header row, the chosen
// delimiter, UTC timestamps as `DD-MON-YYYY HH24:MI:SS`, and optional `.ready` markers. Files appear
// only when a test (or the optional timer) runs an export, never behind its back.

const commonColumns = [
  'EVENT_TYPE_ID',
  'ACCOUNT_ID',
  'LIST_ID',
  'RIID',
  'CUSTOMER_ID',
  'EVENT_CAPTURED_DT',
  'EVENT_STORED_DT',
  'CAMPAIGN_ID',
  'LAUNCH_ID',
];
const browserColumns = ['USER_AGENT_STRING', 'OPERATING_SYSTEM', 'BROWSER', 'BROWSER_TYPE'];
const sendColumns = [
  'EMAIL',
  'EMAIL_ISP',
  'EMAIL_FORMAT',
  'OFFER_SIGNATURE_ID',
  'DYNAMIC_CONTENT_SIGNATURE_ID',
  'MESSAGE_SIZE',
  'SEGMENT_INFO',
  'CONTACT_INFO',
];

/** The documented columns of each feed, in order. */
export const feedColumns: Record<CedFeed, string[]> = {
  SENT: [...commonColumns, ...sendColumns],
  OPEN: [...commonColumns, 'EMAIL_FORMAT', ...browserColumns],
  CLICK: [
    ...commonColumns,
    'EMAIL_FORMAT',
    'OFFER_NAME',
    'OFFER_NUMBER',
    'OFFER_CATEGORY',
    'OFFER_URL',
    ...browserColumns,
  ],
  CONVERT: [
    ...commonColumns,
    'SOURCE',
    'EMAIL_FORMAT',
    'OFFER_NAME',
    'OFFER_NUMBER',
    'OFFER_CATEGORY',
    'OFFER_URL',
    'ORDER_ID',
    'ORDER_TOTAL',
    'ORDER_QUANTITY',
    ...browserColumns,
  ],
  BOUNCE: [
    ...commonColumns,
    'EMAIL',
    'EMAIL_FORMAT',
    'BOUNCE_TYPE',
    'REASON',
    'REASON_CODE',
    'SUBJECT',
    'CONTACT_INFO',
  ],
  SKIPPED: [...commonColumns, ...sendColumns, 'REASON'],
  FAIL: [...commonColumns, ...sendColumns, 'REASON'],
  COMPLAINT: [
    ...commonColumns,
    'EMAIL_FORMAT',
    'REASON',
    'EMAIL',
    'EMAIL_ISP',
    'COMPLAINER_EMAIL',
    'SPAM_TYPE',
    'CONTACT_INFO',
    'COMPLAINT_DT',
  ],
  OPT_OUT: [...commonColumns, 'EMAIL_FORMAT', 'SOURCE', 'REASON', 'EMAIL', 'CONTACT_INFO'],
  OPT_IN: [...commonColumns, 'EMAIL_FORMAT', 'SOURCE', 'REASON', 'EMAIL'],
  LAUNCH_STATE: [
    'ACCOUNT_ID',
    'LIST_ID',
    'EVENT_CAPTURED_DT',
    'EVENT_STORED_DT',
    'CAMPAIGN_ID',
    'LAUNCH_ID',
    'EXTERNAL_CAMPAIGN_ID',
    'SF_CAMPAIGN_ID',
    'CAMPAIGN_NAME',
    'LAUNCH_NAME',
    'LAUNCH_STATUS',
    'LAUNCH_TYPE',
    'LAUNCH_CHARSET',
    'PURPOSE',
    'SUBJECT',
    'DESCRIPTION',
    'PRODUCT_CATEGORY',
    'PRODUCT_TYPE',
    'MARKETING_STRATEGY',
    'MARKETING_PROGRAM',
    'LAUNCH_ERROR_CODE',
    'LAUNCH_STARTED_DT',
    'LAUNCH_COMPLETED_DT',
  ],
};

export const feedByType: Record<EngagementType, Exclude<CedFeed, 'LAUNCH_STATE'>> = {
  sent: 'SENT',
  opened: 'OPEN',
  clicked: 'CLICK',
  converted: 'CONVERT',
  bounced: 'BOUNCE',
  skipped: 'SKIPPED',
  failed: 'FAIL',
  complained: 'COMPLAINT',
  opted_out: 'OPT_OUT',
  opted_in: 'OPT_IN',
};

/** Sent 1, Bounced 2, Opened 4, Clicked 5, Opt-out 7, Converted 19, Opt-in 21 (vendor mapping); the rest chosen. */
export const defaultEventTypeIds: Record<Exclude<CedFeed, 'LAUNCH_STATE'>, number> = {
  SENT: 1,
  BOUNCE: 2,
  FAIL: 3,
  OPEN: 4,
  CLICK: 5,
  COMPLAINT: 6,
  OPT_OUT: 7,
  SKIPPED: 16,
  CONVERT: 19,
  OPT_IN: 21,
};

export interface ExportedFile {
  name: string;
  path: string;
  /** A CED feed, or `PROFILE_LIST` for the profile-list export. */
  feed: CedFeed | 'PROFILE_LIST';
  listName?: string;
  rows: number;
  readyFile?: string;
}

export interface ExportRequest {
  /** Only these feeds (default all). */
  feeds?: CedFeed[];
  /** Include the profile-list export (default: the `ced.profileListExport` option, true). */
  profileLists?: boolean;
}

type Row = Record<string, string | number | null>;

interface ResolvedCedOptions {
  delimiter: CedDelimiter;
  header: boolean;
  quoteAll: boolean;
  readyFiles: boolean;
  emptyFeeds: boolean;
  profileListExport: boolean;
  eventTypeIds: Record<Exclude<CedFeed, 'LAUNCH_STATE'>, number>;
  customerIdInBounce: boolean;
}

export function resolveCedOptions(options: CedOptions = {}): ResolvedCedOptions {
  return {
    delimiter: options.delimiter ?? ',',
    header: options.header ?? true,
    quoteAll: options.quoteAll ?? false,
    readyFiles: options.readyFiles ?? false,
    emptyFeeds: options.emptyFeeds ?? false,
    profileListExport: options.profileListExport ?? true,
    eventTypeIds: { ...defaultEventTypeIds, ...options.eventTypeIds },
    customerIdInBounce: options.customerIdInBounce ?? false,
  };
}

/** Line breaks inside values become spaces, as Connect does. */
function clean(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[\r\n]+/g, ' ');
}

export class CedExporter {
  private lastFileSecond = 0;
  private readonly launchesExported = new Set<number>();
  private running: Promise<ExportedFile[]> = Promise.resolve([]);

  constructor(
    private readonly dir: string,
    private readonly options: ResolvedCedOptions,
    private readonly now: () => number,
    private readonly getAccount: () => AccountState,
    private readonly getEvents: () => EngagementEvent[],
  ) {}

  get delimiter(): CedDelimiter {
    return this.options.delimiter;
  }

  reset(): void {
    this.launchesExported.clear();
    this.lastFileSecond = 0;
  }

  /** Runs an export; concurrent calls queue behind each other so files never interleave. */
  exportNow(request: ExportRequest = {}): Promise<ExportedFile[]> {
    const run = this.running.then(() => this.runExport(request));
    this.running = run.catch(() => []);
    return run;
  }

  private async runExport(request: ExportRequest): Promise<ExportedFile[]> {
    await mkdir(this.dir, { recursive: true });
    // One timestamp per run; a second already used (by this run or a file on disk) moves it on, so
    // two quick runs never overwrite each other.
    const existing = await readdir(this.dir);
    let second = Math.max(Math.floor(this.now() / 1000), this.lastFileSecond + 1);
    while (existing.some((name) => name.endsWith(`_${fileTimestamp(second * 1000)}.txt`))) second += 1;
    this.lastFileSecond = second;
    const stamp = fileTimestamp(second * 1000);
    const account = this.getAccount();
    const feeds = new Set(request.feeds ?? cedFeeds);
    const pending = this.getEvents().filter((e) => !e.exported && feeds.has(feedByType[e.type]));
    const written: ExportedFile[] = [];

    const launchRows = feeds.has('LAUNCH_STATE') ? this.launchRows(pending, account) : [];
    if (launchRows.length > 0 || (this.options.emptyFeeds && feeds.has('LAUNCH_STATE'))) {
      written.push(await this.writeFeed('LAUNCH_STATE', launchRows, stamp, account.accountId));
    }
    for (const feed of cedFeeds) {
      if (feed === 'LAUNCH_STATE' || !feeds.has(feed)) continue;
      const events = pending
        .filter((e) => feedByType[e.type] === feed)
        .sort((a, b) => a.occurredAt - b.occurredAt);
      if (events.length === 0 && !this.options.emptyFeeds) continue;
      const rows = events.map((e) => this.eventRow(feed, e, account));
      written.push(await this.writeFeed(feed, rows, stamp, account.accountId));
    }
    for (const event of pending) event.exported = true;

    if (request.profileLists ?? this.options.profileListExport) {
      for (const list of account.lists.values()) {
        if (list.changedSinceExport.size === 0) continue;
        const riids = [...list.changedSinceExport].sort((a, b) => a - b);
        const columns = list.fields.map((f) => f.fieldName);
        const timestampColumns = new Set(
          list.fields.filter((f) => f.fieldType === 'TIMESTAMP').map((f) => f.fieldName),
        );
        const rows: Row[] = [];
        for (const riid of riids) {
          const member = list.members.get(riid);
          if (!member) continue;
          const row: Row = {};
          for (const column of columns) {
            const value = member[column] ?? null;
            row[column] =
              value !== null &&
              timestampColumns.has(column) &&
              /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.0$/.test(value)
                ? cedTimestamp(parseRestTimestamp(value))
                : value;
          }
          rows.push(row);
        }
        list.changedSinceExport.clear();
        const name = `${account.accountId}_PROFILE_LIST_${list.name}_${stamp}.txt`;
        written.push({
          ...(await this.writeFile(name, columns, rows)),
          feed: 'PROFILE_LIST',
          listName: list.name,
        });
      }
    }
    return written;
  }

  private async writeFeed(
    feed: CedFeed,
    rows: Row[],
    stamp: string,
    accountId: string,
  ): Promise<ExportedFile> {
    const name = `${accountId}_${feed}_${stamp}.txt`;
    return { ...(await this.writeFile(name, feedColumns[feed], rows)), feed };
  }

  private async writeFile(
    name: string,
    columns: string[],
    rows: Row[],
  ): Promise<{ name: string; path: string; rows: number; readyFile?: string }> {
    const records = rows.map((row) => columns.map((c) => clean(row[c])));
    if (this.options.header) records.unshift(columns);
    const text = stringify(records, {
      delimiter: this.options.delimiter,
      quoted: this.options.quoteAll,
      record_delimiter: 'unix',
    });
    const path = join(this.dir, name);
    // Write under a hidden name and rename, so an SFTP reader never sees half a file.
    const partial = join(this.dir, `.${name}.part`);
    await writeFile(partial, text, 'utf8');
    await rename(partial, path);
    const result: { name: string; path: string; rows: number; readyFile?: string } = {
      name,
      path,
      rows: rows.length,
    };
    if (this.options.readyFiles) {
      const readyFile = name.replace(/\.txt$/, '.ready');
      await writeFile(join(this.dir, readyFile), '', 'utf8');
      result.readyFile = readyFile;
    }
    return result;
  }

  private launchRows(events: EngagementEvent[], account: AccountState): Row[] {
    // A launch appears once, in the first run that exports one of its events.
    const firstSeen = new Map<number, { event: EngagementEvent; startedAt: number }>();
    for (const event of events) {
      const launchId = event.campaign?.launchId;
      if (launchId === undefined || this.launchesExported.has(launchId)) continue;
      const seen = firstSeen.get(launchId);
      if (!seen || event.occurredAt < seen.startedAt)
        firstSeen.set(launchId, { event, startedAt: event.occurredAt });
    }
    const rows: Row[] = [];
    for (const [launchId, { event, startedAt }] of firstSeen) {
      this.launchesExported.add(launchId);
      const ref = event.campaign!;
      const campaign = account.campaignById(ref.campaignId);
      rows.push({
        ACCOUNT_ID: account.accountId,
        LIST_ID: event.listId,
        EVENT_CAPTURED_DT: cedTimestamp(startedAt),
        EVENT_STORED_DT: cedTimestamp(startedAt),
        CAMPAIGN_ID: ref.campaignId,
        LAUNCH_ID: launchId,
        EXTERNAL_CAMPAIGN_ID: campaign?.externalCampaignId ?? '',
        SF_CAMPAIGN_ID: campaign?.salesforceCampaignId ?? '',
        CAMPAIGN_NAME: ref.campaignName,
        LAUNCH_NAME: `${ref.campaignName} launch ${launchId}`,
        LAUNCH_STATUS: 'C',
        LAUNCH_TYPE: 'P',
        LAUNCH_CHARSET: 'UTF-8',
        PURPOSE: campaign?.purpose ?? '',
        SUBJECT: campaign?.subject ?? '',
        DESCRIPTION: '',
        PRODUCT_CATEGORY: '',
        PRODUCT_TYPE: '',
        MARKETING_STRATEGY: '',
        MARKETING_PROGRAM: '',
        LAUNCH_ERROR_CODE: '',
        LAUNCH_STARTED_DT: cedTimestamp(startedAt),
        LAUNCH_COMPLETED_DT: cedTimestamp(startedAt),
      });
    }
    return rows;
  }

  private eventRow(feed: Exclude<CedFeed, 'LAUNCH_STATE'>, e: EngagementEvent, account: AccountState): Row {
    const customerId = feed === 'BOUNCE' && !this.options.customerIdInBounce ? null : e.customerId;
    const row: Row = {
      EVENT_TYPE_ID: this.options.eventTypeIds[feed],
      ACCOUNT_ID: account.accountId,
      LIST_ID: e.listId,
      RIID: e.riid,
      CUSTOMER_ID: customerId,
      EVENT_CAPTURED_DT: cedTimestamp(e.occurredAt),
      EVENT_STORED_DT: cedTimestamp(e.storedAt),
      CAMPAIGN_ID: e.campaign?.campaignId ?? null,
      LAUNCH_ID: e.campaign?.launchId ?? null,
      EMAIL: e.email,
      EMAIL_ISP: e.email ? (account.lists.get(e.listName)?.members.get(e.riid)?.EMAIL_ISP_ ?? null) : null,
      EMAIL_FORMAT: e.emailFormat,
      OFFER_SIGNATURE_ID: null,
      DYNAMIC_CONTENT_SIGNATURE_ID: null,
      MESSAGE_SIZE: feed === 'SENT' ? 18_432 : null,
      SEGMENT_INFO: null,
      CONTACT_INFO: null,
      REASON: e.reason,
      SOURCE: e.source,
    };
    if (e.link) {
      row.OFFER_NAME = e.link.name;
      row.OFFER_NUMBER = e.link.number;
      row.OFFER_CATEGORY = e.link.category;
      row.OFFER_URL = e.link.url;
    }
    if (e.userAgent) {
      row.USER_AGENT_STRING = e.userAgent;
      row.OPERATING_SYSTEM = /Windows/.test(e.userAgent)
        ? 'Windows'
        : /Mac OS/.test(e.userAgent)
          ? 'Mac OS'
          : 'Other';
      row.BROWSER = /Chrome/.test(e.userAgent) ? 'Chrome' : /Firefox/.test(e.userAgent) ? 'Firefox' : 'Other';
      row.BROWSER_TYPE = 'Browser';
    }
    if (e.order) {
      row.ORDER_ID = e.order.id;
      row.ORDER_TOTAL = e.order.total;
      row.ORDER_QUANTITY = e.order.quantity;
    }
    if (e.bounce) {
      row.BOUNCE_TYPE = e.bounce.type;
      row.REASON = e.bounce.reason;
      row.REASON_CODE = e.bounce.reasonCode;
      row.SUBJECT = e.campaign ? (account.campaignById(e.campaign.campaignId)?.subject ?? '') : '';
    }
    if (feed === 'COMPLAINT') {
      row.COMPLAINER_EMAIL = e.complainerEmail ?? e.email;
      row.SPAM_TYPE = e.spamType;
      row.COMPLAINT_DT = cedTimestamp(e.occurredAt);
    }
    return row;
  }
}

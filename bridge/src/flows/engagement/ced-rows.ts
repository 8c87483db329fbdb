import { randomUUID } from 'node:crypto';
import { parseConnectTimestamp, type FileRow } from '../../responsys/files/index.js';
import { fileEventKey, typeOfFeed, type EngagementEvent, type EngagementType } from './events.js';

// A Contact Event Data row (read by header name) as an engagement event, a launch (the LAUNCH_STATE
// feed maps LAUNCH_ID to the campaign name), or a rejected row with the reason. Responsys writes
// empty cells for values it does not have; they become null.

export interface LaunchInfo {
  launchId: string;
  campaignId: string | null;
  campaignName: string | null;
  launchName: string | null;
  /** the Salesforce Campaign the Responsys campaign is tied to (SF_CAMPAIGN_ID), when set */
  salesforceCampaignId: string | null;
  externalCampaignId: string | null;
  subject: string | null;
  launchedAt: Date | null;
}

export type CedRow =
  | { kind: 'event'; event: EngagementEvent }
  | { kind: 'launch'; launch: LaunchInfo }
  | { kind: 'rejected'; reason: string };

const cell = (row: FileRow, column: string): string | null => {
  const value = row.values[column];
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
};

const join = (...parts: Array<string | null>): string | null => {
  const present = parts.filter((part): part is string => part !== null);
  return present.length > 0 ? present.join(' ') : null;
};

/** The Detail__c of an event: what a rep needs to read about it (the timeline shows it as is). */
function detailOf(type: EngagementType, row: FileRow): string | null {
  switch (type) {
    case 'Bounced': {
      // "USER_NOT_FOUND: 550 5.1.1 ..." is how the timeline expects it (reason code, then the server's words)
      const reason = cell(row, 'REASON');
      const code = cell(row, 'REASON_CODE');
      const kind = cell(row, 'BOUNCE_TYPE');
      const base = reason && code ? `${reason}: ${code}` : (reason ?? code);
      const label = kind === 'H' ? 'hard bounce' : kind === 'S' ? 'soft bounce' : null;
      return base && label ? `${base} (${label})` : (base ?? label);
    }
    case 'Skipped':
    case 'Failed':
      return cell(row, 'REASON');
    case 'Complained': {
      const spamType = cell(row, 'SPAM_TYPE');
      return join(cell(row, 'REASON'), spamType ? `(${spamType})` : null);
    }
    case 'Converted': {
      const order = cell(row, 'ORDER_ID');
      const total = cell(row, 'ORDER_TOTAL');
      const quantity = cell(row, 'ORDER_QUANTITY');
      const extras = [total ? `total ${total}` : null, quantity ? `quantity ${quantity}` : null].filter(
        (part): part is string => part !== null,
      );
      return join(order, extras.length > 0 ? `(${extras.join(', ')})` : null);
    }
    case 'Opted_Out':
    case 'Opted_In': {
      const source = cell(row, 'SOURCE');
      return join(cell(row, 'REASON'), source ? `(source ${source})` : null);
    }
    default:
      return null;
  }
}

/** What tells two events of one person at the same second apart, per type. */
function distinguishing(type: EngagementType, row: FileRow): Array<string | null> {
  switch (type) {
    case 'Clicked':
      return [cell(row, 'OFFER_URL'), cell(row, 'OFFER_NUMBER')];
    case 'Converted':
      return [cell(row, 'ORDER_ID'), cell(row, 'OFFER_URL')];
    case 'Bounced':
      return [cell(row, 'BOUNCE_TYPE'), cell(row, 'REASON')];
    case 'Skipped':
    case 'Failed':
    case 'Complained':
      return [cell(row, 'REASON')];
    case 'Opted_Out':
    case 'Opted_In':
      return [cell(row, 'SOURCE')];
    default:
      return [];
  }
}

export interface CedRowContext {
  /** the feed, from the file name */
  feed: string;
  fileName: string;
  /** the correlation id of the person's journey, when the bridge knows one (identity link) */
  correlationIdFor?(riid: string): string | undefined;
}

export function readCedRow(row: FileRow, context: CedRowContext): CedRow {
  if (row.problem) return { kind: 'rejected', reason: row.problem };
  try {
    if (context.feed === 'LAUNCH_STATE') {
      const launchId = cell(row, 'LAUNCH_ID');
      if (!launchId) return { kind: 'rejected', reason: 'LAUNCH_ID is empty' };
      return {
        kind: 'launch',
        launch: {
          launchId,
          campaignId: cell(row, 'CAMPAIGN_ID'),
          campaignName: cell(row, 'CAMPAIGN_NAME'),
          launchName: cell(row, 'LAUNCH_NAME'),
          salesforceCampaignId: cell(row, 'SF_CAMPAIGN_ID'),
          externalCampaignId: cell(row, 'EXTERNAL_CAMPAIGN_ID'),
          subject: cell(row, 'SUBJECT'),
          launchedAt:
            parseConnectTimestamp(cell(row, 'LAUNCH_STARTED_DT') ?? '') ??
            parseConnectTimestamp(cell(row, 'EVENT_CAPTURED_DT') ?? '') ??
            null,
        },
      };
    }
    const type = typeOfFeed[context.feed];
    if (!type) return { kind: 'rejected', reason: `${context.feed} is not an email engagement feed` };
    const riid = cell(row, 'RIID');
    if (!riid) return { kind: 'rejected', reason: 'RIID is empty' };
    if (!/^\d+$/.test(riid)) return { kind: 'rejected', reason: `RIID "${riid}" is not a number` };
    const occurredAt = parseConnectTimestamp(cell(row, 'EVENT_CAPTURED_DT') ?? '');
    if (!occurredAt) return { kind: 'rejected', reason: 'EVENT_CAPTURED_DT is empty' };
    const launchId = cell(row, 'LAUNCH_ID');
    const event: EngagementEvent = {
      eventKey: fileEventKey({
        feed: context.feed,
        accountId: cell(row, 'ACCOUNT_ID'),
        riid,
        launchId,
        occurredAt,
        distinguishing: distinguishing(type, row),
      }),
      origin: 'file',
      type,
      riid,
      customerId: cell(row, 'CUSTOMER_ID'),
      email: cell(row, 'EMAIL'),
      occurredAt,
      occurredAtExact: true,
      campaignId: cell(row, 'CAMPAIGN_ID'),
      campaignName: null,
      launchId,
      offerName: type === 'Clicked' || type === 'Converted' ? cell(row, 'OFFER_NAME') : null,
      offerUrl: type === 'Clicked' || type === 'Converted' ? cell(row, 'OFFER_URL') : null,
      detail: detailOf(type, row),
      source: cell(row, 'SOURCE')?.toUpperCase() ?? null,
      correlationId: context.correlationIdFor?.(riid) ?? randomUUID(),
      originRef: `${context.fileName}:${row.line}`,
    };
    return { kind: 'event', event };
  } catch (error) {
    return { kind: 'rejected', reason: (error as Error).message };
  }
}

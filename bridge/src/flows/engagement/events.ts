import { createHash } from 'node:crypto';

// One email engagement event from Responsys, whichever way it came (a Contact Event Data file row or
// an Event Notification callback), as it is stored by the bridge and written to Salesforce as a
// Responsys_Engagement__c record.
//
// Event_Key__c (the external id the record is upserted on) is deterministic:
// - a file row: a hash of feed, account, RIID, launch, the capture time and what distinguishes two
//   events of one person at the same second (link, order, bounce reason, opt source). Reading the same
//   file twice, or the same row in two files, gives the same key.
// - a callback carries no event id and no time: its key is a hash of the delivered batch's content, when
//   that content was first received, and the payload's place in the batch. A redelivered batch gives the
//   same keys; the same content a long time later is a new event.
// A callback and the file row for the same event cannot share a key (the callback lacks the time, the
// launch and the link), so they converge instead: when the file row arrives, it is paired with the
// unpaired callback of the same type, person and campaign received around its time, and takes over
// that callback's key (its exact time, launch and link replace the callback's); a callback arriving
// after its file row is recognised the same way and dropped. See event-store.ts.

export const engagementTypes = [
  'Sent',
  'Opened',
  'Clicked',
  'Converted',
  'Bounced',
  'Skipped',
  'Failed',
  'Complained',
  'Opted_Out',
  'Opted_In',
] as const;
export type EngagementType = (typeof engagementTypes)[number];

export type EventOrigin = 'file' | 'callback';

/** The Contact Event Data feed of each type (and back). */
export const feedOfType: Record<EngagementType, string> = {
  Sent: 'SENT',
  Opened: 'OPEN',
  Clicked: 'CLICK',
  Converted: 'CONVERT',
  Bounced: 'BOUNCE',
  Skipped: 'SKIPPED',
  Failed: 'FAIL',
  Complained: 'COMPLAINT',
  Opted_Out: 'OPT_OUT',
  Opted_In: 'OPT_IN',
};

export const typeOfFeed: Record<string, EngagementType> = Object.fromEntries(
  Object.entries(feedOfType).map(([type, feed]) => [feed, type as EngagementType]),
);

/** Event Notification types (in `failureType`) and the engagement they are; there is no open, send or conversion. */
export const typeOfNotification: Record<string, EngagementType> = {
  EMAIL_BOUNCED: 'Bounced',
  EMAIL_CLICKED: 'Clicked',
  EMAIL_COMPLAINT: 'Complained',
  EMAIL_FAILED: 'Failed',
  EMAIL_OPTIN: 'Opted_In',
  EMAIL_OPTOUT: 'Opted_Out',
  EMAIL_SKIPPED: 'Skipped',
};

/** Types a callback can carry: only these can pair with a file row. */
export const callbackTypes = new Set<EngagementType>(Object.values(typeOfNotification));

export interface EngagementEvent {
  eventKey: string;
  origin: EventOrigin;
  type: EngagementType;
  riid: string | null;
  customerId: string | null;
  email: string | null;
  /** file: EVENT_CAPTURED_DT; callback: when the bridge received it (callbacks carry no time) */
  occurredAt: Date;
  occurredAtExact: boolean;
  campaignId: string | null;
  campaignName: string | null;
  launchId: string | null;
  offerName: string | null;
  offerUrl: string | null;
  /** bounce reason, order, opt-out reason... (Detail__c) */
  detail: string | null;
  /** the SOURCE column of CONVERT, OPT_OUT and OPT_IN rows (LINK, FORM, API, ...) */
  source: string | null;
  correlationId: string;
  /** where it came from: `<file>:<line>` or `callback <batch>#<index>` */
  originRef: string;
}

/** Field lengths of Responsys_Engagement__c (DESIGN.md section 3). */
export const FIELD_LENGTHS = {
  Campaign_Name__c: 255,
  Responsys_Campaign_Id__c: 30,
  Launch_Id__c: 30,
  Offer_Name__c: 255,
  Offer_Url__c: 2000,
  Detail__c: 255,
  Event_Key__c: 100,
  Correlation_Id__c: 64,
} as const;

export function truncate(value: string | null | undefined, length: number): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  return trimmed.length > length ? `${trimmed.slice(0, length - 1)}…` : trimmed;
}

const hash = (parts: ReadonlyArray<string | null | undefined>): string =>
  createHash('sha256')
    .update(parts.map((part) => part ?? '').join('\u001f'))
    .digest('hex')
    .slice(0, 40);

export interface FileEventIdentity {
  feed: string;
  accountId: string | null;
  riid: string;
  launchId: string | null;
  occurredAt: Date;
  /** what tells two events of one person in the same second apart (link, order, reason, source) */
  distinguishing: ReadonlyArray<string | null>;
}

/** `F` + 40 hex characters: the same for the same row however often it is read. */
export function fileEventKey(identity: FileEventIdentity): string {
  return `F${hash([
    identity.feed,
    identity.accountId,
    identity.riid,
    identity.launchId,
    identity.occurredAt.toISOString(),
    ...identity.distinguishing,
  ])}`;
}

/** `C` + 40 hex characters: the same for a redelivered batch (same content, same first receipt). */
export function callbackEventKey(batchFingerprint: string, firstReceivedAt: Date, index: number): string {
  return `C${hash([batchFingerprint, firstReceivedAt.toISOString(), String(index)])}`;
}

/** A stable fingerprint of a callback batch's content (key order and whitespace do not matter). */
export function payloadFingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

import { parseConnectFileName, type RemoteFile } from '../../responsys/files/index.js';

// The Contact Event Data feeds this flow reads, and their documented column order (used only for
// files exported without a header row; files with a header are read by column name).

const common = [
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
const browser = ['USER_AGENT_STRING', 'OPERATING_SYSTEM', 'BROWSER', 'BROWSER_TYPE'];
const send = [
  'EMAIL',
  'EMAIL_ISP',
  'EMAIL_FORMAT',
  'OFFER_SIGNATURE_ID',
  'DYNAMIC_CONTENT_SIGNATURE_ID',
  'MESSAGE_SIZE',
  'SEGMENT_INFO',
  'CONTACT_INFO',
];

export const documentedFeedColumns: Record<string, readonly string[]> = {
  SENT: [...common, ...send],
  OPEN: [...common, 'EMAIL_FORMAT', ...browser],
  CLICK: [...common, 'EMAIL_FORMAT', 'OFFER_NAME', 'OFFER_NUMBER', 'OFFER_CATEGORY', 'OFFER_URL', ...browser],
  CONVERT: [
    ...common,
    'SOURCE',
    'EMAIL_FORMAT',
    'OFFER_NAME',
    'OFFER_NUMBER',
    'OFFER_CATEGORY',
    'OFFER_URL',
    'ORDER_ID',
    'ORDER_TOTAL',
    'ORDER_QUANTITY',
    ...browser,
  ],
  BOUNCE: [
    ...common,
    'EMAIL',
    'EMAIL_FORMAT',
    'BOUNCE_TYPE',
    'REASON',
    'REASON_CODE',
    'SUBJECT',
    'CONTACT_INFO',
  ],
  SKIPPED: [...common, ...send, 'REASON'],
  FAIL: [...common, ...send, 'REASON'],
  COMPLAINT: [
    ...common,
    'EMAIL_FORMAT',
    'REASON',
    'EMAIL',
    'EMAIL_ISP',
    'COMPLAINER_EMAIL',
    'SPAM_TYPE',
    'CONTACT_INFO',
    'COMPLAINT_DT',
  ],
  OPT_OUT: [...common, 'EMAIL_FORMAT', 'SOURCE', 'REASON', 'EMAIL', 'CONTACT_INFO'],
  OPT_IN: [...common, 'EMAIL_FORMAT', 'SOURCE', 'REASON', 'EMAIL'],
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

/** The email feed of a Contact Event Data file, or undefined for files this flow does not read. */
export function engagementFeedOf(file: Pick<RemoteFile, 'name'>): string | undefined {
  const parsed = parseConnectFileName(file.name);
  if (!parsed || parsed.extension !== 'txt') return undefined;
  return documentedFeedColumns[parsed.feed] ? parsed.feed : undefined;
}

/**
 * Export time, then LAUNCH_STATE before the feeds of the same export (so campaign names are known
 * when the events of a new launch are written), then name.
 */
export function engagementFileOrder(a: RemoteFile, b: RemoteFile): number {
  const pa = parseConnectFileName(a.name);
  const pb = parseConnectFileName(b.name);
  const ta = pa?.exportedAt.getTime() ?? a.modifiedAt.getTime();
  const tb = pb?.exportedAt.getTime() ?? b.modifiedAt.getTime();
  if (ta !== tb) return ta - tb;
  const la = pa?.feed === 'LAUNCH_STATE' ? 0 : 1;
  const lb = pb?.feed === 'LAUNCH_STATE' ? 0 : 1;
  return la - lb || a.name.localeCompare(b.name);
}

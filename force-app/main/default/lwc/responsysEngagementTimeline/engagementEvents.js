/**
 * How each engagement event reads on the timeline: its icon, its label, and the one detail a rep
 * cares about (the clicked link, the bounce reason, the order).
 */
import { formatExact, formatRelative, formatTimeOfDay, toDate } from 'c/responsysDates';

const STANDARD_SPRITE = '/_slds/icons/standard-sprite/svg/symbols.svg';

/** Filters of the contract (ResponsysEngagementController.getEngagement), in the order reps see them. */
export const FILTERS = [
  { value: 'all', label: 'All', emptyTitle: 'No email activity yet' },
  { value: 'opens', label: 'Opens', emptyTitle: 'No opens yet' },
  { value: 'clicks', label: 'Clicks', emptyTitle: 'No clicks yet' },
  { value: 'bounces', label: 'Bounces', emptyTitle: 'No bounces' },
  { value: 'conversions', label: 'Conversions', emptyTitle: 'No conversions yet' },
  { value: 'optouts', label: 'Opt-outs', emptyTitle: 'No opt-outs or opt-ins' },
];

export const DEFAULT_FILTER = 'all';

export function isKnownFilter(value) {
  return FILTERS.some((filter) => filter.value === value);
}

const EVENT_TYPES = {
  Sent: { label: 'Email sent', icon: 'email', tone: 'sent' },
  Opened: { label: 'Opened the email', icon: 'read_receipts', tone: 'opened' },
  Clicked: { label: 'Clicked a link', icon: 'link', tone: 'clicked' },
  Converted: { label: 'Converted', icon: 'orders', tone: 'converted', detailLabel: 'Order' },
  Bounced: { label: 'Email bounced', icon: 'return_order', tone: 'bounced', detailLabel: 'Reason' },
  Skipped: { label: 'Email skipped', icon: 'first_non_empty', tone: 'neutral', detailLabel: 'Reason' },
  Failed: { label: 'Email not delivered', icon: 'incident', tone: 'bounced', detailLabel: 'Reason' },
  Complained: { label: 'Reported the email as spam', icon: 'feedback', tone: 'bounced' },
  Opted_Out: { label: 'Unsubscribed from email', icon: 'unmatched', tone: 'optout' },
  Opted_In: { label: 'Subscribed to email again', icon: 'approval', tone: 'optin' },
};

const UNKNOWN_EVENT = { label: 'Email activity', icon: 'email', tone: 'neutral' };

// Responsys bounce categories (the REASON column of the Bounced feed) in a rep's words.
const BOUNCE_REASONS = {
  USER_NOT_FOUND: 'The mailbox does not exist',
  UNKNOWN_USER: 'The mailbox does not exist',
  MAILBOX_FULL: 'The mailbox is full',
  QUOTA_EXCEEDED: 'The mailbox is full',
  DOMAIN_NOT_FOUND: 'The email domain does not exist',
  NO_SUCH_DOMAIN: 'The email domain does not exist',
  DNS_FAILURE: 'The email domain does not exist',
  CONNECTION_REFUSED: 'The receiving mail server refused the connection',
  CONNECTION_TIMEOUT: 'The receiving mail server did not answer',
  TIMEOUT: 'The receiving mail server did not answer',
  SPAM_BLOCKED: "The recipient's spam filter blocked it",
  BLOCKED: "The recipient's mail server blocked it",
  CONTENT_REJECTED: "The recipient's mail server rejected the content",
  MESSAGE_TOO_LARGE: 'The email was too large for the mailbox',
};

/**
 * "USER_NOT_FOUND: 550 5.1.1 user unknown" -> "The mailbox does not exist (550 5.1.1 user unknown)".
 * @param {string} detail Detail__c of a bounce
 */
export function describeBounceReason(detail) {
  const text = typeof detail === 'string' ? detail.trim() : '';
  const match = /^([A-Z][A-Z_]+)(?:\s*[:\-–]\s*(.*))?$/.exec(text);
  if (!match) {
    return text;
  }
  const [, code, rest] = match;
  const words = BOUNCE_REASONS[code];
  if (!words) {
    return text;
  }
  return rest ? `${words} (${rest})` : words;
}

/**
 * Only web links are rendered as links: the URL comes from email tracking data, and a
 * `javascript:` or `data:` URL must never become clickable.
 * @param {string} url Offer_Url__c
 */
export function safeWebUrl(url) {
  if (typeof url !== 'string' || url.trim() === '') {
    return undefined;
  }
  try {
    const parsed = new URL(url.trim());
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function displayUrl(parsed) {
  const path = parsed.pathname === '/' ? '' : parsed.pathname;
  return `${parsed.hostname.replace(/^www\./, '')}${path}`;
}

function linkOf(item) {
  const parsed = safeWebUrl(item.offerUrl);
  const offerName = typeof item.offerName === 'string' ? item.offerName.trim() : '';
  if (!parsed) {
    const text = offerName || (typeof item.offerUrl === 'string' ? item.offerUrl.trim() : '');
    return text ? { text, href: undefined, host: undefined } : undefined;
  }
  const shown = displayUrl(parsed);
  return {
    href: parsed.href,
    text: offerName || shown,
    host: offerName ? ` · ${shown}` : undefined,
  };
}

/**
 * The view of one EngagementItem (ResponsysEngagementController.getEngagement) on the timeline.
 * @param {object} item the EngagementItem
 * @param {number} now current time in epoch ms
 */
export function toTimelineEvent(item, now) {
  const type = EVENT_TYPES[item.eventType] || UNKNOWN_EVENT;
  const occurredAt = toDate(item.occurredAt);
  const detail = typeof item.detail === 'string' ? item.detail.trim() : '';
  const campaign = typeof item.campaignName === 'string' ? item.campaignName.trim() : '';
  const link = item.eventType === 'Clicked' || item.eventType === 'Converted' ? linkOf(item) : undefined;
  let detailText = detail;
  if (item.eventType === 'Bounced') {
    detailText = describeBounceReason(detail);
  }
  return {
    id: item.id,
    eventType: item.eventType,
    label: type.label,
    campaign: campaign || 'Campaign not recorded',
    campaignClass: campaign ? 'event-campaign' : 'event-campaign event-campaign_missing',
    iconHref: `${STANDARD_SPRITE}#${type.icon}`,
    iconContainerClass: `slds-icon_container event-icon event-icon_${type.tone}`,
    itemClass: `event event_${type.tone}`,
    link,
    hasLinkHref: Boolean(link && link.href),
    // The template trims literal whitespace, so the separator travels with the value.
    detailLabel: detailText && type.detailLabel ? `${type.detailLabel}: ` : undefined,
    detailText,
    occurredAt,
    datetime: occurredAt ? occurredAt.toISOString() : undefined,
    relative: occurredAt ? formatRelative(occurredAt, now) : 'Time not recorded',
    exact: occurredAt ? formatExact(occurredAt) : undefined,
    timeOfDay: occurredAt ? formatTimeOfDay(occurredAt) : undefined,
  };
}

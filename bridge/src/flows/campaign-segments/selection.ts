import { createHash } from 'node:crypto';
import type { ProfileRecord } from '../../responsys/types.js';

// Which campaign members make up the Responsys segment, and the row each becomes.
//
// The configured statuses are member status labels, compared without regard to case, plus the token
// `@responded`: every status the campaign marks as "Responded" (CampaignMemberStatus.HasResponded).
// The default, `@responded,Sent`, is "everyone who responded, plus everyone we sent to".

export const RESPONDED_TOKEN = '@responded';
export const DEFAULT_SEGMENT_STATUSES = `${RESPONDED_TOKEN},Sent`;

export interface CampaignMemberStatusRow {
  Label: string;
  HasResponded: boolean;
}

/** Parses the configured list (`@responded,Sent`) into its parts; an empty list is refused. */
export function parseSegmentStatuses(value: string): { responded: boolean; labels: string[] } {
  const parts = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new Error('must name at least one member status (or @responded)');
  return {
    responded: parts.some((part) => part.toLowerCase() === RESPONDED_TOKEN),
    labels: parts.filter((part) => part.toLowerCase() !== RESPONDED_TOKEN),
  };
}

/**
 * The member status labels of one campaign that belong in its segment, with the campaign's own
 * spelling (a configured label the campaign does not use still counts, in case it is added later).
 */
export function segmentStatusesFor(
  configured: { responded: boolean; labels: readonly string[] },
  campaignStatuses: readonly CampaignMemberStatusRow[],
): string[] {
  const selected = new Map<string, string>();
  for (const status of campaignStatuses) {
    const wanted =
      (configured.responded && status.HasResponded === true) ||
      configured.labels.some((label) => label.toLowerCase() === status.Label.toLowerCase());
    if (wanted) selected.set(status.Label.toLowerCase(), status.Label);
  }
  for (const label of configured.labels)
    if (!selected.has(label.toLowerCase())) selected.set(label.toLowerCase(), label);
  return [...selected.values()];
}

/** A CampaignMember as the segment sync reads it. */
export interface CampaignMemberRecord {
  Id: string;
  CampaignId: string;
  LeadId?: string | null;
  ContactId?: string | null;
  Status?: string | null;
  HasResponded?: boolean | null;
  Email?: string | null;
  CreatedDate?: string | null;
  LastModifiedDate?: string | null;
}

export const CAMPAIGN_MEMBER_FIELDS = [
  'Id',
  'CampaignId',
  'LeadId',
  'ContactId',
  'Status',
  'HasResponded',
  'Email',
  'CreatedDate',
  'LastModifiedDate',
] as const;

/** A Salesforce datetime as a Responsys TIMESTAMP value (`YYYY-MM-DD HH:MM:SS`, UTC). */
export function responsysTimestamp(value: string | null | undefined): string | null {
  if (!value) return null;
  const time = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(time)) return null;
  return new Date(time).toISOString().slice(0, 19).replace('T', ' ');
}

/** The person a member is: the Contact when there is one (Salesforce keeps only the Contact then). */
export function memberPersonId(member: CampaignMemberRecord): string | null {
  return member.ContactId ?? member.LeadId ?? null;
}

/** The segment row of an active member, in the columns of SF_CAMPAIGN_MEMBERS (CONTRACTS.md §5). */
export function segmentRow(member: CampaignMemberRecord, campaignName: string): ProfileRecord {
  return {
    CAMPAIGN_ID: member.CampaignId,
    CAMPAIGN_NAME: campaignName,
    SF_MEMBER_ID: member.Id,
    CUSTOMER_ID: memberPersonId(member),
    EMAIL_ADDRESS: member.Email ? member.Email.trim().toLowerCase() : null,
    MEMBER_STATUS: member.Status ?? null,
    HAS_RESPONDED: member.HasResponded ? 'T' : 'F',
    FIRST_ADDED_AT: responsysTimestamp(member.CreatedDate),
    LAST_MODIFIED_AT: responsysTimestamp(member.LastModifiedDate),
    IS_ACTIVE: 'T',
  };
}

/** A short, stable hash of a row, to send only rows that changed since the last sync. */
export function rowHash(row: ProfileRecord): string {
  const canonical = Object.keys(row)
    .sort()
    .map((key) => `${key}=${row[key] ?? ''}`)
    .join('\u0001');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

import type { ResponsysCore } from '../core.js';
import type { CampaignDefinition } from '../account/definitions.js';
import type { MemberRecord, ProfileList } from '../store/profileList.js';
import {
  engagementDefaults,
  type EngagementEvent,
  type EngagementInput,
  engagementInputSchema,
  type ParsedEngagementInput,
} from './events.js';

// Turns injected engagement into events: resolves the recipient (who must exist), fills the texts a
// real event carries, applies the profile side effects (opt-out/opt-in permission status, hard-bounce
// deliverability) and hands each event to the notification hub. CED files pick them up on export.

export class EngagementRejected extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

/**
 * Records engagement for existing recipients. All-or-nothing: one unknown recipient, list or campaign
 * rejects the whole batch with every problem listed, so a test never half-injects.
 */
export function injectEngagement(core: ResponsysCore, inputs: EngagementInput[]): EngagementEvent[] {
  const account = core.account;
  const defaultList = account.lists.values().next().value as ProfileList;
  const problems: string[] = [];
  const planned: Array<{
    input: ParsedEngagementInput;
    list: ProfileList;
    member: MemberRecord;
    campaign: CampaignDefinition | undefined;
  }> = [];

  inputs.forEach((raw, i) => {
    const parsed = engagementInputSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`events[${i}].${issue.path.join('.')}: ${issue.message}`);
      return;
    }
    const input = parsed.data;
    const list = input.listName ? account.lists.get(input.listName) : defaultList;
    if (!list) return void problems.push(`events[${i}]: unknown profile list ${input.listName}`);
    const member = list.findByRef(input.recipient);
    if (!member) {
      return void problems.push(
        `events[${i}]: no recipient ${JSON.stringify(input.recipient)} in ${list.name}`,
      );
    }
    const needsCampaign = input.type !== 'opted_out' && input.type !== 'opted_in';
    let campaign: CampaignDefinition | undefined;
    if (input.campaign) {
      campaign = account.campaigns.get(input.campaign);
      if (!campaign) return void problems.push(`events[${i}]: unknown campaign ${input.campaign}`);
    } else if (needsCampaign) {
      campaign = [...account.campaigns.values()].find((c) => c.listName === list.name);
      if (!campaign) return void problems.push(`events[${i}]: name a campaign; list ${list.name} has none`);
    }
    planned.push({ input, list, member, campaign });
  });
  if (problems.length > 0) throw new EngagementRejected(problems);

  const now = core.now();
  return planned.map(({ input, list, member, campaign }) => {
    const occurredAt =
      input.occurredAt === undefined
        ? now
        : typeof input.occurredAt === 'number'
          ? input.occurredAt
          : Date.parse(input.occurredAt);
    const bounce = input.bounce
      ? {
          type: input.bounce.type === 'hard' ? ('H' as const) : ('S' as const),
          reason:
            input.bounce.reason ??
            (input.bounce.type === 'hard'
              ? engagementDefaults.hardBounce.reason
              : engagementDefaults.softBounce.reason),
          reasonCode:
            input.bounce.reasonCode ??
            (input.bounce.type === 'hard'
              ? engagementDefaults.hardBounce.reasonCode
              : engagementDefaults.softBounce.reasonCode),
        }
      : null;
    const event: EngagementEvent = {
      id: core.allocateEngagementId(),
      type: input.type,
      listName: list.name,
      listId: list.listId,
      riid: Number(member.RIID_),
      customerId: member.CUSTOMER_ID_ ?? null,
      email: member.EMAIL_ADDRESS_ ?? null,
      emailFormat: member.EMAIL_FORMAT_ ?? 'H',
      occurredAt,
      storedAt: Math.max(occurredAt, now),
      campaign: campaign
        ? {
            campaignId: campaign.campaignId,
            campaignName: campaign.name,
            launchId: input.launchId ?? campaign.launchId,
          }
        : null,
      link: input.link
        ? {
            url: input.link.url,
            name: input.link.name ?? 'Offer',
            number: input.link.number ?? 1,
            category: input.link.category ?? '',
          }
        : null,
      order: input.order
        ? { id: input.order.id, total: String(input.order.total), quantity: input.order.quantity ?? 1 }
        : null,
      bounce,
      reason: input.reason ?? defaultReason(input.type),
      source: input.source ?? defaultSource(input.type),
      complainerEmail: input.complainerEmail ?? null,
      spamType: input.type === 'complained' ? (input.spamType ?? 'abuse') : null,
      userAgent: ['opened', 'clicked', 'converted'].includes(input.type)
        ? (input.userAgent ?? engagementDefaults.userAgent)
        : null,
      notificationProps: input.notificationProps ?? {},
      exported: false,
    };
    applyProfileEffects(core, list, member, event);
    core.engagement.push(event);
    core.notifications.publish(event);
    return event;
  });
}

function defaultReason(type: EngagementEvent['type']): string | null {
  switch (type) {
    case 'skipped':
      return engagementDefaults.skippedReason;
    case 'failed':
      return engagementDefaults.failedReason;
    case 'complained':
      return engagementDefaults.complaintReason;
    case 'opted_out':
      return engagementDefaults.optOutReason;
    case 'opted_in':
      return engagementDefaults.optInReason;
    default:
      return null;
  }
}

function defaultSource(type: EngagementEvent['type']): string | null {
  if (type === 'opted_out') return engagementDefaults.optOutSource;
  if (type === 'opted_in') return engagementDefaults.optInSource;
  if (type === 'converted') return engagementDefaults.conversionSource;
  return null;
}

function applyProfileEffects(
  core: ResponsysCore,
  list: ProfileList,
  member: MemberRecord,
  event: EngagementEvent,
) {
  const changes = new Map<string, string | null>();
  const optOut = event.type === 'opted_out' || (event.type === 'complained' && core.quirks.complaintOptsOut);
  if (optOut) {
    changes.set('EMAIL_PERMISSION_STATUS_', 'O');
    changes.set('EMAIL_PERMISSION_REASON_', event.reason);
  } else if (event.type === 'opted_in') {
    changes.set('EMAIL_PERMISSION_STATUS_', 'I');
    changes.set('EMAIL_PERMISSION_REASON_', event.reason);
  } else if (event.bounce?.type === 'H' && core.quirks.hardBounceMarksUndeliverable) {
    changes.set('EMAIL_DELIVERABILITY_STATUS_', 'U');
  }
  if (changes.size > 0) list.update(member, changes, event.storedAt);
}

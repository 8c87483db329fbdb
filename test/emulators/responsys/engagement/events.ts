import { z } from 'zod';

// Engagement a test injects for existing recipients, and the record the emulator keeps of it. From
// here it flows out of the emulator the two ways Responsys offers: Contact Event Data files (every type)
// and Event Notification callbacks (the supported types only).

export const engagementTypes = [
  'sent',
  'opened',
  'clicked',
  'converted',
  'bounced',
  'skipped',
  'failed',
  'complained',
  'opted_out',
  'opted_in',
] as const;
export type EngagementType = (typeof engagementTypes)[number];

export interface CampaignRef {
  campaignId: number;
  campaignName: string;
  launchId: number;
}

export interface EngagementEvent {
  id: number;
  type: EngagementType;
  listName: string;
  listId: number;
  riid: number;
  customerId: string | null;
  email: string | null;
  emailFormat: string;
  /** Epoch ms when the recipient acted (EVENT_CAPTURED_DT). */
  occurredAt: number;
  /** Epoch ms when Responsys stored it (EVENT_STORED_DT). */
  storedAt: number;
  campaign: CampaignRef | null;
  link: { url: string; name: string; number: number; category: string } | null;
  order: { id: string; total: string; quantity: number } | null;
  bounce: { type: 'H' | 'S'; reason: string; reasonCode: string } | null;
  reason: string | null;
  source: string | null;
  complainerEmail: string | null;
  spamType: string | null;
  userAgent: string | null;
  /** Extra `optionalData.props.prop` entries for callback payloads. */
  notificationProps: Record<string, string>;
  exported: boolean;
}

const recipientRefSchema = z
  .object({
    riid: z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'riid is a number')]).optional(),
    email: z.string().min(1).optional(),
    customerId: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => r.riid !== undefined || r.email !== undefined || r.customerId !== undefined, {
    message: 'name the recipient by riid, email or customerId',
  });

export const engagementInputSchema = z
  .object({
    type: z.enum(engagementTypes),
    recipient: recipientRefSchema,
    /** Profile list of the recipient; default the account's first list. */
    listName: z.string().min(1).optional(),
    /** ISO 8601 or epoch ms; default now. */
    occurredAt: z.union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()]).optional(),
    /** Campaign name; default the first campaign on the list (none for opt-out/opt-in). */
    campaign: z.string().min(1).optional(),
    launchId: z.number().int().positive().optional(),
    link: z
      .object({
        url: z.url(),
        name: z.string().optional(),
        number: z.number().int().nonnegative().optional(),
        category: z.string().optional(),
      })
      .strict()
      .optional(),
    order: z
      .object({
        id: z.string().min(1),
        total: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)]),
        quantity: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    bounce: z
      .object({
        type: z.enum(['hard', 'soft']),
        reason: z.string().min(1).optional(),
        reasonCode: z.string().optional(),
      })
      .strict()
      .optional(),
    reason: z.string().optional(),
    source: z.string().optional(),
    complainerEmail: z.string().optional(),
    spamType: z.string().optional(),
    userAgent: z.string().optional(),
    notificationProps: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.type === 'clicked' && !input.link) {
      ctx.addIssue({ code: 'custom', path: ['link'], message: 'a click needs link.url' });
    }
    if (input.type === 'converted' && !input.order) {
      ctx.addIssue({
        code: 'custom',
        path: ['order'],
        message: 'a conversion needs order.id and order.total',
      });
    }
    if (input.type === 'bounced' && !input.bounce) {
      ctx.addIssue({
        code: 'custom',
        path: ['bounce'],
        message: 'a bounce needs bounce.type (hard or soft)',
      });
    }
  });
export type EngagementInput = z.input<typeof engagementInputSchema>;
export type ParsedEngagementInput = z.output<typeof engagementInputSchema>;

export const engagementRequestSchema = z
  .object({ events: z.array(z.unknown()).min(1).max(100_000) })
  .strict();

/** Defaults for the texts a real event would carry. */
export const engagementDefaults = {
  hardBounce: {
    reason: 'USER_NOT_FOUND',
    reasonCode: '550 5.1.1 <recipient>: Recipient address rejected: User unknown',
  },
  softBounce: { reason: 'MAILBOX_FULL', reasonCode: '452 4.2.2 Mailbox full' },
  skippedReason: 'Expression resulted in an empty value',
  failedReason: 'Message could not be built',
  complaintReason: 'ABUSE',
  optOutReason: 'Opted out via unsubscribe link',
  optInReason: 'Opted in via preference page',
  optOutSource: 'LINK',
  optInSource: 'FORM',
  conversionSource: 'LINK',
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
};

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { callbackEventKey, typeOfNotification, type EngagementEvent } from './events.js';

// Event Notification payloads as Oracle documents them: ids as JSON strings (numbers are tolerated),
// the event type in `failureType` even for clicks and opt-outs, no event id and no time, campaign
// fields absent on opt-out and opt-in, `customerId` absent when the recipient has none, and
// `optionalData.props.prop` an OBJECT for one property but an ARRAY for several.

const idSchema = z.union([
  z.string().trim().regex(/^\d+$/, { error: 'must be a number' }),
  z.number().int().nonnegative().transform(String),
]);
const textSchema = z.union([z.string(), z.number().transform(String)]).nullish();
const propSchema = z.object({ name: z.string(), value: z.union([z.string(), z.number()]).nullish() });

export const callbackPayloadSchema = z.looseObject({
  riid: idSchema,
  failureType: z.string().trim().min(1, { error: 'is empty' }),
  channelType: z.string().nullish(),
  customerId: textSchema,
  campaignId: z.union([idSchema, z.literal('')]).nullish(),
  campaignName: textSchema,
  failureReason: textSchema,
  recipient: textSchema,
  optionalData: z
    .looseObject({
      props: z.looseObject({ prop: z.union([propSchema, z.array(propSchema)]).nullish() }).nullish(),
    })
    .nullish(),
});
export type CallbackPayload = z.infer<typeof callbackPayloadSchema>;

export type CallbackItem =
  | { kind: 'event'; index: number; event: EngagementEvent }
  | { kind: 'ignored'; index: number; reason: string }
  | { kind: 'rejected'; index: number; reason: string; payload: unknown };

/** `prop` as a list whichever shape Responsys sent. */
export function callbackProps(payload: CallbackPayload): Record<string, string> {
  const prop = payload.optionalData?.props?.prop;
  const list = prop === null || prop === undefined ? [] : Array.isArray(prop) ? prop : [prop];
  const props: Record<string, string> = {};
  for (const item of list)
    if (item.value !== null && item.value !== undefined) props[item.name] = String(item.value);
  return props;
}

const blank = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

export interface CallbackBatchContext {
  fingerprint: string;
  /** when this batch content was first received (redeliveries keep the first time) */
  firstReceivedAt: Date;
  receivedAt: Date;
  correlationIdFor?(riid: string): string | undefined;
}

/** The payloads of one delivery, each an event, ignored (not an email engagement type), or rejected. */
export function readCallbackBatch(
  payloads: readonly unknown[],
  context: CallbackBatchContext,
): CallbackItem[] {
  return payloads.map((payload, index): CallbackItem => {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      return { kind: 'rejected', index, reason: 'the payload is not a JSON object', payload };
    }
    const parsed = callbackPayloadSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const missing =
        issue.path.length === 1 && (payload as Record<string, unknown>)[String(issue.path[0])] === undefined;
      return {
        kind: 'rejected',
        index,
        reason: `${issue.path.join('.')} ${missing ? 'is missing' : issue.message}`,
        payload,
      };
    }
    const data = parsed.data;
    if (data.channelType && data.channelType.toLowerCase() !== 'email') {
      return { kind: 'ignored', index, reason: `${data.channelType} events are not synced` };
    }
    const type = typeOfNotification[data.failureType.toUpperCase()];
    if (!type)
      return { kind: 'ignored', index, reason: `${data.failureType} is not an email engagement type` };
    const props = callbackProps(data);
    const detail =
      type === 'Bounced' || type === 'Skipped' || type === 'Failed' ? blank(data.failureReason) : null;
    const event: EngagementEvent = {
      eventKey: callbackEventKey(context.fingerprint, context.firstReceivedAt, index),
      origin: 'callback',
      type,
      riid: data.riid,
      customerId: blank(data.customerId),
      email: blank(data.recipient) ?? blank(props.EMAIL_ADDRESS_),
      occurredAt: context.receivedAt,
      occurredAtExact: false,
      campaignId: blank(data.campaignId),
      campaignName: blank(data.campaignName),
      launchId: null,
      offerName: null,
      offerUrl: null,
      detail,
      source: null,
      correlationId: context.correlationIdFor?.(data.riid) ?? randomUUID(),
      originRef: `callback ${context.fingerprint.slice(0, 12)}#${index}`,
    };
    return { kind: 'event', index, event };
  });
}

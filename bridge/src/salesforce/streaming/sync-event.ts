import { parseChangedFields, type RecordChangeInput } from '../../queue/record-change.js';

// The platform event the package's triggers publish (Responsys_Sync__e), as the CometD subscription
// delivers it, and the queue change it becomes. The event carries ids and what changed, never values:
// flows read current values in bulk when they process it.

export const SYNC_EVENT_CHANNEL = '/event/Responsys_Sync__e';

/** `message.data` of a platform event delivered over CometD. */
export interface PlatformEventMessage {
  schema?: string;
  payload: Record<string, unknown>;
  event: { replayId: number; EventUuid?: string };
}

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;

/** The queue change for one Responsys_Sync__e event (validated by the queue when dispatched). */
export function syncEventToChange(message: PlatformEventMessage): RecordChangeInput {
  const { payload, event } = message;
  const createdDate = text(payload.CreatedDate);
  return {
    objectType: text(payload.Object_Type__c) ?? '',
    recordId: text(payload.Record_Id__c) ?? '',
    changeType: (text(payload.Change_Type__c) ?? '') as RecordChangeInput['changeType'],
    changedFields: parseChangedFields(text(payload.Changed_Fields__c)),
    previousValue: text(payload.Previous_Value__c),
    newValue: text(payload.New_Value__c),
    relatedId: text(payload.Related_Id__c),
    correlationId: text(payload.Correlation_Id__c)?.slice(0, 64) ?? undefined,
    occurredAt:
      createdDate && !Number.isNaN(Date.parse(createdDate)) ? new Date(createdDate).toISOString() : undefined,
    source: 'streaming',
    data: {
      replayId: event.replayId,
      ...(event.EventUuid ? { eventUuid: event.EventUuid } : {}),
      ...(text(payload.CreatedById) ? { publishedBy: text(payload.CreatedById) } : {}),
    },
  };
}

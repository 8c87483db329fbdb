import { randomUUID } from 'node:crypto';
import type { RecordChange } from '../data/store.js';
import type { BeforeSaveEvent, CommittedTransaction, UnitOfWork } from '../data/write-pipeline.js';
import type { SalesforceOrg } from '../org.js';
import type { FieldValue, ObjectDef, StoredRecord } from '../schema/types.js';
import {
  buildSyncEvent,
  SYNC_EVENT,
  type ChangeType,
  type SyncEventDraft,
  type SyncEventFactory,
  type SyncObject,
} from './sync-events.js';
import {
  differ,
  FIELD_MAP_TYPE,
  fieldMapFromRow,
  hasValue,
  OPT_OUT_FIELD,
  watchedFields,
} from './watched-fields.js';

// The package's Apex triggers, modelled: the emulator cannot run Apex, so on the same record changes
// it stamps the same fields before save and publishes the same Responsys_Sync__e events after commit
// (force-app/main/default/triggers and classes; docs/salesforce-package.md, "How changes are
// published"). TRIGGER_MODELS is the rule table; the handlers below follow the Apex line by line, and
// __tests__/trigger-contract.test.ts parses the Apex to prove the two still agree.

export type TriggerContext =
  'before insert' | 'before update' | 'after insert' | 'after update' | 'after delete' | 'after undelete';

export interface PublishRule {
  changeType: ChangeType;
  /** The ResponsysSyncEvents factory that builds the event, so the fields it sets. */
  factory: SyncEventFactory;
}

export interface TriggerModel {
  object: SyncObject;
  /** The Apex trigger and its handler class. */
  trigger: string;
  handler: string;
  /** Events each after-save context may publish. */
  publishes: Partial<Record<TriggerContext, readonly PublishRule[]>>;
  /** Before-save contexts in which the handler stamps the records being saved. */
  stamps: readonly TriggerContext[];
  /** Fields whose change publishes an UPDATE, when fixed in code rather than read from the field maps. */
  watchedFields?: readonly string[];
}

/** Holders of this custom permission are neither stamped nor published for (the first loop guard). */
export const INTEGRATION_PERMISSION = 'Responsys_Bridge_Integration';

/** What ResponsysPersonChanges.stampBeforeSave writes; `value: 'now'` is the save time. */
export const BEFORE_SAVE_STAMPS = {
  syncStatus: { field: 'Responsys_Sync_Status__c', value: 'Pending' },
  optOutSource: { field: 'Responsys_Opt_Out_Source__c', value: 'Salesforce' },
  optOutAt: { field: 'Responsys_Opt_Out_At__c', value: 'now' },
} as const;

/** Lead and Contact share the rules of ResponsysPersonChanges; their watched fields come from the maps. */
const PERSON_PUBLISHES: TriggerModel['publishes'] = {
  'after insert': [{ changeType: 'CREATE', factory: 'fieldChange' }],
  'after update': [
    { changeType: 'UPDATE', factory: 'fieldChange' },
    { changeType: 'OPT_OUT', factory: 'fieldChange' },
    { changeType: 'OPT_IN', factory: 'fieldChange' },
  ],
  'after delete': [{ changeType: 'DELETE', factory: 'removal' }],
  'after undelete': [{ changeType: 'UNDELETE', factory: 'recordChange' }],
};

export const TRIGGER_MODELS: readonly TriggerModel[] = [
  {
    object: 'Lead',
    trigger: 'ResponsysLeadTrigger',
    handler: 'ResponsysLeadTriggerHandler',
    publishes: PERSON_PUBLISHES,
    stamps: ['before insert', 'before update'],
  },
  {
    object: 'Contact',
    trigger: 'ResponsysContactTrigger',
    handler: 'ResponsysContactTriggerHandler',
    publishes: PERSON_PUBLISHES,
    stamps: ['before insert', 'before update'],
  },
  {
    object: 'Opportunity',
    trigger: 'ResponsysOpportunityTrigger',
    handler: 'ResponsysOpportunityTriggerHandler',
    // Nothing on create: imports of historical deals must not enter anyone into a program.
    publishes: { 'after update': [{ changeType: 'STAGE_CHANGE', factory: 'stageChange' }] },
    stamps: [],
  },
  {
    object: 'CampaignMember',
    trigger: 'ResponsysCampaignMemberTrigger',
    handler: 'ResponsysCampaignMemberTriggerHandler',
    publishes: {
      'after insert': [{ changeType: 'CREATE', factory: 'campaignMemberChange' }],
      'after update': [{ changeType: 'UPDATE', factory: 'campaignMemberChange' }],
      'after delete': [{ changeType: 'DELETE', factory: 'campaignMemberChange' }],
    },
    stamps: [],
    watchedFields: ['ContactId', 'HasResponded', 'LeadId', 'Status'],
  },
];

/** A trigger runs once per DML chunk of up to 200 records, and publishes once per run. */
export const TRIGGER_CHUNK_SIZE = 200;

const AFTER_CONTEXT: Record<RecordChange['kind'], TriggerContext> = {
  insert: 'after insert',
  update: 'after update',
  delete: 'after delete',
  undelete: 'after undelete',
};

export interface RefusedSyncEvent {
  changeType: ChangeType;
  objectType: SyncObject;
  recordId: string;
  reason: string;
}

export interface PackageTriggers {
  /** Events the bus refused (hourly publishing allocation spent); the user's save still succeeded. */
  refused(): RefusedSyncEvent[];
  uninstall(): void;
}

interface Run {
  model: TriggerModel;
  context: TriggerContext;
  changes: RecordChange[];
}

/** Consecutive changes of one object and kind, in chunks of 200: the trigger runs Salesforce makes. */
function triggerRuns(changes: readonly RecordChange[]): Run[] {
  const runs: Run[] = [];
  let current: Run | undefined;
  for (const change of changes) {
    if (change.cascade) continue;
    const model = TRIGGER_MODELS.find((m) => m.object === change.object);
    const context = AFTER_CONTEXT[change.kind];
    if (!model?.publishes[context]) continue;
    if (
      !current ||
      current.model !== model ||
      current.context !== context ||
      current.changes.length >= TRIGGER_CHUNK_SIZE
    ) {
      current = { model, context, changes: [] };
      runs.push(current);
    }
    current.changes.push(change);
  }
  return runs;
}

/** Reads records the way Apex sees them: a checkbox is never null. */
class FieldReader {
  private readonly checkboxes = new Map<string, Set<string>>();

  constructor(private readonly org: SalesforceOrg) {}

  read(objectName: string, record: Readonly<StoredRecord> | undefined, field: string): FieldValue {
    let checkboxes = this.checkboxes.get(objectName);
    if (!checkboxes) {
      const object = this.org.catalog.object(objectName);
      checkboxes = new Set(object?.fields.filter((f) => f.type === 'boolean').map((f) => f.name));
      this.checkboxes.set(objectName, checkboxes);
    }
    const value = record?.[field] ?? null;
    return value === null && checkboxes.has(field) ? false : value;
  }
}

export function installPackageTriggers(org: SalesforceOrg): PackageTriggers {
  const reader = new FieldReader(org);
  const refused: RefusedSyncEvent[] = [];
  const eventObject = org.catalog.object(SYNC_EVENT);

  const fieldMaps = () => {
    const table = org.catalog.object(FIELD_MAP_TYPE) ? org.store.table(FIELD_MAP_TYPE) : undefined;
    if (!table) return [];
    return [...table.rows.values()].filter((row) => row.IsDeleted !== true).map(fieldMapFromRow);
  };
  const watchedOf = (object: ObjectDef, cache: Map<string, string[]>): string[] => {
    let fields = cache.get(object.name);
    if (!fields) {
      fields = watchedFields(object, fieldMaps());
      cache.set(object.name, fields);
    }
    return fields;
  };

  /** ResponsysPersonChanges.changedWatchedFields: on insert the watched fields with a value. */
  const changedWatched = (
    object: string,
    watched: readonly string[],
    record: Readonly<StoredRecord> | undefined,
    old: Readonly<StoredRecord> | undefined,
  ): string[] =>
    watched.filter((f) =>
      old === undefined
        ? hasValue(reader.read(object, record, f))
        : differ(reader.read(object, record, f), reader.read(object, old, f)),
    );

  // Before save: one cache of watched fields and of the integration check per transaction.
  const unitState = new WeakMap<UnitOfWork, { integration: boolean; watched: Map<string, string[]> }>();
  const stateOf = (unit: UnitOfWork) => {
    let state = unitState.get(unit);
    if (!state) {
      const { customPermissions } = org.directory.permissionsOf(unit.context.user.id);
      state = { integration: customPermissions.includes(INTEGRATION_PERMISSION), watched: new Map() };
      unitState.set(unit, state);
    }
    return state;
  };

  const stampBeforeSave = (event: BeforeSaveEvent): void => {
    const context: TriggerContext = event.existing ? 'before update' : 'before insert';
    const model = TRIGGER_MODELS.find((m) => m.object === event.object);
    if (!model?.stamps.includes(context) || event.unit.context.api === 'seed') return;
    const state = stateOf(event.unit);
    if (state.integration) return;
    const object = org.catalog.object(event.object)!;
    const watched = watchedOf(object, state.watched);
    if (changedWatched(object.name, watched, event.record, event.existing).length === 0) return;
    const { syncStatus, optOutSource, optOutAt } = BEFORE_SAVE_STAMPS;
    event.record[syncStatus.field] = syncStatus.value;
    const optedOut = event.record[OPT_OUT_FIELD] === true;
    const wasOptedOut = event.existing?.[OPT_OUT_FIELD] === true;
    if (optedOut && !wasOptedOut) {
      event.record[optOutSource.field] = optOutSource.value;
      event.record[optOutAt.field] = event.unit.now;
    } else if (!optedOut && wasOptedOut) {
      event.record[optOutSource.field] = null;
      event.record[optOutAt.field] = null;
    }
  };

  /** What one trigger run publishes, in the order the handler adds events to its list. */
  const handle = (run: Run, watchedCache: Map<string, string[]>): SyncEventDraft[] => {
    const objectType = run.model.object;
    const drafts: SyncEventDraft[] = [];
    const add = (changeType: ChangeType, recordId: string, extra: Partial<SyncEventDraft> = {}) =>
      drafts.push({ objectType, recordId, changeType, ...extra });
    if (objectType === 'Lead' || objectType === 'Contact') {
      const watched = watchedOf(org.catalog.object(objectType)!, watchedCache);
      switch (run.context) {
        case 'after insert':
          for (const { id, after } of run.changes) {
            const withValue = changedWatched(objectType, watched, after, undefined);
            if (withValue.length) add('CREATE', id, { changedFields: withValue });
          }
          break;
        case 'after update':
          for (const { id, after, before } of run.changes) {
            const changed = changedWatched(objectType, watched, after, before).filter(
              (f) => f !== OPT_OUT_FIELD,
            );
            if (changed.length) add('UPDATE', id, { changedFields: changed });
          }
          for (const { id, after, before } of run.changes) {
            const optedOut = reader.read(objectType, after, OPT_OUT_FIELD) === true;
            const wasOptedOut = reader.read(objectType, before, OPT_OUT_FIELD) === true;
            if (optedOut !== wasOptedOut) {
              add(optedOut ? 'OPT_OUT' : 'OPT_IN', id, { changedFields: [OPT_OUT_FIELD] });
            }
          }
          break;
        case 'after delete':
          for (const { id, before } of run.changes) {
            const master = reader.read(objectType, before, 'MasterRecordId');
            add('DELETE', id, { relatedId: typeof master === 'string' ? master : null });
          }
          break;
        case 'after undelete':
          for (const { id } of run.changes) add('UNDELETE', id);
          break;
        default:
          break;
      }
    } else if (objectType === 'Opportunity') {
      for (const { id, after, before } of run.changes) {
        const stage = reader.read(objectType, after, 'StageName');
        const previous = reader.read(objectType, before, 'StageName');
        if (differ(stage, previous)) {
          add('STAGE_CHANGE', id, {
            previousValue: previous as string | null,
            newValue: stage as string | null,
          });
        }
      }
    } else {
      const watched = run.model.watchedFields ?? [];
      for (const { id, after, before, kind } of run.changes) {
        const campaignId = reader.read(objectType, after ?? before, 'CampaignId') as string | null;
        if (kind === 'update') {
          const changed = watched.filter((f) =>
            differ(reader.read(objectType, after, f), reader.read(objectType, before, f)),
          );
          if (changed.length) add('UPDATE', id, { relatedId: campaignId, changedFields: changed });
        } else {
          add(kind === 'insert' ? 'CREATE' : 'DELETE', id, { relatedId: campaignId });
        }
      }
    }
    return drafts;
  };

  const publishAfterCommit = (transaction: CommittedTransaction): void => {
    if (!eventObject || transaction.api === 'seed') return;
    if (transaction.user.customPermissions.includes(INTEGRATION_PERMISSION)) return;
    const watchedCache = new Map<string, string[]>();
    for (const run of triggerRuns(transaction.changes)) {
      const rules = run.model.publishes[run.context] ?? [];
      for (const draft of handle(run, watchedCache)) {
        const rule = rules.find((r) => r.changeType === draft.changeType);
        if (!rule) {
          throw new Error(
            `${run.model.handler} model published ${draft.changeType} on ${run.context}, not in its rules`,
          );
        }
        if (org.limits.remaining('HourlyPublishedPlatformEvents') <= 0) {
          // EventBus.publish refuses the event; ResponsysSyncPublisher logs it and the save stands.
          refused.push({
            changeType: draft.changeType,
            objectType: draft.objectType,
            recordId: draft.recordId,
            reason: 'LIMIT_EXCEEDED: HourlyPublishedPlatformEvents',
          });
          continue;
        }
        const values = buildSyncEvent(rule.factory, draft);
        const payload: StoredRecord = {};
        for (const f of eventObject.fields) {
          if (f.custom)
            payload[f.name] = values[f.name as keyof typeof values] ?? (f.type === 'boolean' ? false : null);
        }
        org.events.publish({
          channel: `/event/${eventObject.name}`,
          object: eventObject.name,
          eventUuid: randomUUID(),
          payload: { CreatedDate: transaction.committedAt, CreatedById: transaction.user.id, ...payload },
          publishedAt: transaction.committedAt,
          publishedBy: { id: transaction.user.id, username: transaction.user.username },
        });
      }
    }
  };

  const detachBeforeSave = eventObject ? org.pipeline.onBeforeSave(stampBeforeSave) : () => false;
  const detachAfterCommit = org.pipeline.onAfterCommit(publishAfterCommit);
  const detachReset = org.onReset(() => (refused.length = 0));
  return {
    refused: () => [...refused],
    uninstall() {
      detachBeforeSave();
      detachAfterCommit();
      detachReset();
    },
  };
}

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BEFORE_SAVE_STAMPS, INTEGRATION_PERMISSION, TRIGGER_MODELS } from '../triggers/package-triggers.js';
import {
  buildSyncEvent,
  CHANGE_TYPES,
  EVENT_FACTORY_FIELDS,
  FIELD_SEPARATOR,
  SYNC_OBJECTS,
  VALUE_MAX_LENGTH,
  type SyncEventFactory,
} from '../triggers/sync-events.js';
import {
  ALWAYS_WATCHED,
  FIELD_MAP_TYPE,
  OPT_OUT_FIELD,
  OUTBOUND_DIRECTIONS,
} from '../triggers/watched-fields.js';
import { readApexSources, readApexTriggerFacts, type ApexTriggerFacts } from './apex-trigger-facts.js';

// The emulator cannot run Apex, so it models the package's triggers. This contract keeps the model
// and the Apex from drifting apart: it parses the Apex (@apexdevtools/apex-parser) and compares it
// with the model's rule tables, the same tables the model runs on.

const forceAppDefault = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../..'),
  'force-app/main/default',
);

const sortedSet = (values: Iterable<unknown>) => [...new Set([...values].map(String))].sort();

/** Every way the model and the Apex disagree, one line each; empty when they agree. */
function modelDifferences(facts: ApexTriggerFacts): string[] {
  const out: string[] = [];
  const same = (what: string, apex: unknown, model: unknown) => {
    if (JSON.stringify(apex) !== JSON.stringify(model)) {
      out.push(`${what}: Apex ${JSON.stringify(apex)}, model ${JSON.stringify(model)}`);
    }
  };

  same(
    'trigger objects',
    sortedSet(facts.triggers.map((t) => t.object)),
    sortedSet(TRIGGER_MODELS.map((m) => m.object)),
  );
  for (const model of TRIGGER_MODELS) {
    const trigger = facts.triggers.find((t) => t.object === model.object);
    if (!trigger) continue;
    same(`${model.object} trigger`, trigger.name, model.trigger);
    same(`${model.object} handler`, trigger.handler, model.handler);
    const contexts = sortedSet([...model.stamps, ...Object.keys(model.publishes)]);
    same(`${model.object} trigger contexts`, sortedSet(trigger.contexts), contexts);
    same(`${model.object} handler hooks`, sortedSet(Object.keys(trigger.hooks)), contexts);
    for (const [context, reached] of Object.entries(trigger.hooks)) {
      const rules = model.publishes[context as keyof typeof model.publishes] ?? [];
      same(
        `${model.object} ${context} change types`,
        reached.changeTypes,
        sortedSet(rules.map((r) => r.changeType)),
      );
      same(
        `${model.object} ${context} event fields`,
        reached.fieldsSet,
        sortedSet(rules.flatMap((r) => EVENT_FACTORY_FIELDS[r.factory])),
      );
      const stamps = model.stamps.includes(context as never) ? Object.values(BEFORE_SAVE_STAMPS) : [];
      same(
        `${model.object} ${context} stamped fields`,
        reached.stampedFields,
        sortedSet(stamps.map((s) => s.field)),
      );
      same(
        `${model.object} ${context} stamped values`,
        reached.stampedValues,
        sortedSet(stamps.map((s) => s.value).filter((v) => v !== 'now')),
      );
      if (!reached.methods.includes('ResponsysSyncPublisher.isRunningUserIntegration')) {
        out.push(`${model.object} ${context}: the Apex no longer skips the integration user`);
      }
    }
  }

  for (const [factory, fields] of Object.entries(EVENT_FACTORY_FIELDS)) {
    same(
      `ResponsysSyncEvents.${factory} fields`,
      facts.reach('ResponsysSyncEvents', factory).fieldsSet,
      sortedSet(fields),
    );
  }

  const vocabulary = facts.constantsOf('ResponsysSyncEvents');
  const valuesOf = (prefix: string) =>
    sortedSet([...vocabulary].filter(([name]) => name.startsWith(prefix)).map(([, value]) => value));
  same('change types', valuesOf('CHANGE_'), sortedSet(CHANGE_TYPES));
  same('object types', valuesOf('OBJECT_'), sortedSet(SYNC_OBJECTS));
  same('Changed_Fields__c separator', vocabulary.get('FIELD_SEPARATOR'), FIELD_SEPARATOR);
  same('stage value length', vocabulary.get('VALUE_MAX_LENGTH'), VALUE_MAX_LENGTH);

  for (const model of TRIGGER_MODELS.filter((m) => m.watchedFields)) {
    same(
      `${model.object} watched fields`,
      facts.constantsOf(model.handler).get('WATCHED_FIELDS'),
      model.watchedFields,
    );
  }
  const watched = facts.constantsOf('ResponsysWatchedFields');
  same('always watched', watched.get('ALWAYS_WATCHED'), [...ALWAYS_WATCHED]);
  same('opt-out field', watched.get('OPT_OUT_FIELD'), OPT_OUT_FIELD);
  const selector = facts.reach('ResponsysFieldMapSelector', 'activeOutbound');
  same(
    'outbound directions',
    sortedSet(
      Object.entries(selector.constants)
        .filter(([name]) => name.includes('.DIRECTION_'))
        .map(([, value]) => value),
    ),
    sortedSet(OUTBOUND_DIRECTIONS),
  );
  if (!facts.methodSource('ResponsysFieldMapSelector', 'allRecords').includes(`${FIELD_MAP_TYPE}.getAll()`)) {
    out.push(`field maps: the Apex no longer reads ${FIELD_MAP_TYPE}.getAll()`);
  }
  same(
    'integration permission',
    facts.constantsOf('ResponsysSyncPublisher').get('INTEGRATION_PERMISSION'),
    INTEGRATION_PERMISSION,
  );
  return out;
}

let sources: Map<string, string>;

interface Edit {
  file: string;
  from: string | RegExp;
  to: string;
}

/** The package's Apex with files edited, as a developer might. */
function editedFacts(...edits: Edit[]): ApexTriggerFacts {
  const changed = new Map(sources);
  for (const { file, from, to } of edits) {
    const text = changed.get(file)!;
    const next = text.replace(from, to);
    if (next === text) throw new Error(`the edit of ${file} did not apply`);
    changed.set(file, next);
  }
  return readApexTriggerFacts(changed);
}

function edited(file: string, from: string | RegExp, to: string): ApexTriggerFacts {
  return editedFacts({ file, from, to });
}

beforeAll(() => {
  sources = readApexSources(forceAppDefault);
});

describe('the model of the package triggers against the Apex', () => {
  it('covers the same triggers, contexts, change types, event fields, stamps and watched fields', () => {
    const facts = readApexTriggerFacts(sources);
    expect(facts.triggers.map((t) => t.object).sort()).toEqual([
      'CampaignMember',
      'Contact',
      'Lead',
      'Opportunity',
    ]);
    expect(modelDifferences(facts)).toEqual([]);
  });

  it('builds events with exactly the fields each factory sets in its table', () => {
    for (const [factory, fields] of Object.entries(EVENT_FACTORY_FIELDS)) {
      const values = buildSyncEvent(factory as SyncEventFactory, {
        objectType: 'Lead',
        recordId: '00Q000000000001AAA',
        changeType: 'UPDATE',
        changedFields: ['Email'],
        relatedId: '701000000000001AAA',
        previousValue: 'a',
        newValue: 'b',
      });
      expect(Object.keys(values).sort(), factory).toEqual([...fields].sort());
    }
  });
});

describe('the contract fails when the Apex changes and the model does not', () => {
  it('notices a change type a handler starts to publish', () => {
    const facts = edited(
      'ResponsysOpportunityTriggerHandler.cls',
      'ResponsysSyncPublisher.publish(events);',
      `events.add(ResponsysSyncEvents.recordChange(ResponsysSyncEvents.OBJECT_OPPORTUNITY, newRecords[0].Id, ResponsysSyncEvents.CHANGE_UPDATE));
        ResponsysSyncPublisher.publish(events);`,
    );
    expect(modelDifferences(facts)).toEqual([
      'Opportunity after update change types: Apex ["STAGE_CHANGE","UPDATE"], model ["STAGE_CHANGE"]',
    ]);
  });

  it('notices a new change type in the vocabulary, and where the person rules start to use it', () => {
    const vocabulary: Edit = {
      file: 'ResponsysSyncEvents.cls',
      from: "public static final String CHANGE_OPT_IN = 'OPT_IN';",
      to: "public static final String CHANGE_OPT_IN = 'OPT_IN';\n    public static final String CHANGE_MERGE = 'MERGE';",
    };
    const all = '"CREATE","DELETE","OPT_IN","OPT_OUT","STAGE_CHANGE","UNDELETE","UPDATE"';
    expect(modelDifferences(editedFacts(vocabulary))).toEqual([
      `change types: Apex [${all.replace('"DELETE",', '"DELETE","MERGE",')}], model [${all}]`,
    ]);
    const used = editedFacts(vocabulary, {
      file: 'ResponsysPersonChanges.cls',
      from: 'ResponsysSyncEvents.CHANGE_UNDELETE',
      to: 'ResponsysSyncEvents.CHANGE_MERGE',
    });
    expect(modelDifferences(used)).toEqual(
      expect.arrayContaining([
        'Contact after undelete change types: Apex ["MERGE"], model ["UNDELETE"]',
        'Lead after undelete change types: Apex ["MERGE"], model ["UNDELETE"]',
      ]),
    );
  });

  it('notices an event field a factory starts to set', () => {
    const facts = edited(
      'ResponsysSyncEvents.cls',
      'event.Related_Id__c = relatedId;\n        return event;',
      "event.Related_Id__c = relatedId;\n        event.Changed_Fields__c = 'IsDeleted';\n        return event;",
    );
    const removal = '["Change_Type__c","Correlation_Id__c","Object_Type__c","Record_Id__c","Related_Id__c"]';
    const withChanged =
      '["Change_Type__c","Changed_Fields__c","Correlation_Id__c","Object_Type__c","Record_Id__c","Related_Id__c"]';
    expect(modelDifferences(facts)).toEqual([
      `Lead after delete event fields: Apex ${withChanged}, model ${removal}`,
      `Contact after delete event fields: Apex ${withChanged}, model ${removal}`,
      `ResponsysSyncEvents.removal fields: Apex ${withChanged}, model ${removal}`,
    ]);
  });

  it('notices a new trigger context, a new watched field, another stamp and a lost loop guard', () => {
    expect(
      modelDifferences(
        edited(
          'ResponsysOpportunityTrigger.trigger',
          'Opportunity(after update)',
          'Opportunity(after insert, after update)',
        ),
      ),
    ).toEqual(['Opportunity trigger contexts: Apex ["after insert","after update"], model ["after update"]']);
    expect(
      modelDifferences(
        edited(
          'ResponsysCampaignMemberTriggerHandler.cls',
          "'Status'\n",
          "'Status',\n        'Description'\n",
        ),
      ),
    ).toEqual([
      'CampaignMember watched fields: Apex ["ContactId","HasResponded","LeadId","Status","Description"], model ["ContactId","HasResponded","LeadId","Status"]',
    ]);
    expect(
      modelDifferences(
        edited(
          'ResponsysPersonChanges.cls',
          'record.put(SYNC_STATUS_FIELD, SYNC_STATUS_PENDING);',
          "record.put(SYNC_STATUS_FIELD, 'Queued');",
        ),
      ),
    ).toEqual(
      expect.arrayContaining([
        'Lead before insert stamped values: Apex ["Queued","Salesforce"], model ["Pending","Salesforce"]',
      ]),
    );
    expect(
      modelDifferences(
        edited(
          'ResponsysSyncPublisher.cls',
          /if \(events == null \|\| events\.isEmpty\(\) \|\| isRunningUserIntegration\(\)\)/,
          'if (events == null || events.isEmpty())',
        ),
      ),
    ).toEqual(
      expect.arrayContaining(['Opportunity after update: the Apex no longer skips the integration user']),
    );
  });
});

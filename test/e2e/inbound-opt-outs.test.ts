import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPT_OUTS_INBOUND_FLOW, RECONCILE_OPT_OUTS_TASK } from '../../bridge/src/flows/engagement/names.js';
import { EngagementEventStore } from '../../bridge/src/flows/engagement/event-store.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  ADMIN_TOKEN,
  engagementOf,
  inboundEnv,
  makePeople,
  recordOf,
  registerCallback,
  startInboundBridge,
  startInboundEmulators,
  type InboundBridge,
  type InboundEmulators,
} from './inbound-support.js';
import { eventually, spawnCli } from './support.js';

// F7 inbound end to end: opt-outs from Responsys reach every matching Lead and Contact at once, an
// opt-in only when it came from the person and is newer than the last opt-out, and the scheduled
// reconciliation finds and heals every disagreement, reporting what it did (admin API and CLI).

let emulators: InboundEmulators;
let database: TestDatabase;
let running: InboundBridge;

beforeAll(async () => {
  emulators = await startInboundEmulators();
  database = await createTestDatabase('e2e_inbound_opt_outs');
  running = await startInboundBridge(inboundEnv(emulators, database.url));
  await registerCallback(running);
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await database?.drop();
  await emulators?.close();
});

interface OptState {
  HasOptedOutOfEmail: boolean;
  Responsys_Opt_Out_Source__c: string | null;
  Responsys_Opt_Out_At__c: string | null;
}
const optState = (objectType: 'Lead' | 'Contact', id: string) =>
  recordOf<OptState>(emulators, objectType, id, [
    'HasOptedOutOfEmail',
    'Responsys_Opt_Out_Source__c',
    'Responsys_Opt_Out_At__c',
  ]);
const permission = (riid: string) =>
  emulators.responsys.control.findMember({ riid })?.EMAIL_PERMISSION_STATUS_;
const admin = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${running.bridge.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('opt-outs from Responsys', () => {
  it('reach every Lead and Contact with the address at once, with the source, the time and a timeline record', async () => {
    const [contact] = await makePeople(emulators, running, 'Contact', ['everyone@optout.example'], {
      link: true,
    });
    const [lead] = emulators.salesforce.insert(
      'Lead',
      [{ LastName: 'Same Person', Company: 'Dup Co', Email: 'Everyone@OptOut.example' }],
      {
        asUser: 'admin@example.com',
      },
    );
    const [other] = emulators.salesforce.insert(
      'Contact',
      [{ LastName: 'Shared Inbox', Email: 'everyone@optout.example' }],
      {
        asUser: 'admin@example.com',
      },
    );
    const started = Date.now();
    emulators.responsys.control.injectEngagement([{ type: 'opted_out', recipient: { riid: contact!.riid } }]);

    // The callback alone (no file yet): it names only the RIID, the address comes from Responsys.
    await eventually('all three opted out', () =>
      [optState('Contact', contact!.id), optState('Lead', lead!), optState('Contact', other!)].every(
        (state) => state.HasOptedOutOfEmail,
      ),
    );
    // No file was exported: the callback alone carried it, through the flow's express lane.
    const optOut = await eventually('the opt-out recorded as applied', async () => {
      const [event] = await new EngagementEventStore(running.bridge.context.store.db).forRiids(
        [contact!.riid],
        ['Opted_Out'],
      );
      return event?.optStatus === 'applied' && event;
    });
    expect(optOut.origin).toBe('callback');
    // The flow records the event as applied before the queue logs the record's outcome.
    const line = await eventually('the opt-out in the sync log', async () =>
      (await running.bridge.context.store.syncLog.historyFor(contact!.riid)).find(
        (entry) => entry.flow === OPT_OUTS_INBOUND_FLOW,
      ),
    );
    expect(line.details).toMatchObject({ decisive: { type: 'Opted_Out' } });
    for (const [objectType, id] of [
      ['Contact', contact!.id],
      ['Lead', lead!],
      ['Contact', other!],
    ] as const) {
      const state = optState(objectType, id);
      expect(state.Responsys_Opt_Out_Source__c).toBe('Responsys');
      // when the bridge received the callback (its file row, when it comes, has the exact time)
      expect(Date.parse(state.Responsys_Opt_Out_At__c!)).toBeGreaterThanOrEqual(started - 1000);
    }
    const [record] = await eventually('the Opted_Out record on the Contact', () => {
      const rows = engagementOf(emulators, contact!.id).filter((row) => row.Event_Type__c === 'Opted_Out');
      return rows.length === 1 && rows;
    });
    expect(record!.Contact__c).toBe(contact!.id);
    // The bridge's own writes are in the ledger, so the outbound flows never send them back.
    await eventually('the three writes in the ledger', async () => {
      const ledger = await running.bridge.context.store.syncLedger.forRecords([contact!.id, lead!, other!]);
      return (
        ledger.filter(
          (entry) => entry.target === 'HasOptedOutOfEmail' && entry.direction === 'responsys_to_salesforce',
        ).length === 3
      );
    });
    expect(permission(contact!.riid)).toBe('O');
  });

  it('applies an opt-in only from the person and newer than the last opt-out; a callback opt-in waits for its file row', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['comeback@optout.example'], {
      link: true,
    });
    emulators.responsys.control.injectEngagement([
      {
        type: 'opted_out',
        recipient: { riid: person!.riid },
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
      },
    ]);
    await eventually('the opt-out', () => optState('Contact', person!.id).HasOptedOutOfEmail);

    // An opt-in made by an API user: recorded, never applied.
    emulators.responsys.control.injectEngagement([
      { type: 'opted_in', recipient: { riid: person!.riid }, source: 'API' },
    ]);
    await emulators.responsys.control.flushNotifications();
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    await eventually('the API opt-in to be recorded on the timeline', () =>
      engagementOf(emulators, person!.id).some(
        (row) =>
          row.Event_Type__c === 'Opted_In' &&
          row.Launch_Id__c === null &&
          /source API/.test(row.Detail__c ?? ''),
      ),
    );
    expect(optState('Contact', person!.id).HasOptedOutOfEmail).toBe(true);

    // The person's own opt-in (a preference form): the callback says nothing of who; its file row does.
    emulators.responsys.control.injectEngagement([
      { type: 'opted_in', recipient: { riid: person!.riid }, source: 'FORM' },
    ]);
    await emulators.responsys.control.flushNotifications();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(optState('Contact', person!.id).HasOptedOutOfEmail).toBe(true);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    await eventually('the opt-in from the person', () => !optState('Contact', person!.id).HasOptedOutOfEmail);
    expect(optState('Contact', person!.id)).toMatchObject({
      Responsys_Opt_Out_Source__c: null,
      Responsys_Opt_Out_At__c: null,
    });
  });

  it('never lets an old opt-in undo a newer opt-out made in Salesforce', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['stale@optout.example'], {
      link: true,
    });
    // Opted out by a rep in Salesforce just now (the trigger stamps source and time).
    emulators.salesforce.update([{ Id: person!.id, HasOptedOutOfEmail: true }], {
      asUser: 'rep@example.com',
    });
    emulators.responsys.control.injectEngagement([
      {
        type: 'opted_in',
        recipient: { riid: person!.riid },
        source: 'FORM',
        occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
      },
    ]);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    // Held while only the callback was there; decided once the file row said who opted in.
    const line = await eventually('the opt-in to be decided', async () =>
      (await running.bridge.context.store.syncLog.historyFor(person!.riid)).find(
        (entry) => entry.flow === OPT_OUTS_INBOUND_FLOW && entry.errorCode === 'OPT_IN_NOT_NEWER',
      ),
    );
    expect(line.reason).toMatch(/^the opt-in \(.*\) is not newer than the last opt-out \(.*\)$/);
    expect(optState('Contact', person!.id)).toMatchObject({
      HasOptedOutOfEmail: true,
      Responsys_Opt_Out_Source__c: 'Salesforce',
    });
  });

  it('keeps the opt-out on both sides when an update of the same person sets Responsys back to opted in meanwhile', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['racing@optout.example'], {
      link: true,
    });
    emulators.responsys.control.injectEngagement([{ type: 'opted_out', recipient: { riid: person!.riid } }]);
    // An update of the person queued before the opt-out reached Salesforce, merged now with the
    // permission status Salesforce still showed.
    await running.responsys.mergeProfileMembers(
      [{ RIID_: person!.riid, EMAIL_PERMISSION_STATUS_: 'I', TITLE: 'Buyer' }],
      {
        matchColumn: 'RIID_',
        insertOnNoMatch: false,
        defaultPermissionStatus: 'OPTIN',
      },
    );
    await eventually('Salesforce opted out', () => optState('Contact', person!.id).HasOptedOutOfEmail);
    await eventually('Responsys opted out again', () => permission(person!.riid) === 'O');
    expect(emulators.responsys.control.findMember({ riid: person!.riid })?.TITLE).toBe('Buyer');
  });

  it('keeps an opt-out for someone Salesforce does not know, and applies it when they appear', async () => {
    const merged = await running.responsys.mergeProfileMembers(
      [{ EMAIL_ADDRESS_: 'later@optout.example', EMAIL_PERMISSION_STATUS_: 'I' }],
      {
        matchColumn: 'EMAIL_ADDRESS_',
        defaultPermissionStatus: 'OPTIN',
      },
    );
    const riid = (merged[0] as { riid: string }).riid;
    emulators.responsys.control.injectEngagement([{ type: 'opted_out', recipient: { riid } }]);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    await eventually('the opt-out to wait for a match', async () =>
      (await running.bridge.context.store.syncLog.historyFor(riid)).some(
        (entry) => entry.errorCode === 'NO_MATCH',
      ),
    );
    const [contactId] = emulators.salesforce.insert(
      'Contact',
      [{ LastName: 'Later', Email: 'later@optout.example' }],
      {
        asUser: 'admin@example.com',
      },
    );
    await admin('POST', '/engagement/unmatched/retry', { riid });
    await eventually(
      'the opt-out on the new Contact',
      () => optState('Contact', contactId!).HasOptedOutOfEmail,
    );
  });
});

describe('the opt-out reconciliation', () => {
  it('reports drift in a dry run, heals it by the rule, and says what it changed (admin API and CLI)', async () => {
    const [outInSalesforce, outInResponsys, agreeing] = await makePeople(
      emulators,
      running,
      'Contact',
      ['drift-sf@reconcile.example', 'drift-rsys@reconcile.example', 'agree@reconcile.example'],
      { link: true, riidOnRecord: true },
    );
    // Salesforce opted out, Responsys never heard of it (an outbound failure long ago).
    emulators.salesforce.update(
      [
        {
          Id: outInSalesforce!.id,
          HasOptedOutOfEmail: true,
          Responsys_Opt_Out_Source__c: 'Salesforce',
          Responsys_Opt_Out_At__c: '2026-01-01T00:00:00Z',
        },
      ],
      { asUser: 'bridge@example.com' },
    );
    // Opted out, then opted in again by the person; Salesforce later shows the old opt-out again
    // (a restore from a backup), while Responsys says in.
    const [cameBack] = await makePeople(emulators, running, 'Contact', ['came-back@reconcile.example'], {
      link: true,
      riidOnRecord: true,
    });
    emulators.responsys.control.injectEngagement([
      {
        type: 'opted_out',
        recipient: { riid: cameBack!.riid },
        occurredAt: new Date(Date.now() - 120_000).toISOString(),
      },
      {
        type: 'opted_in',
        recipient: { riid: cameBack!.riid },
        source: 'FORM',
        occurredAt: new Date(Date.now() - 60_000).toISOString(),
      },
    ]);
    await emulators.responsys.control.flushNotifications();
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    await eventually(
      'the opt-in from the person applied',
      async () => {
        const events = await new EngagementEventStore(running.bridge.context.store.db).forRiids(
          [cameBack!.riid],
          ['Opted_In'],
        );
        return events.some((event) => event.optStatus === 'applied');
      },
      45_000,
    );
    await eventually(
      'the person opted in again',
      () => !optState('Contact', cameBack!.id).HasOptedOutOfEmail,
    );
    emulators.salesforce.update(
      [
        {
          Id: cameBack!.id,
          HasOptedOutOfEmail: true,
          Responsys_Opt_Out_Source__c: 'Responsys',
          Responsys_Opt_Out_At__c: new Date(Date.now() - 120_000).toISOString(),
        },
      ],
      { asUser: 'bridge@example.com' },
    );
    // Responsys opted out, the event never arrived.
    await running.responsys.mergeProfileMembers(
      [{ RIID_: outInResponsys!.riid, EMAIL_PERMISSION_STATUS_: 'O' }],
      {
        matchColumn: 'RIID_',
        insertOnNoMatch: false,
        defaultPermissionStatus: 'OPTOUT',
      },
    );

    const dry = await admin('POST', '/opt-outs/reconciliations', { dryRun: true });
    expect(dry.status).toBe(202);
    const dryRun = await eventually('the dry run report', async () => {
      const { body } = await admin('GET', '/opt-outs/reconciliations?limit=1');
      const [run] = body.reconciliations as Array<{ id: number; state: string; dryRun: boolean }>;
      return run?.dryRun && run.state === 'done' && run;
    });
    const dryReport = await admin('GET', `/opt-outs/reconciliations/${dryRun.id}`);
    const dryChanges = dryReport.body.changes as Array<{
      salesforceId: string;
      side: string;
      outcome: string;
    }>;
    expect(dryChanges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          salesforceId: outInSalesforce!.id,
          side: 'responsys',
          outcome: 'would_heal',
        }),
        expect.objectContaining({
          salesforceId: outInResponsys!.id,
          side: 'salesforce',
          outcome: 'would_heal',
        }),
      ]),
    );
    expect(dryChanges.some((change) => change.salesforceId === agreeing!.id)).toBe(false);
    expect(permission(outInSalesforce!.riid)).toBe('I');
    expect(optState('Contact', outInResponsys!.id).HasOptedOutOfEmail).toBe(false);

    // The real run, from the CLI against the running bridge (as an operator would).
    const cli = spawnCli(['--url', running.bridge.url!, 'opt-outs', 'reconcile', '--wait', '--json'], {
      BRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
      BRIDGE_LOG_LEVEL: 'silent',
    });
    expect(await cli.exited).toBe(0);
    const report = JSON.parse(cli.output().slice(cli.output().indexOf('{'))) as {
      reconciliation: {
        dryRun: boolean;
        drift: number;
        healedSalesforce: number;
        healedResponsys: number;
        failed: number;
      };
      changes: Array<{ salesforceId: string; side: string; outcome: string; reason: string }>;
    };
    expect(report.reconciliation).toMatchObject({ dryRun: false, failed: 0 });
    expect(report.reconciliation.healedSalesforce).toBeGreaterThanOrEqual(1);
    expect(report.reconciliation.healedResponsys).toBeGreaterThanOrEqual(1);
    expect(report.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ salesforceId: outInSalesforce!.id, side: 'responsys', outcome: 'healed' }),
        expect.objectContaining({
          salesforceId: outInResponsys!.id,
          side: 'salesforce',
          outcome: 'healed',
          reason: 'opted out in Responsys, not in Salesforce: opted out wins',
        }),
      ]),
    );
    expect(permission(outInSalesforce!.riid)).toBe('O');
    expect(optState('Contact', outInResponsys!.id)).toMatchObject({
      HasOptedOutOfEmail: true,
      Responsys_Opt_Out_Source__c: 'Responsys',
    });
    expect(optState('Contact', agreeing!.id).HasOptedOutOfEmail).toBe(false);
    // The person's own, newer opt-in wins over the old opt-out Salesforce showed again.
    expect(report.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          salesforceId: cameBack!.id,
          side: 'salesforce',
          outcome: 'healed',
          reason: expect.stringMatching(/^the person opted in again in Responsys at .*, after the opt-out$/),
        }),
      ]),
    );
    expect(optState('Contact', cameBack!.id).HasOptedOutOfEmail).toBe(false);
    expect(permission(cameBack!.riid)).toBe('I');
    expect(running.bridge.context.queue.taskNames()).toContain(RECONCILE_OPT_OUTS_TASK);
  }, 90_000);
});

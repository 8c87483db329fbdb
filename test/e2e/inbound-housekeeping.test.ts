import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PURGE_ENGAGEMENT_TASK, REFRESH_SCORES_TASK } from '../../bridge/src/flows/engagement/names.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  engagementOf,
  inboundEnv,
  makePeople,
  recordOf,
  startInboundBridge,
  startInboundEmulators,
  type InboundBridge,
  type InboundEmulators,
} from './inbound-support.js';
import { eventually } from './support.js';

// Keeping engagement storage under control: opens only counted in the summary, old records purged
// after the retention period, and scores that decayed since they were written brought up to date.

let emulators: InboundEmulators;
let database: TestDatabase;
let running: InboundBridge;

beforeAll(async () => {
  emulators = await startInboundEmulators();
  database = await createTestDatabase('e2e_inbound_housekeeping');
  running = await startInboundBridge(
    inboundEnv(emulators, database.url, {
      BRIDGE_ENGAGEMENT_OPENS: 'count',
      BRIDGE_ENGAGEMENT_RETENTION_DAYS: '30',
      BRIDGE_ENGAGEMENT_SCORE_HALF_LIFE_DAYS: '1',
      BRIDGE_ENGAGEMENT_SCORE_WEIGHTS: 'Opened=2,Clicked=10',
    }),
  );
}, 60_000);

afterAll(async () => {
  await running?.stop();
  await database?.drop();
  await emulators?.close();
});

const base = Math.floor(Date.now() / 1000) * 1000;
const ago = (minutes: number) => new Date(base - minutes * 60_000).toISOString();
const summaryOf = (id: string) =>
  recordOf<{
    Responsys_Engagement_Score__c: number | null;
    Responsys_Last_Opened_At__c: string | null;
    Responsys_Last_Clicked_At__c: string | null;
  }>(emulators, 'Contact', id, [
    'Responsys_Engagement_Score__c',
    'Responsys_Last_Opened_At__c',
    'Responsys_Last_Clicked_At__c',
  ]);

describe('engagement housekeeping', () => {
  it('counts opens in the summary without keeping a record of each', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['counted@housekeeping.example'], {
      link: true,
    });
    emulators.responsys.control.injectEngagement([
      { type: 'opened', recipient: { riid: person!.riid }, occurredAt: ago(20) },
      { type: 'opened', recipient: { riid: person!.riid }, occurredAt: ago(10) },
      {
        type: 'clicked',
        recipient: { riid: person!.riid },
        link: { url: 'https://www.example.com/x' },
        occurredAt: ago(9),
      },
    ]);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    const summary = await eventually('the summary with both opens', () => {
      const current = summaryOf(person!.id);
      return current.Responsys_Last_Opened_At__c && current.Responsys_Last_Clicked_At__c && current;
    });
    expect(new Date(summary.Responsys_Last_Opened_At__c!).toISOString()).toBe(ago(10));
    // 2 + 2 + 10 points, barely decayed in minutes
    expect(summary.Responsys_Engagement_Score__c).toBe(14);
    expect(engagementOf(emulators, person!.id).map((row) => row.Event_Type__c)).toEqual(['Clicked']);
  });

  it('purges engagement records older than the retention period and keeps the rest', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['purge@housekeeping.example'], {
      link: true,
    });
    const [oldId, recentId] = emulators.salesforce.insert(
      'Responsys_Engagement__c',
      [
        {
          Event_Key__c: 'old-event',
          Event_Type__c: 'Sent',
          Occurred_At__c: new Date(base - 40 * 86_400_000).toISOString(),
          Contact__c: person!.id,
        },
        {
          Event_Key__c: 'recent-event',
          Event_Type__c: 'Sent',
          Occurred_At__c: new Date(base - 5 * 86_400_000).toISOString(),
          Contact__c: person!.id,
        },
      ],
      { asUser: 'bridge@example.com' },
    );
    await running.bridge.context.queue.runTask(PURGE_ENGAGEMENT_TASK);
    await eventually(
      'the old record to be gone',
      () => !engagementOf(emulators, person!.id).some((row) => row.Id === oldId),
    );
    expect(engagementOf(emulators, person!.id).map((row) => row.Id)).toEqual([recentId]);
  });

  it('rewrites a score that decayed since it was written', async () => {
    const [person] = await makePeople(emulators, running, 'Contact', ['decay@housekeeping.example'], {
      link: true,
    });
    emulators.responsys.control.injectEngagement([
      {
        type: 'clicked',
        recipient: { riid: person!.riid },
        link: { url: 'https://www.example.com/y' },
        occurredAt: ago(5),
      },
    ]);
    await emulators.responsys.control.exportEventFiles({ profileLists: false });
    await eventually('the first score', () => summaryOf(person!.id).Responsys_Engagement_Score__c === 10);
    // As if the score had been written two days ago (two half-lives).
    await running.bridge.context.store.db.query(
      `UPDATE bridge.engagement_summaries SET score_at = score_at - interval '2 days' WHERE salesforce_id = $1`,
      [person!.id],
    );
    await running.bridge.context.queue.runTask(REFRESH_SCORES_TASK);
    // 10 points a few minutes old, two half-lives later: a quarter left
    await eventually('the decayed score', () => summaryOf(person!.id).Responsys_Engagement_Score__c === 2);
  });
});

import { describe, expect, it } from 'vitest';
import {
  decideOpt,
  type OptEvent,
  type PersonRecord,
} from '../../../bridge/src/flows/opt-outs/inbound-rule.js';

const at = (hour: number) => new Date(Date.UTC(2026, 2, 1, hour));
const sources = ['FORM', 'LINK'];

const optOut = (hour: number, extra: Partial<OptEvent> = {}): OptEvent => ({
  eventKey: `out-${hour}`,
  type: 'Opted_Out',
  occurredAt: at(hour),
  occurredAtExact: true,
  origin: 'file',
  source: 'LINK',
  pending: true,
  ...extra,
});
const optIn = (hour: number, extra: Partial<OptEvent> = {}): OptEvent => ({
  ...optOut(hour),
  eventKey: `in-${hour}`,
  type: 'Opted_In',
  source: 'FORM',
  ...extra,
});
const record = (
  id: string,
  optedOut: boolean,
  optOutAt: Date | null = null,
  source: string | null = null,
): PersonRecord => ({
  id,
  objectType: id.startsWith('00Q') ? 'Lead' : 'Contact',
  optedOut,
  optOutAt,
  optOutSource: source,
});

describe('the opt-out rule for events from Responsys', () => {
  it('opts out every record not opted out yet, with Responsys as the source and the time of the opt-out', () => {
    const decision = decideOpt(
      [optOut(10)],
      [record('003A', false), record('00QB', false), record('003C', true, at(2), 'Salesforce')],
      sources,
    );
    expect(decision.writes).toEqual([
      {
        id: '003A',
        objectType: 'Contact',
        optedOut: true,
        fields: {
          HasOptedOutOfEmail: true,
          Responsys_Opt_Out_Source__c: 'Responsys',
          Responsys_Opt_Out_At__c: at(10).toISOString(),
        },
      },
      expect.objectContaining({ id: '00QB', optedOut: true }),
    ]);
    expect(decision.kept).toEqual([{ id: '003C', reason: 'already opted out (Salesforce)' }]);
    expect(decision.statuses.get('out-10')).toEqual({ status: 'applied', reason: 'opt-out applied' });
  });

  it('lets an opt-in from the person, newer than every opt-out, clear the opt-out', () => {
    const decision = decideOpt(
      [optOut(8, { pending: false }), optIn(12)],
      [record('003A', true, at(8), 'Responsys')],
      sources,
    );
    expect(decision.writes).toEqual([
      {
        id: '003A',
        objectType: 'Contact',
        optedOut: false,
        fields: {
          HasOptedOutOfEmail: false,
          Responsys_Opt_Out_Source__c: null,
          Responsys_Opt_Out_At__c: null,
        },
      },
    ]);
  });

  it('holds an opt-in that is not from the person, and one from a callback that says nobody', () => {
    const api = decideOpt([optIn(12, { source: 'API' })], [record('003A', true, at(8))], sources);
    expect(api.writes).toEqual([]);
    expect(api.statuses.get('in-12')?.status).toBe('held');
    expect(api.statuses.get('in-12')?.reason).toMatch(/opt-in source API is not the person/);
    const callback = decideOpt(
      [optIn(12, { origin: 'callback', source: null })],
      [record('003A', true, at(8))],
      sources,
    );
    expect(callback.writes).toEqual([]);
    expect(callback.statuses.get('in-12')?.reason).toMatch(/its Contact Event Data row decides/);
  });

  it('never opts in over an opt-out that is newer, or whose time is unknown', () => {
    const newer = decideOpt([optIn(12)], [record('003A', true, at(13), 'Salesforce')], sources);
    expect(newer.writes).toEqual([]);
    expect(newer.statuses.get('in-12')?.status).toBe('ignored');
    const unknown = decideOpt(
      [optIn(12)],
      [record('003A', true, at(1)), record('003B', true, null)],
      sources,
    );
    expect(unknown.writes.map((write) => write.id)).toEqual(['003A']);
    expect(unknown.kept).toEqual([{ id: '003B', reason: 'opted out at an unknown time' }]);
  });

  it("dates an opt-out the bridge wrote from Responsys by the person's event, not the callback's receipt", () => {
    // The callback was received at 12:00 and written as the record's time; its file row says 11:00.
    const decision = decideOpt(
      [optOut(11, { pending: false }), optIn(11, { occurredAt: new Date(Date.UTC(2026, 2, 1, 11, 30)) })],
      [record('003A', true, at(12), 'Responsys')],
      sources,
    );
    expect(decision.writes.map((write) => write.id)).toEqual(['003A']);
  });

  it("holds an opt-in that only a callback's receipt time makes look older than the opt-out", () => {
    // The opt-out callback was received at 12:00 (its file row, still to come, has the real time); the
    // person opted in at 11:30.
    const byCallback = optOut(12, { origin: 'callback', occurredAtExact: false, pending: false });
    const lateOptIn = optIn(11, { occurredAt: new Date(Date.UTC(2026, 2, 1, 11, 30)) });
    const waiting = decideOpt([byCallback, lateOptIn], [record('003A', true, at(12), 'Responsys')], sources);
    expect(waiting.writes).toEqual([]);
    expect(waiting.statuses.get('in-11')).toEqual({
      status: 'held',
      reason: expect.stringMatching(
        /^the opt-out after it is known from a callback received at .*; its Contact Event Data row gives/,
      ),
    });
    // An exact opt-out after the opt-in still decides at once.
    const newer = decideOpt(
      [byCallback, lateOptIn],
      [record('003A', true, at(12), 'Responsys'), record('003B', true, at(13), 'Salesforce')],
      sources,
    );
    expect(newer.statuses.get('in-11')?.status).toBe('ignored');
  });

  it('decides by the latest event when an opt-out, an opt-in and an opt-out arrive together', () => {
    const decision = decideOpt([optOut(8), optIn(9), optOut(11)], [record('003A', false)], sources);
    expect(decision.decisive?.eventKey).toBe('out-11');
    expect(decision.writes[0]!.fields.Responsys_Opt_Out_At__c).toBe(at(11).toISOString());
    expect(decision.statuses.get('in-9')?.status).toBe('ignored');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  members,
  programEntries,
  record,
  startOutboundRig,
  type OutboundRig,
} from './outbound-harness.js';

// F3 end to end: a rep moves an Opportunity to a stage a program route names; its contacts (every
// contact role, the primary one among them) are merged into Responsys if they were not yet, and enter
// the route's program, once within its cooldown however often the stage goes back and forth.

let rig: OutboundRig;

beforeAll(async () => {
  rig = await startOutboundRig();
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

const sf = () => rig.emulators.salesforce;
let deal = 0;

/**
 * An Account, its Contacts and an Opportunity at Prospecting with a contact role for each Contact.
 * The Contacts were there before the bridge (created as the integration user, which publishes no
 * event), so they are not in Responsys yet.
 */
function opportunityWith(contacts: Array<Record<string, string | boolean>>): {
  opportunityId: string;
  contactIds: string[];
} {
  deal += 1;
  const [accountId] = sf().insert('Account', [{ Name: `Deal Account ${deal}` }]);
  const contactIds = sf().insert(
    'Contact',
    contacts.map((contact, i) => ({ LastName: `Buyer${deal}-${i}`, AccountId: accountId!, ...contact })),
    { asUser: 'bridge@example.com' },
  );
  const [opportunityId] = sf().insert('Opportunity', [
    { Name: `Deal ${deal}`, AccountId: accountId!, StageName: 'Prospecting', CloseDate: '2030-01-31' },
  ]);
  sf().insert(
    'OpportunityContactRole',
    contactIds.map((ContactId, i) => ({
      OpportunityId: opportunityId!,
      ContactId,
      IsPrimary: i === 0,
      Role: i === 0 ? 'Decision Maker' : 'Evaluator',
    })),
  );
  return { opportunityId: opportunityId!, contactIds };
}

const moveTo = (opportunityId: string, StageName: string) =>
  sf().update([{ Id: opportunityId, StageName }], { asUser: 'rep@example.com' });

const riidOf = (contactId: string) =>
  record<{ Responsys_RIID__c: string | null }>(rig, 'Contact', contactId, 'Responsys_RIID__c')
    .Responsys_RIID__c;

const opportunityLines = async (opportunityId: string) =>
  (await rig.history(opportunityId)).filter((line) => line.flow === 'opportunity-programs');

describe('an Opportunity stage change into the mapped program', () => {
  it('merges its contacts first and enters each of them, the primary contact too', async () => {
    const { opportunityId, contactIds } = opportunityWith([
      { Email: 'primary.buyer@example.com' },
      { Email: 'second.buyer@example.com' },
    ]);
    expect(members(rig, contactIds[0]!)).toEqual([]);
    moveTo(opportunityId, 'Proposal/Price Quote');
    const [line] = await eventually('the opportunity outcome', () =>
      opportunityLines(opportunityId).then((l) => l.length > 0 && l),
    );
    expect(line).toMatchObject({ outcome: 'succeeded' });
    expect(line!.reason).toContain('2 of 2 contact(s) entered SF_OPP_PROPOSAL');
    for (const contactId of contactIds) {
      const riid = riidOf(contactId);
      expect(riid).toBeTruthy();
      expect(members(rig, contactId)[0]?.RIID_).toBe(riid);
      expect(programEntries(rig, riid)).toEqual(['SF_OPP_PROPOSAL']);
    }
  });

  it('does nothing for a stage no route maps', async () => {
    const { opportunityId, contactIds } = opportunityWith([{ Email: 'unmapped.stage@example.com' }]);
    moveTo(opportunityId, 'Qualification');
    const [line] = await eventually('the opportunity outcome', () =>
      opportunityLines(opportunityId).then((l) => l.length > 0 && l),
    );
    expect(line).toMatchObject({ outcome: 'skipped', errorCode: 'NO_ROUTE' });
    expect(members(rig, contactIds[0]!)).toEqual([]);
  });

  it('enters the contacts once when the stage goes back and forth within the cooldown', async () => {
    const { opportunityId, contactIds } = opportunityWith([{ Email: 'back.forth@example.com' }]);
    moveTo(opportunityId, 'Proposal/Price Quote');
    await eventually('the first entry', () => programEntries(rig, riidOf(contactIds[0]!)).length === 1);
    moveTo(opportunityId, 'Negotiation/Review');
    moveTo(opportunityId, 'Proposal/Price Quote');
    const cooldown = await eventually('the cooldown skip', async () =>
      (await rig.history(contactIds[0]!)).find(
        (line) => line.flow === 'opportunity-programs' && line.errorCode === 'COOLDOWN',
      ),
    );
    expect(cooldown.reason).toMatch(/cooldown 14 days/);
    expect(programEntries(rig, riidOf(contactIds[0]!))).toEqual(['SF_OPP_PROPOSAL']);
  });

  it('skips an opted-out contact with the reason and enters the others', async () => {
    const { opportunityId, contactIds } = opportunityWith([
      { Email: 'happy.buyer@example.com' },
      { Email: 'quiet.buyer@example.com', HasOptedOutOfEmail: true },
    ]);
    moveTo(opportunityId, 'Closed Won');
    const [line] = await eventually('the opportunity outcome', () =>
      opportunityLines(opportunityId).then((l) => l.length > 0 && l),
    );
    expect(line!.reason).toContain('1 of 2 contact(s) entered SF_OPP_CLOSED_WON');
    expect(programEntries(rig, riidOf(contactIds[0]!))).toEqual(['SF_OPP_CLOSED_WON']);
    expect(programEntries(rig, riidOf(contactIds[1]!))).toEqual([]);
    const skip = (await rig.history(contactIds[1]!)).find((entry) => entry.flow === 'opportunity-programs');
    expect(skip).toMatchObject({ outcome: 'skipped', errorCode: 'OPTED_OUT' });
  });
});

import { describe, expect, it } from 'vitest';
import { readCallbackBatch } from '../../../bridge/src/flows/engagement/callbacks.js';
import { readCedRow } from '../../../bridge/src/flows/engagement/ced-rows.js';
import {
  callbackEventKey,
  payloadFingerprint,
  type EngagementEvent,
} from '../../../bridge/src/flows/engagement/events.js';
import { engagementFeedOf, engagementFileOrder } from '../../../bridge/src/flows/engagement/feeds.js';
import type { FileRow } from '../../../bridge/src/responsys/files/index.js';

const row = (values: Record<string, string>, line = 2): FileRow => ({ line, values });

const common = {
  EVENT_TYPE_ID: '5',
  ACCOUNT_ID: '12345',
  LIST_ID: '7001',
  RIID: '1001',
  CUSTOMER_ID: '00Q000000000001AAA',
  EVENT_CAPTURED_DT: '03-JAN-2019 13:05:32',
  EVENT_STORED_DT: '03-JAN-2019 13:06:00',
  CAMPAIGN_ID: '310003',
  LAUNCH_ID: '5500103',
};

const event = (result: ReturnType<typeof readCedRow>): EngagementEvent => {
  if (result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
  return result.event;
};

describe('Contact Event Data rows', () => {
  it('turns a click row into an event with its link, campaign ids and exact UTC time', () => {
    const click = event(
      readCedRow(
        row({
          ...common,
          OFFER_NAME: 'Pricing',
          OFFER_URL: 'https://example.com/pricing',
          OFFER_NUMBER: '2',
        }),
        { feed: 'CLICK', fileName: '12345_CLICK_20190103_130532.txt' },
      ),
    );
    expect(click).toMatchObject({
      origin: 'file',
      type: 'Clicked',
      riid: '1001',
      customerId: '00Q000000000001AAA',
      occurredAt: new Date('2019-01-03T13:05:32Z'),
      occurredAtExact: true,
      campaignId: '310003',
      launchId: '5500103',
      offerName: 'Pricing',
      offerUrl: 'https://example.com/pricing',
      originRef: '12345_CLICK_20190103_130532.txt:2',
    });
    expect(click.eventKey).toMatch(/^F[0-9a-f]{40}$/);
  });

  it('gives the same row read from another file the same key, and another link another key', () => {
    const read = (values: Record<string, string>, fileName: string) =>
      event(readCedRow(row(values, 9), { feed: 'CLICK', fileName })).eventKey;
    const base = { ...common, OFFER_URL: 'https://example.com/a' };
    expect(read(base, 'a.txt')).toBe(read(base, 'b.txt'));
    expect(read(base, 'a.txt')).not.toBe(read({ ...base, OFFER_URL: 'https://example.com/b' }, 'a.txt'));
    expect(read(base, 'a.txt')).not.toBe(
      read({ ...base, EVENT_CAPTURED_DT: '03-JAN-2019 13:05:33' }, 'a.txt'),
    );
  });

  it('keys a bounce and a click of the same launch and second apart', () => {
    const bounce = event(
      readCedRow(
        row({ ...common, BOUNCE_TYPE: 'H', REASON: 'USER_NOT_FOUND', REASON_CODE: '550 5.1.1 unknown' }),
        {
          feed: 'BOUNCE',
          fileName: 'b.txt',
        },
      ),
    );
    const click = event(
      readCedRow(row({ ...common, OFFER_URL: 'https://x' }), { feed: 'CLICK', fileName: 'c.txt' }),
    );
    expect(bounce.eventKey).not.toBe(click.eventKey);
    expect(bounce.detail).toBe('USER_NOT_FOUND: 550 5.1.1 unknown (hard bounce)');
  });

  it.each([
    [
      'CONVERT',
      { ORDER_ID: 'ORD-7', ORDER_TOTAL: '249.00', ORDER_QUANTITY: '2', SOURCE: 'LINK' },
      'ORD-7 (total 249.00, quantity 2)',
    ],
    [
      'OPT_OUT',
      { REASON: 'Opted out via unsubscribe link', SOURCE: 'LINK' },
      'Opted out via unsubscribe link (source LINK)',
    ],
    ['SKIPPED', { REASON: 'Expression resulted in an empty value' }, 'Expression resulted in an empty value'],
    ['COMPLAINT', { REASON: 'ABUSE', SPAM_TYPE: 'FBL' }, 'ABUSE (FBL)'],
  ])('describes a %s row in Detail__c', (feed, extra, detail) => {
    expect(event(readCedRow(row({ ...common, ...extra }), { feed, fileName: 'f.txt' })).detail).toBe(detail);
  });

  it('reads a LAUNCH_STATE row as the launch-to-campaign mapping', () => {
    const result = readCedRow(
      row({
        LAUNCH_ID: '5500103',
        CAMPAIGN_ID: '310003',
        CAMPAIGN_NAME: 'SF_Pricing_Offer',
        SF_CAMPAIGN_ID: '701000000000001AAA',
        LAUNCH_STARTED_DT: '03-JAN-2019 13:00:00',
      }),
      { feed: 'LAUNCH_STATE', fileName: 'l.txt' },
    );
    expect(result).toEqual({
      kind: 'launch',
      launch: expect.objectContaining({
        launchId: '5500103',
        campaignName: 'SF_Pricing_Offer',
        salesforceCampaignId: '701000000000001AAA',
        launchedAt: new Date('2019-01-03T13:00:00Z'),
      }),
    });
  });

  it('rejects rows without RIID or with an unreadable time, with the reason', () => {
    expect(readCedRow(row({ ...common, RIID: '' }), { feed: 'OPEN', fileName: 'o.txt' })).toEqual({
      kind: 'rejected',
      reason: 'RIID is empty',
    });
    expect(
      readCedRow(row({ ...common, EVENT_CAPTURED_DT: '2019/01/03' }), { feed: 'OPEN', fileName: 'o.txt' }),
    ).toEqual({
      kind: 'rejected',
      reason: expect.stringContaining('2019/01/03'),
    });
    expect(
      readCedRow(
        { line: 4, values: {}, problem: 'expected 9 values, found 3' },
        { feed: 'OPEN', fileName: 'o.txt' },
      ),
    ).toEqual({
      kind: 'rejected',
      reason: 'expected 9 values, found 3',
    });
  });

  it('uses the journey correlation id of the person when the bridge knows it', () => {
    const opened = event(
      readCedRow(row(common), {
        feed: 'OPEN',
        fileName: 'o.txt',
        correlationIdFor: (riid) => (riid === '1001' ? 'journey-1' : undefined),
      }),
    );
    expect(opened.correlationId).toBe('journey-1');
  });

  it('takes the email feeds of this account and leaves profile-list exports and markers to others', () => {
    expect(engagementFeedOf({ name: '12345_OPT_OUT_20240101_000000.txt' })).toBe('OPT_OUT');
    expect(engagementFeedOf({ name: '12345_LAUNCH_STATE_20240101_000000.txt' })).toBe('LAUNCH_STATE');
    expect(
      engagementFeedOf({ name: '12345_PROFILE_LIST_CONTACTS_LIST_20240101_000000.txt' }),
    ).toBeUndefined();
    expect(engagementFeedOf({ name: '12345_CLICK_20240101_000000.ready' })).toBeUndefined();
    expect(engagementFeedOf({ name: '12345_CLICK_20240101_000000.zip' })).toBeUndefined();
  });

  it('reads LAUNCH_STATE before the other feeds of the same export', () => {
    const at = new Date();
    const names = [
      '1_BOUNCE_20240101_000000.txt',
      '1_LAUNCH_STATE_20240101_000000.txt',
      '1_CLICK_20231231_235959.txt',
    ];
    expect(
      names
        .map((name) => ({ name, size: 1, modifiedAt: at }))
        .sort(engagementFileOrder)
        .map((f) => f.name),
    ).toEqual([
      '1_CLICK_20231231_235959.txt',
      '1_LAUNCH_STATE_20240101_000000.txt',
      '1_BOUNCE_20240101_000000.txt',
    ]);
  });
});

describe('Event Notification payloads', () => {
  const context = {
    fingerprint: 'f'.repeat(64),
    firstReceivedAt: new Date('2024-05-01T10:00:00Z'),
    receivedAt: new Date('2024-05-01T10:00:05Z'),
  };

  it('reads a documented bounce, click with one prop, failure with several props, and an opt-out', () => {
    const items = readCallbackBatch(
      [
        {
          campaignId: '193897761',
          riid: '3738409741',
          failureReason: 'MAILBOX_FULL',
          customerId: '10',
          recipient: 'x@y.com',
          failureType: 'EMAIL_BOUNCED',
          channelType: 'Email',
          campaignName: 'Summer Promotions',
        },
        {
          campaignId: '193897761',
          riid: '25667',
          failureType: 'EMAIL_CLICKED',
          channelType: 'Email',
          campaignName: 'Summer Promotions',
          optionalData: { props: { prop: { name: 'EMAIL_ADDRESS_', value: 'one@example.com' } } },
        },
        {
          campaignId: '193897761',
          riid: '25668',
          failureType: 'EMAIL_FAILED',
          failureReason: 'Message could not be built',
          channelType: 'Email',
          optionalData: {
            props: {
              prop: [
                { name: 'EMAIL_ADDRESS_', value: 'two@example.com' },
                { name: 'EMAIL_FORMAT_', value: 'H' },
              ],
            },
          },
        },
        {
          riid: '25667',
          customerId: '100AB',
          failureType: 'EMAIL_OPTOUT',
          channelType: 'Email',
          optionalData: null,
        },
      ],
      context,
    );
    expect(items.map((item) => item.kind)).toEqual(['event', 'event', 'event', 'event']);
    const events = items.map((item) => (item.kind === 'event' ? item.event : undefined)!);
    expect(events[0]).toMatchObject({
      type: 'Bounced',
      riid: '3738409741',
      email: 'x@y.com',
      detail: 'MAILBOX_FULL',
      campaignName: 'Summer Promotions',
      occurredAt: context.receivedAt,
      occurredAtExact: false,
    });
    expect(events[1]).toMatchObject({ type: 'Clicked', email: 'one@example.com', customerId: null });
    expect(events[2]).toMatchObject({
      type: 'Failed',
      email: 'two@example.com',
      detail: 'Message could not be built',
    });
    expect(events[3]).toMatchObject({ type: 'Opted_Out', customerId: '100AB', campaignId: null });
    expect(new Set(events.map((e) => e.eventKey)).size).toBe(4);
    expect(events[1]!.eventKey).toBe(callbackEventKey(context.fingerprint, context.firstReceivedAt, 1));
  });

  it('rejects payloads without a riid or type, and ignores other channels and types', () => {
    const items = readCallbackBatch(
      [
        { failureType: 'EMAIL_CLICKED' },
        { riid: 'abc', failureType: 'EMAIL_CLICKED' },
        'not an object',
        { riid: '1', failureType: 'SMS_FAILED', channelType: 'SMS' },
        { riid: '1', failureType: 'EMAIL_SOMETHING_NEW' },
      ],
      context,
    );
    expect(items).toEqual([
      expect.objectContaining({ kind: 'rejected', index: 0, reason: 'riid is missing' }),
      expect.objectContaining({ kind: 'rejected', index: 1, reason: 'riid must be a number' }),
      expect.objectContaining({ kind: 'rejected', index: 2, reason: 'the payload is not a JSON object' }),
      { kind: 'ignored', index: 3, reason: 'SMS events are not synced' },
      { kind: 'ignored', index: 4, reason: 'EMAIL_SOMETHING_NEW is not an email engagement type' },
    ]);
  });

  it('fingerprints a batch by content, whatever the key order', () => {
    expect(payloadFingerprint([{ riid: '1', failureType: 'EMAIL_CLICKED' }])).toBe(
      payloadFingerprint([{ failureType: 'EMAIL_CLICKED', riid: '1' }]),
    );
    expect(payloadFingerprint([{ riid: '1' }])).not.toBe(payloadFingerprint([{ riid: '2' }]));
  });
});

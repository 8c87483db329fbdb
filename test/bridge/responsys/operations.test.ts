import { createServer, type IncomingMessage, type Server } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isResponsysError } from '../../../bridge/src/responsys/errors.js';
import { withCorrelation } from '../../../bridge/src/shared/correlation.js';
import { contacts, startClientRig, type ClientRig } from './support.js';

// The client's domain operations against the Responsys emulator: merges of at most 200 records per
// call with per-record outcomes, retrieval, deletion, PET and supplemental-table merges, custom
// events, descriptions and Event Notification registration.

const merge = { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' } as const;

let rig: ClientRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('mergeProfileMembers', () => {
  it('splits 450 records into calls of 200, 200 and 50 and answers one RIID per record, in order', async () => {
    rig = await startClientRig();
    const records = contacts(450);
    const outcomes = await rig.client.mergeProfileMembers(records, merge);
    expect(rig.calls().mergeListRecipients).toBe(3);
    expect(outcomes).toHaveLength(450);
    outcomes.forEach((outcome, i) => {
      expect(outcome.ok).toBe(true);
      const member = rig!.emulator.control.findMember({ customerId: records[i]!.CUSTOMER_ID_ });
      expect(outcome.ok && outcome.riid).toBe(member?.RIID_);
    });
  });

  it('refuses a merge without an explicit defaultPermissionStatus before calling Responsys', async () => {
    rig = await startClientRig();
    const error = await rig.client
      .mergeProfileMembers(contacts(1), { matchColumn: 'CUSTOMER_ID_' } as unknown as typeof merge)
      .catch((caught: unknown) => caught);
    expect(isResponsysError(error) && error.errorCode).toBe('REQUEST_REFUSED_BY_CLIENT');
    expect((error as Error).message).toContain('explicit defaultPermissionStatus');
    expect(rig.calls().login ?? 0).toBe(0);
    expect(rig.calls().mergeListRecipients ?? 0).toBe(0);
  });

  it('refuses contradictory match rules (a hash key with inserts) before calling Responsys', async () => {
    rig = await startClientRig();
    await expect(
      rig.client.mergeProfileMembers(contacts(1), { ...merge, matchColumn: 'EMAIL_MD5_HASH_' }),
    ).rejects.toThrow('never inserts');
  });

  it('turns MERGEFAILED rows into per-record failures while the other rows merge', async () => {
    rig = await startClientRig();
    const records = contacts(3);
    records[1]!.EMAIL_ADDRESS_ = 'not-an-email';
    const outcomes = await rig.client.mergeProfileMembers(records, merge);
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[2]!.ok).toBe(true);
    expect(outcomes[1]).toEqual({
      ok: false,
      code: 'INVALID_PARAMETER',
      message: 'Bad Email Format',
      retryable: false,
      scope: 'record',
    });
    expect(rig.emulator.control.findMember({ customerId: records[2]!.CUSTOMER_ID_ })).toBeDefined();
    expect(rig.emulator.control.findMember({ customerId: records[1]!.CUSTOMER_ID_ })).toBeUndefined();
  });

  it('fails a record without EMAIL_PERMISSION_STATUS_ alone, and sends the others', async () => {
    rig = await startClientRig();
    const records: Array<Record<string, string | undefined>> = contacts(3);
    records[0] = { ...records[0], EMAIL_PERMISSION_STATUS_: undefined };
    records[2] = { ...records[2], EMAIL_PERMISSION_STATUS_: 'maybe' };
    const outcomes = await rig.client.mergeProfileMembers(records, merge);
    expect(outcomes[0]).toMatchObject({ ok: false, code: 'MISSING_PERMISSION_STATUS', scope: 'record' });
    expect(outcomes[1]!.ok).toBe(true);
    expect(outcomes[2]).toMatchObject({ ok: false, code: 'INVALID_PERMISSION_STATUS' });
    expect(rig.calls().mergeListRecipients).toBe(1);
  });

  it('stores the permission status sent with each record (opt-out stays opt-out)', async () => {
    rig = await startClientRig();
    const [optedIn, optedOut] = contacts(2);
    optedOut!.EMAIL_PERMISSION_STATUS_ = 'o';
    await rig.client.mergeProfileMembers([optedIn!, optedOut!], merge);
    expect(
      rig.emulator.control.findMember({ customerId: optedIn!.CUSTOMER_ID_ })?.EMAIL_PERMISSION_STATUS_,
    ).toBe('I');
    expect(
      rig.emulator.control.findMember({ customerId: optedOut!.CUSTOMER_ID_ })?.EMAIL_PERMISSION_STATUS_,
    ).toBe('O');
  });

  it('sends records with different column sets in different calls, so a column left out is never emptied', async () => {
    rig = await startClientRig();
    const [ann] = contacts(1);
    await rig.client.mergeProfileMembers([{ ...ann!, LAST_NAME: 'Original' }], merge);
    const outcomes = await rig.client.mergeProfileMembers(
      [
        { CUSTOMER_ID_: ann!.CUSTOMER_ID_, EMAIL_PERMISSION_STATUS_: 'I', FIRST_NAME: 'Ann' },
        { ...contacts(1, 'z')[0]!, LAST_NAME: 'Zed' },
      ],
      merge,
    );
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(rig.calls().mergeListRecipients).toBe(3);
    const member = rig.emulator.control.findMember({ customerId: ann!.CUSTOMER_ID_ });
    expect(member).toMatchObject({ FIRST_NAME: 'Ann', LAST_NAME: 'Original' });
  });

  it('fails records without a match value or with an invalid column name alone', async () => {
    rig = await startClientRig();
    const outcomes = await rig.client.mergeProfileMembers(
      [
        { EMAIL_ADDRESS_: 'a@example.com', EMAIL_PERMISSION_STATUS_: 'I' },
        { ...contacts(1)[0]!, 'BAD NAME': 'x' },
        contacts(1, 'ok')[0]!,
      ],
      merge,
    );
    expect(outcomes[0]).toMatchObject({ ok: false, code: 'MISSING_MATCH_VALUE' });
    expect(outcomes[1]).toMatchObject({ ok: false, code: 'INVALID_COLUMN_NAME' });
    expect(outcomes[2]!.ok).toBe(true);
  });

  it('logs each call with the correlation ids of the records in it, and no personal data', async () => {
    rig = await startClientRig();
    const records = contacts(2);
    await withCorrelation({ correlationIds: ['corr-a', 'corr-b'], flow: 'f4-profile-sync' }, () =>
      rig!.client.mergeProfileMembers(records, merge),
    );
    const line = rig.logs.lines.find((entry) => entry.msg === 'Responsys mergeListRecipients answered');
    expect(line).toMatchObject({
      correlationIds: ['corr-a', 'corr-b'],
      flow: 'f4-profile-sync',
      responsys: {
        fn: 'mergeListRecipients',
        path: '/rest/api/v1.3/lists/CONTACTS_LIST/members',
        status: 200,
        records: 2,
      },
    });
    expect(rig.logs.text()).not.toContain(records[0]!.EMAIL_ADDRESS_);
  });

  it('escapes non-ASCII text so Responsys accepts it, and the values arrive intact', async () => {
    rig = await startClientRig();
    const [record] = contacts(1);
    await rig.client.mergeProfileMembers(
      [{ ...record!, FIRST_NAME: 'Zoë 🎉', LAST_NAME: 'Łukasiewicz' }],
      merge,
    );
    expect(rig.emulator.control.findMember({ customerId: record!.CUSTOMER_ID_ })).toMatchObject({
      FIRST_NAME: 'Zoë 🎉',
      LAST_NAME: 'Łukasiewicz',
    });
  });
});

describe('retrieveProfileMembers and deleteProfileMembers', () => {
  it('reads members by email (case-insensitively), with every row when several share an id', async () => {
    rig = await startClientRig();
    await rig.client.mergeProfileMembers(
      [
        {
          CUSTOMER_ID_: 'lead-1',
          EMAIL_ADDRESS_: 'twin@example.com',
          EMAIL_PERMISSION_STATUS_: 'I',
          FIRST_NAME: 'Lead',
        },
        {
          CUSTOMER_ID_: 'contact-1',
          EMAIL_ADDRESS_: 'twin@example.com',
          EMAIL_PERMISSION_STATUS_: 'I',
          FIRST_NAME: 'Contact',
        },
      ],
      merge,
    );
    const found = await rig.client.retrieveProfileMembers(['Twin@Example.com', 'nobody@example.com'], {
      by: 'EMAIL_ADDRESS_',
      fields: ['CUSTOMER_ID_', 'FIRST_NAME'],
    });
    expect(
      found.byId
        .get('Twin@Example.com')!
        .map((row) => row.CUSTOMER_ID_)
        .sort(),
    ).toEqual(['contact-1', 'lead-1']);
    expect(found.byId.get('nobody@example.com')).toEqual([]);
    expect(Object.keys(found.rows[0]!).sort()).toEqual([
      'CUSTOMER_ID_',
      'EMAIL_ADDRESS_',
      'FIRST_NAME',
      'RIID_',
    ]);
  });

  it('reads 250 members by CUSTOMER_ID_ in two calls, and answers empty when none exists', async () => {
    rig = await startClientRig();
    const records = contacts(250);
    await rig.client.mergeProfileMembers(records, merge);
    const found = await rig.client.retrieveProfileMembers(
      records.map((record) => record.CUSTOMER_ID_!),
      { by: 'CUSTOMER_ID_' },
    );
    expect(found.rows).toHaveLength(250);
    expect(found.byId.get(records[249]!.CUSTOMER_ID_!)![0]!.FIRST_NAME).toBe('First249');
    expect(rig.calls().retrieveListRecipients).toBe(2);
    const none = await rig.client.retrieveProfileMembers(['missing'], { by: 'CUSTOMER_ID_' });
    expect(none.rows).toEqual([]);
  });

  it('deletes members by CUSTOMER_ID_, and answers deleted: false for one that does not exist', async () => {
    rig = await startClientRig();
    const outcomes = await rig.client.mergeProfileMembers(contacts(2), merge);
    const deleted = await rig.client.deleteProfileMembers(['c000000', 'ghost'], { by: 'CUSTOMER_ID_' });
    expect(deleted[0]).toEqual({ ok: true, deleted: true, riid: outcomes[0]!.ok ? outcomes[0]!.riid : '' });
    expect(deleted[1]).toEqual({ ok: true, deleted: false });
    expect(rig.emulator.control.findMember({ customerId: 'c000000' })).toBeUndefined();
    expect(rig.emulator.control.findMember({ customerId: 'c000001' })).toBeDefined();
  });
});

describe('profile extension tables and supplemental tables', () => {
  it('merges PET rows matched on RIID (sent without the underscore) and fails rows without the key alone', async () => {
    rig = await startClientRig({ emulator: { demoData: true } });
    const ava = rig.emulator.control.findMember({ email: 'ava.thompson@example.com' })!;
    const outcomes = await rig.client.mergeProfileExtension(
      'SF_SALES_PET',
      [
        { RIID_: ava.RIID_!, LEAD_STATUS: 'Working - Contacted', RATING: 'Hot' },
        { LEAD_STATUS: 'Open' },
        { RIID_: '999999999', LEAD_STATUS: 'Open' },
      ],
      { matchColumn: 'RIID_' },
    );
    expect(outcomes[0]).toEqual({ ok: true, riid: ava.RIID_ });
    expect(outcomes[1]).toMatchObject({ ok: false, code: 'MISSING_MATCH_VALUE', scope: 'record' });
    expect(outcomes[2]).toMatchObject({ ok: false, scope: 'record' });
    const rows = rig.emulator.control.state(['lists']).lists!.CONTACTS_LIST!.extensions.SF_SALES_PET!;
    expect(rows.find((row) => row.RIID_ === ava.RIID_)).toMatchObject({
      LEAD_STATUS: 'Working - Contacted',
      RATING: 'Hot',
    });
  });

  it('merges supplemental rows with case-sensitive column names and deletes one by primary key', async () => {
    rig = await startClientRig();
    const row = {
      CAMPAIGN_ID: '701000000000001',
      SF_MEMBER_ID: '00v000000000001',
      CAMPAIGN_NAME: 'Spring Webinar',
      MEMBER_STATUS: 'Responded',
      HAS_RESPONDED: 'T',
      FIRST_ADDED_AT: '2024-03-01 10:00:00',
      IS_ACTIVE: 'T',
    };
    const merged = await rig.client.mergeSupplementalTable('SF_Sync', 'SF_CAMPAIGN_MEMBERS', [
      row,
      { ...row, SF_MEMBER_ID: '00v000000000002', FIRST_ADDED_AT: 'yesterday' },
    ]);
    expect(merged[0]).toEqual({ ok: true });
    expect(merged[1]).toMatchObject({ ok: false, scope: 'record' });

    const wrongCase = await rig.client.mergeSupplementalTable('SF_Sync', 'SF_CAMPAIGN_MEMBERS', [
      { campaign_id: '7', SF_MEMBER_ID: '1' },
    ]);
    expect(wrongCase[0]).toMatchObject({ ok: false, scope: 'request', retryable: false });

    const deleted = await rig.client.deleteSupplementalTableRows('SF_Sync', 'SF_CAMPAIGN_MEMBERS', [
      { CAMPAIGN_ID: row.CAMPAIGN_ID, SF_MEMBER_ID: row.SF_MEMBER_ID },
      { CAMPAIGN_ID: row.CAMPAIGN_ID, SF_MEMBER_ID: '00v000000000999' },
      { CAMPAIGN_ID: '' },
    ]);
    expect(deleted).toEqual([
      { ok: true, deleted: true },
      { ok: true, deleted: false },
      expect.objectContaining({ ok: false, code: 'MISSING_MATCH_VALUE' }),
    ]);
    const tables = rig.emulator.control.state(['supplementalTables']).supplementalTables!;
    expect(JSON.stringify(tables)).not.toContain('00v000000000001');
  });
});

describe('triggerCustomEvent', () => {
  it('answers one result per recipient in request order, with Responsys error messages mapped', async () => {
    rig = await startClientRig({ emulator: { demoData: true } });
    const ava = rig.emulator.control.findMember({ email: 'ava.thompson@example.com' })!;
    const outcomes = await rig.client.triggerCustomEvent(
      'SF_NEW_WEB_LEAD',
      [
        { riid: ava.RIID_!, optionalData: { SF_LEAD_ID: '00Q000000000001' } },
        { email: 'stranger@example.com' },
        { email: 'liam.garcia@example.com' },
        {},
        { riid: 'abc' },
      ],
      { optionalData: { SOURCE: 'bridge', SF_LEAD_ID: 'shared' } },
    );
    expect(outcomes[0]).toEqual({ ok: true, riid: ava.RIID_ });
    expect(outcomes[1]).toMatchObject({
      ok: false,
      code: 'NO_RECIPIENT_FOUND',
      message: 'Recipient Not Found',
      scope: 'record',
    });
    expect(outcomes[2]).toMatchObject({ ok: true });
    expect(outcomes[3]).toMatchObject({ ok: false, code: 'MISSING_RECIPIENT_ID' });
    expect(outcomes[4]).toMatchObject({ ok: false, code: 'INVALID_RECIPIENT' });
    const entries = rig.emulator.control.programEntries();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      eventName: 'SF_NEW_WEB_LEAD',
      riid: Number(ava.RIID_),
      optionalData: { SOURCE: 'bridge', SF_LEAD_ID: '00Q000000000001' },
    });
    expect(rig.calls().triggerCustomEvent).toBe(1);
  });

  it('sends 450 recipients in three calls', async () => {
    rig = await startClientRig();
    const records = contacts(450);
    await rig.client.mergeProfileMembers(records, merge);
    const outcomes = await rig.client.triggerCustomEvent(
      'SF_OPP_PROPOSAL',
      records.map((record) => ({ customerId: record.CUSTOMER_ID_ })),
    );
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(rig.calls().triggerCustomEvent).toBe(3);
  });

  it('fails the whole call for an event the account does not define', async () => {
    rig = await startClientRig({ emulator: { demoData: true } });
    const [outcome] = await rig.client.triggerCustomEvent('NO_SUCH_EVENT', [
      { email: 'ava.thompson@example.com' },
    ]);
    expect(outcome).toMatchObject({ ok: false, code: 'EVENT_NOT_FOUND', scope: 'request', retryable: false });
  });
});

describe('descriptions and Event Notification registration', () => {
  it('describes the profile list, its PETs and the custom events', async () => {
    rig = await startClientRig();
    const list = await rig.client.describeProfileList();
    expect(list.folderName).toBe('SF_Sync');
    expect(list.fields).toContainEqual({ name: 'TITLE', type: 'STR50' });
    const pets = await rig.client.listProfileExtensions();
    expect(pets.map((pet) => pet.name)).toEqual(['SF_SALES_PET']);
    expect(pets[0]!.fields.map((field) => field.name)).toEqual(
      expect.arrayContaining(['LEAD_STATUS', 'RATING', 'DEPARTMENT']),
    );
    const events = await rig.client.listCustomEvents();
    expect(events.map((event) => event.eventName).sort()).toEqual([
      'SF_NEW_WEB_LEAD',
      'SF_OPP_CLOSED_WON',
      'SF_OPP_PROPOSAL',
    ]);
  });

  it('registers, verifies and subscribes a callback, which then receives opt-outs with Basic auth', async () => {
    rig = await startClientRig({ emulator: { demoData: true } });
    const received: Array<{ authorization: string | undefined; body: unknown }> = [];
    const receiver = await listen((request, body) =>
      received.push({ authorization: request.headers.authorization, body }),
    );
    try {
      const registration = {
        url: receiver.url,
        basicAuth: { userName: 'responsys', password: 'callback-secret-123' },
        eventTypes: ['EMAIL_OPTOUT', 'EMAIL_BOUNCED'],
      };
      const first = await rig.client.registerEventNotificationCallback(registration);
      expect(first).toEqual({
        callbackName: 'responsys_bridge',
        subscriptionName: 'responsys_bridge_subscription',
        createdCallback: true,
        createdSubscription: true,
        verified: true,
      });
      const again = await rig.client.registerEventNotificationCallback(registration);
      expect(again).toMatchObject({ createdCallback: false, createdSubscription: false });

      rig.emulator.control.injectEngagement([
        { type: 'opted_out', recipient: { email: 'ava.thompson@example.com' } },
      ]);
      await rig.emulator.control.flushNotifications();
      const basic = `Basic ${Buffer.from('responsys:callback-secret-123').toString('base64')}`;
      expect(received.every((delivery) => delivery.authorization === basic)).toBe(true);
      expect(JSON.stringify(received.map((delivery) => delivery.body))).toContain('EMAIL_OPTOUT');
      expect(rig.logs.text()).not.toContain('callback-secret-123');
    } finally {
      await receiver.close();
    }
  });

  it('reports a callback Responsys cannot verify', async () => {
    rig = await startClientRig();
    const error = await rig.client
      .registerEventNotificationCallback({
        url: 'http://127.0.0.1:1/responsys',
        basicAuth: { userName: 'u', password: 'callback-secret-456' },
        eventTypes: ['EMAIL_OPTOUT'],
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ errorCode: 'INVALID_PARAMETER', retryable: false });
    expect((error as Error).message).toContain('Could not connect to callback url');
  });
});

/** A receiver standing in for the bridge's own webhook endpoint (the inbound engineer builds the real one). */
async function listen(onRequest: (request: IncomingMessage, body: unknown) => void) {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      onRequest(request, text ? (JSON.parse(text) as unknown) : undefined);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/responsys/events`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('transport', () => {
  it.each(['gzip', 'br'] as const)(
    'reads answers a gateway compresses with %s as if they were plain',
    async (encoding) => {
      rig = await startClientRig();
      const gateway = await compressingGateway(rig.emulator.url, encoding);
      const client = rig.newClient({ loginUrl: gateway.url });
      try {
        const records = contacts(3);
        const outcomes = await client.mergeProfileMembers(records, merge);
        expect(gateway.compressed(), 'the gateway compressed the answers').toBeGreaterThanOrEqual(2);
        outcomes.forEach((outcome, i) => {
          const member = rig!.emulator.control.findMember({ customerId: records[i]!.CUSTOMER_ID_ });
          expect(outcome.ok && outcome.riid).toBe(member?.RIID_);
        });
      } finally {
        client.close();
        await gateway.close();
      }
    },
  );
});

/**
 * A gateway in front of the emulator that compresses every answer the client accepts compressed, as
 * proxies in front of Responsys may; the login answer's endPoint is rewritten to the gateway.
 */
async function compressingGateway(target: string, encoding: 'gzip' | 'br') {
  let compressed = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const { authorization, 'content-type': contentType } = request.headers;
      const answer = await fetch(`${target}${request.url}`, {
        method: request.method,
        headers: {
          ...(authorization ? { authorization } : {}),
          ...(contentType ? { 'content-type': contentType } : {}),
        },
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      const text = (await answer.text()).replace(/"endPoint"\s*:\s*"[^"]*"/, `"endPoint":"${url}"`);
      const accepts = String(request.headers['accept-encoding'] ?? '').includes(encoding);
      const body = accepts
        ? encoding === 'gzip'
          ? gzipSync(text)
          : brotliCompressSync(text)
        : Buffer.from(text);
      if (accepts) compressed += 1;
      response.writeHead(answer.status, {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
        ...(accepts ? { 'content-encoding': encoding } : {}),
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    compressed: () => compressed,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

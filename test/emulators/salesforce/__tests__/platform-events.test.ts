import type { Connection } from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishedPlatformEvent, SalesforceEmulator } from '../index.js';
import { api, jwtConnection, startEmulator } from './helpers.js';

let emulator: SalesforceEmulator;
let conn: Connection;
let token: string;
const published: PublishedPlatformEvent[] = [];

beforeAll(async () => {
  emulator = await startEmulator();
  conn = await jwtConnection(emulator, 'rep@example.com');
  token = conn.accessToken!;
  emulator.org.events.subscribe((event) => published.push(event));
});

afterAll(async () => {
  await emulator.close();
});

describe('publishing Responsys_Sync__e through REST', () => {
  it('answers 201 with success and an OPERATION_ENQUEUED entry carrying the EventUuid, and delivers the event', async () => {
    published.length = 0;
    // Created by the integration user, so the model of the package's triggers publishes nothing for it.
    const leadId = emulator.insert('Lead', [{ LastName: 'L', Company: 'C' }], {
      asUser: 'bridge@example.com',
    })[0]!;
    const result = await api<{
      id: string;
      success: boolean;
      errors: Array<{ statusCode: string; message: string; fields: string[] }>;
    }>(emulator, token, 'POST', '/sobjects/Responsys_Sync__e', {
      Object_Type__c: 'Lead',
      Record_Id__c: leadId,
      Change_Type__c: 'UPDATE',
      Changed_Fields__c: 'Email',
    });
    expect(result.status).toBe(201);
    expect(result.body.success).toBe(true);
    expect(result.body.errors).toEqual([
      { statusCode: 'OPERATION_ENQUEUED', message: expect.stringMatching(/^[0-9a-f-]{36}$/), fields: [] },
    ]);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      channel: '/event/Responsys_Sync__e',
      eventUuid: result.body.errors[0]!.message,
      publishedBy: { username: 'rep@example.com' },
      payload: {
        Object_Type__c: 'Lead',
        Record_Id__c: leadId,
        Change_Type__c: 'UPDATE',
        Changed_Fields__c: 'Email',
        Previous_Value__c: null,
        CreatedById: conn.userInfo!.id,
      },
    });
    expect(published[0]!.payload.CreatedDate).toMatch(/Z$/);
    const limits = await conn.limits();
    expect(limits.HourlyPublishedPlatformEvents).toEqual({ Max: 250_000, Remaining: 249_999 });
  });

  it('validates event fields and publishes nothing from a rolled-back allOrNone collection', async () => {
    published.length = 0;
    const tooLong = await api(emulator, token, 'POST', '/sobjects/Responsys_Sync__e', {
      Record_Id__c: 'x'.repeat(19),
    });
    expect(tooLong.body).toMatchObject([{ errorCode: 'STRING_TOO_LONG', fields: ['Record_Id__c'] }]);
    const batch = await api<Array<{ success: boolean }>>(emulator, token, 'POST', '/composite/sobjects', {
      allOrNone: true,
      records: [
        { attributes: { type: 'Responsys_Sync__e' }, Object_Type__c: 'Lead' },
        { attributes: { type: 'Lead' }, LastName: 'Missing company' },
      ],
    });
    expect(batch.body.map((r) => r.success)).toEqual([false, false]);
    expect(published).toEqual([]);
    const query = await api(
      emulator,
      token,
      'GET',
      `/query?q=${encodeURIComponent('SELECT Id FROM Responsys_Sync__e')}`,
    );
    expect(query.body).toMatchObject([{ errorCode: 'INVALID_TYPE_FOR_OPERATION' }]);
  });
});

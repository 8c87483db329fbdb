import { afterEach, describe, expect, it } from 'vitest';
import type { ResponsysClientOptions } from '../../../bridge/src/responsys/client.js';
import { startResponsysEmulator } from '../../emulators/responsys/index.js';
import { contacts, startClientRig, type ClientRig } from './support.js';

// Transient failures (5xx, dropped connections, timeouts) are retried with backoff for idempotent
// calls; custom events, which are not idempotent, are repeated only when the request provably never
// reached Responsys. Odd answers become clear errors.

const merge = { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' } as const;
const membersPath = '/rest/api/v1.3/lists/*/members';

let rig: ClientRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function demoRig(client: Partial<ResponsysClientOptions> = {}) {
  return startClientRig({ emulator: { demoData: true }, client });
}

describe('retries of idempotent calls', () => {
  it('retries a merge after 503 answers and succeeds, recording each failed attempt as a server error', async () => {
    rig = await startClientRig();
    rig.emulator.control.addFault({ path: membersPath, times: 2, fault: { type: 'status', status: 503 } });
    const outcomes = await rig.client.mergeProfileMembers(contacts(2), merge);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(rig.calls().mergeListRecipients).toBe(3);
    expect(await rig.apiCalls('mergeListRecipients', 'server_error')).toBe(2);
    expect(await rig.apiCalls('mergeListRecipients', 'success')).toBe(1);
  });

  it('retries after a 500 UNEXPECTED_EXCEPTION envelope', async () => {
    rig = await startClientRig();
    rig.emulator.control.addFault({ path: membersPath, times: 1, fault: { type: 'serverError' } });
    const outcomes = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcomes[0]!.ok).toBe(true);
    expect(rig.calls().mergeListRecipients).toBe(2);
  });

  it('retries a merge whose connection was dropped', async () => {
    rig = await startClientRig();
    rig.emulator.control.addFault({ path: membersPath, times: 1, fault: { type: 'drop' } });
    const outcomes = await rig.client.mergeProfileMembers(contacts(2), merge);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(await rig.apiCalls('mergeListRecipients', 'network_error')).toBe(1);
  });

  it('retries a merge that timed out', async () => {
    rig = await startClientRig({ client: { requestTimeoutMs: 300 } });
    rig.emulator.control.addFault({ path: membersPath, times: 1, fault: { type: 'hang' } });
    const outcomes = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcomes[0]!.ok).toBe(true);
    expect(await rig.apiCalls('mergeListRecipients', 'timeout')).toBe(1);
  });

  it('stops after the configured attempts and reports a retryable request failure for every record', async () => {
    rig = await startClientRig({ client: { maxAttempts: 3 } });
    rig.emulator.control.addFault({ path: membersPath, fault: { type: 'status', status: 502 } });
    const outcomes = await rig.client.mergeProfileMembers(contacts(3), merge);
    expect(rig.calls().mergeListRecipients).toBe(3);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, code: 'HTTP_502', retryable: true, scope: 'request' });
    }
  });

  it('does not retry a request Responsys refused (400 envelope) and keeps its code and detail', async () => {
    rig = await startClientRig();
    const outcomes = await rig.client.mergeProfileMembers(
      [{ ...contacts(1)[0]!, NO_SUCH_COLUMN: 'x' }],
      merge,
    );
    expect(outcomes[0]).toMatchObject({
      ok: false,
      code: 'INVALID_FIELD_NAME',
      retryable: false,
      scope: 'request',
    });
    expect(rig.calls().mergeListRecipients).toBe(1);
  });

  it('answers an internal capacity refusal as retryable after the 10-minute budget window', async () => {
    rig = await startClientRig();
    rig.emulator.control.addFault({ path: membersPath, fault: { type: 'internalCapacity' } });
    const [outcome] = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'INTERNAL_CAPACITY_LIMIT_EXCEEDED',
      retryable: true,
      retryAfterMs: 600_000,
    });
  });

  it('fails every unfinished record with ABORTED when the caller aborts', async () => {
    rig = await startClientRig({ client: { requestTimeoutMs: 10_000 } });
    rig.emulator.control.addFault({ path: membersPath, fault: { type: 'hang' } });
    const controller = new AbortController();
    const pending = rig.client.mergeProfileMembers(contacts(3), { ...merge, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const outcomes = await pending;
    for (const outcome of outcomes)
      expect(outcome).toMatchObject({ ok: false, code: 'ABORTED', retryable: true });
  });
});

describe('custom events are not repeated blindly', () => {
  const web = 'SF_NEW_WEB_LEAD';
  const ava = { email: 'ava.thompson@example.com' };

  it('does not repeat a custom event whose connection dropped: its outcome is unknown', async () => {
    rig = await demoRig();
    rig.emulator.control.addFault({
      path: `/rest/api/v1.3/events/${web}`,
      times: 1,
      fault: { type: 'drop' },
    });
    const [outcome] = await rig.client.triggerCustomEvent(web, [ava]);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'OUTCOME_UNKNOWN',
      retryable: false,
      outcomeUnknown: true,
    });
    expect(outcome!.ok ? '' : outcome!.message).toContain('not idempotent');
    expect(rig.calls().triggerCustomEvent).toBe(1);
    expect(rig.emulator.control.programEntries()).toHaveLength(0);
  });

  it('does not repeat a custom event answered with a 5xx or a timeout', async () => {
    rig = await demoRig({ requestTimeoutMs: 300 });
    rig.emulator.control.addFault({
      path: `/rest/api/v1.3/events/${web}`,
      times: 1,
      fault: { type: 'serverError' },
    });
    rig.emulator.control.addFault({
      path: `/rest/api/v1.3/events/${web}`,
      times: 1,
      fault: { type: 'hang' },
    });
    const [first] = await rig.client.triggerCustomEvent(web, [ava]);
    const [second] = await rig.client.triggerCustomEvent(web, [ava]);
    expect(first).toMatchObject({ ok: false, code: 'OUTCOME_UNKNOWN', outcomeUnknown: true });
    expect(second).toMatchObject({ ok: false, code: 'OUTCOME_UNKNOWN', outcomeUnknown: true });
    expect(rig.calls().triggerCustomEvent).toBe(2);
  });

  it('repeats a custom event Responsys refused before processing it (expired token, rate limit)', async () => {
    rig = await demoRig({ rateLimitWindowMs: 100 });
    await rig.client.listCustomEvents();
    rig.emulator.control.expireTokens();
    rig.emulator.control.addFault({
      path: `/rest/api/v1.3/events/${web}`,
      times: 1,
      fault: { type: 'throttle' },
    });
    const [outcome] = await rig.client.triggerCustomEvent(web, [ava]);
    expect(outcome).toMatchObject({ ok: true });
    expect(rig.emulator.control.programEntries()).toHaveLength(1);
  });

  it('repeats a custom event whose connection could not even be opened', async () => {
    rig = await demoRig({ backoff: { baseMs: 1000, maxMs: 1000 } });
    await rig.client.listCustomEvents();
    // Responsys goes away (the connection is refused: nothing was sent) and comes back on the same port.
    const port = Number(new URL(rig.emulator.url).port);
    await rig.emulator.close();
    const pending = rig.client.triggerCustomEvent(web, [ava]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const back = await startResponsysEmulator({ port, demoData: true, sftp: false });
    try {
      const [outcome] = await pending;
      expect(outcome).toMatchObject({ ok: true });
      expect(back.control.programEntries()).toHaveLength(1);
      expect(await rig.apiCalls('triggerCustomEvent', 'network_error')).toBe(1);
    } finally {
      await back.close();
    }
  });
});

describe('odd answers', () => {
  it('turns an HTML page in a 200 into UNEXPECTED_RESPONSE naming what came back', async () => {
    rig = await startClientRig({ client: { maxAttempts: 1 } });
    rig.emulator.control.addFault({
      path: membersPath,
      fault: {
        type: 'status',
        status: 200,
        body: '<html><body><h1>Gateway maintenance</h1></body></html>',
        headers: { 'Content-Type': 'text/html' },
      },
    });
    const [outcome] = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcome).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE', scope: 'request' });
    expect(outcome!.ok ? '' : outcome!.message).toContain('Gateway maintenance');
  });

  it('turns an empty 200 body into UNEXPECTED_RESPONSE', async () => {
    rig = await startClientRig({ client: { maxAttempts: 1 } });
    rig.emulator.control.addFault({ path: membersPath, fault: { type: 'status', status: 200 } });
    const [outcome] = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcome).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE' });
    expect(outcome!.ok ? '' : outcome!.message).toContain('(empty body)');
  });

  it('turns JSON of the wrong shape, or the wrong number of rows, into UNEXPECTED_RESPONSE', async () => {
    rig = await startClientRig({ client: { maxAttempts: 1 } });
    rig.emulator.control.addFault({
      path: membersPath,
      times: 1,
      fault: { type: 'status', status: 200, body: { ok: true } },
    });
    rig.emulator.control.addFault({
      path: membersPath,
      times: 1,
      fault: {
        type: 'status',
        status: 200,
        body: { recordData: { fieldNames: ['RIID_'], records: [['1']] } },
      },
    });
    const wrongShape = await rig.client.mergeProfileMembers(contacts(2), merge);
    const wrongCount = await rig.client.mergeProfileMembers(contacts(2), merge);
    expect(wrongShape[0]).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE' });
    expect(wrongShape[0]!.ok ? '' : wrongShape[0]!.message).toContain('without recordData');
    expect(wrongCount[1]).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE' });
    expect(wrongCount[1]!.ok ? '' : wrongCount[1]!.message).toContain('different number of rows');
  });

  it('turns a 5xx HTML page into an HTTP_5xx error with the page text, after retrying', async () => {
    rig = await startClientRig({ client: { maxAttempts: 2 } });
    rig.emulator.control.addFault({
      path: membersPath,
      fault: {
        type: 'status',
        status: 500,
        body: '<html><title>Internal Server Error</title></html>',
        headers: { 'Content-Type': 'text/html' },
      },
    });
    const [outcome] = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcome).toMatchObject({ ok: false, code: 'HTTP_500', retryable: true });
    expect(outcome!.ok ? '' : outcome!.message).toContain('Internal Server Error');
    expect(rig.calls().mergeListRecipients).toBe(2);
  });

  it('reports a list that does not exist with Responsys code and status', async () => {
    rig = await startClientRig();
    const error = await rig.client.describeProfileList('NO_SUCH_LIST').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ errorCode: 'LIST_NOT_FOUND', httpStatus: 404, retryable: false });
  });

  it('reports a redirect as an error instead of following it with the token', async () => {
    rig = await startClientRig();
    rig.emulator.control.addFault({
      path: '/rest/api/v1.3/lists/*/fields',
      fault: { type: 'status', status: 302, headers: { Location: 'https://elsewhere.example.com/' } },
    });
    const error = await rig.client.describeProfileList().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ errorCode: 'HTTP_302', retryable: false });
    expect((error as Error).message).toContain('https://elsewhere.example.com/');
  });
});

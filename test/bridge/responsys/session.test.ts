import { afterEach, describe, expect, it } from 'vitest';
import { redactText } from '../../../bridge/src/shared/redaction.js';
import { contacts, startClientRig, watchAuthorizationHeaders, type ClientRig } from './support.js';

// The Responsys session through the real client and the real emulator: password login with a form
// body, the raw token on every call, refresh before expiry, one new login when the token is refused,
// one shared login for concurrent callers, and tokens that never reach a log line.

const merge = { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' } as const;
const minutes = (n: number) => n * 60_000;

let rig: ClientRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('Responsys session', () => {
  it('logs in once with the form body and sends the raw token, without Bearer, on every call', async () => {
    const headers = watchAuthorizationHeaders();
    try {
      rig = await startClientRig();
      const outcomes = await rig.client.mergeProfileMembers(contacts(3), merge);
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
      expect(rig.calls().login).toBe(1);
      const sent = headers.values.filter((value) => value.length > 0);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      for (const value of sent) expect(value).toMatch(/^E[A-Za-z0-9_-]{53}$/);
    } finally {
      headers.stop();
    }
  });

  it('shares one login between concurrent callers', async () => {
    rig = await startClientRig();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => rig!.client.mergeProfileMembers(contacts(2, `p${i}-`), merge)),
    );
    expect(results.flat().every((outcome) => outcome.ok)).toBe(true);
    expect(rig.calls().login).toBe(1);
    expect(rig.calls().mergeListRecipients).toBe(8);
  });

  it('refreshes the token once it is older than the refresh age, and logs in anew past the maximum age', async () => {
    let now = Date.now();
    rig = await startClientRig({
      emulator: { now: () => now },
      client: { clock: { now: () => new Date(now) } },
    });
    await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(rig.calls().login).toBe(1);

    now += minutes(60);
    await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(rig.calls().login).toBe(1);

    now += minutes(31);
    await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(rig.calls().login).toBe(2);
    expect(rig.logs.lines.filter((line) => line.msg === 'Responsys token refreshed')).toHaveLength(1);

    // Idle for three hours: the token has expired on the server; a refresh cannot work, so log in.
    now += minutes(180);
    const outcomes = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcomes[0]!.ok).toBe(true);
    expect(rig.calls().login).toBe(3);
    expect(rig.logs.lines.filter((line) => line.msg === 'Logged in to Responsys')).toHaveLength(2);
  });

  it('logs in again once when Responsys says INVALID_TOKEN, and the call goes through', async () => {
    rig = await startClientRig();
    await rig.client.mergeProfileMembers(contacts(1), merge);
    rig.emulator.control.expireTokens();

    const outcomes = await rig.client.mergeProfileMembers(contacts(2, 'again-'), merge);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(rig.calls().login).toBe(2);
    // the first merge, the refused one, and the same call repeated after the new login
    expect(rig.calls().mergeListRecipients).toBe(3);
    expect(
      rig.logs.lines.some((line) => line.msg === 'Responsys rejected the session token; logging in again'),
    ).toBe(true);
  });

  it('concurrent callers whose token was refused share the one new login', async () => {
    rig = await startClientRig();
    await rig.client.mergeProfileMembers(contacts(1), merge);
    rig.emulator.control.expireTokens();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => rig!.client.mergeProfileMembers(contacts(1, `r${i}-`), merge)),
    );
    expect(results.flat().every((outcome) => outcome.ok)).toBe(true);
    expect(rig.calls().login).toBe(2);
  });

  it('a token refused right after a new login is not retried in a loop: the call fails as retryable', async () => {
    rig = await startClientRig();
    rig.emulator.control.addFault({
      path: '/rest/api/v1.3/lists/*/members',
      fault: { type: 'expiredToken' },
    });
    const [outcome] = await rig.client.mergeProfileMembers(contacts(1), merge);
    expect(outcome).toMatchObject({ ok: false, code: 'INVALID_TOKEN', retryable: true, scope: 'request' });
    expect(rig.calls().mergeListRecipients).toBe(2);
    expect(rig.calls().login).toBe(2);
  });

  it('a wrong password fails at once with a message naming the variables, without retrying the login', async () => {
    rig = await startClientRig();
    const client = rig.newClient({ password: 'not-the-password' });
    const [outcome] = await client.mergeProfileMembers(contacts(1), merge);
    expect(outcome).toMatchObject({ ok: false, code: 'INVALID_USER_NAME_PASSWORD', retryable: false });
    expect(outcome!.ok ? '' : outcome!.message).toContain('check RESPONSYS_USERNAME and RESPONSYS_PASSWORD');
    expect(rig.calls().login).toBe(1);
    expect(await client.checkConnection()).toMatchObject({ ok: false });
  });

  it('a login answer without a token is a clear error, not a crash', async () => {
    rig = await startClientRig({ client: { maxAttempts: 1 } });
    rig.emulator.control.addFault({
      path: '/rest/api/v1.3/auth/token',
      fault: { type: 'status', status: 200, body: { issuedAt: 1 } },
    });
    const check = await rig.client.checkConnection();
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('without an authToken and endPoint URL');
  });

  it('never writes a token to the logs: tokens are registered as secrets the moment they arrive', async () => {
    const headers = watchAuthorizationHeaders();
    try {
      rig = await startClientRig();
      await rig.client.mergeProfileMembers(contacts(1), merge);
      rig.emulator.control.expireTokens();
      await rig.client.mergeProfileMembers(contacts(1, 'x'), merge);
      const tokens = [...new Set(headers.values)];
      expect(tokens.length).toBe(2);
      for (const token of tokens) {
        rig.logs.logger.info({ note: `leaked ${token}?` }, `header was ${token}`);
        expect(redactText(`Authorization: ${token}`)).toBe('Authorization: [redacted]');
      }
      for (const token of tokens) expect(rig.logs.text()).not.toContain(token);
    } finally {
      headers.stop();
    }
  });

  it('reports readiness from the session: logged in, with the endPoint', async () => {
    rig = await startClientRig();
    const check = await rig.client.checkConnection();
    expect(check).toEqual({ ok: true, detail: `logged in to ${rig.emulator.url}, token 0 min old` });
  });
});

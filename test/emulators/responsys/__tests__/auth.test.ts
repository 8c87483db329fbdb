import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type ResponsysEmulator } from '../index.js';
import { call, login } from './support.js';

const invalidToken = {
  type: '',
  title: 'Not a valid token',
  errorCode: 'INVALID_TOKEN',
  detail: 'Not a valid authentication token',
  errorDetails: [],
};

describe('Responsys authentication', () => {
  let emulator: ResponsysEmulator;
  let clock = Date.parse('2024-05-01T10:00:00Z');

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, now: () => clock, tokenTtlMs: 60_000 });
  });
  afterAll(() => emulator.close());

  const tokenUrl = () => `${emulator.url}/rest/api/v1.3/auth/token`;

  it('logs in with the form-encoded default credentials and returns a token, epoch-ms issuedAt and its own base URL as endPoint', async () => {
    const answer = await call<{ authToken: string; issuedAt: number; endPoint: string }>(tokenUrl(), {
      form: 'user_name=api_user&password=api_password&auth_type=password',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    expect(answer.headers.get('server')).toBe('Apache');
    expect(answer.headers.get('x-correlationid')).toMatch(/^Id-[0-9a-f]{24} 0$/);
    expect(Object.keys(answer.body)).toEqual(['authToken', 'issuedAt', 'endPoint']);
    expect(answer.body.authToken).toMatch(/^E[A-Za-z0-9_-]{53}$/);
    expect(answer.body.issuedAt).toBe(clock);
    expect(answer.body.endPoint).toBe(emulator.url);
  });

  it('answers a wrong password with HTTP 400 INVALID_USER_NAME_PASSWORD and an empty detail', async () => {
    const answer = await call(tokenUrl(), { form: 'user_name=api_user&password=nope&auth_type=password' });
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      type: '',
      title: 'Invalid username or password',
      errorCode: 'INVALID_USER_NAME_PASSWORD',
      detail: '',
      errorDetails: [],
    });
  });

  it('ignores credentials sent in the query string instead of the form body', async () => {
    const answer = await call(`${tokenUrl()}?user_name=api_user&password=api_password&auth_type=password`, {
      method: 'POST',
      form: '',
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ errorCode: 'INVALID_PARAMETER' });
  });

  it('refreshes a valid token into a new one, answered as plain application/json like the recording', async () => {
    const token = await login(emulator);
    const answer = await call<{ authToken: string; endPoint: string }>(tokenUrl(), {
      form: 'auth_type=token',
      token,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.body.authToken).not.toBe(token);
    expect(answer.body.endPoint).toBe(emulator.url);
    const lists = await call(`${emulator.url}/rest/api/v1.3/lists`, { token: answer.body.authToken });
    expect(lists.status).toBe(200);
  });

  it('refuses to refresh an unknown token with 401 INVALID_TOKEN', async () => {
    const answer = await call(tokenUrl(), { form: 'auth_type=token', token: 'Enot-a-token' });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual(invalidToken);
  });

  it('accepts only the raw token in Authorization: a Bearer prefix is an invalid token', async () => {
    const token = await login(emulator);
    const raw = await call(`${emulator.url}/rest/api/v1.3/lists`, { token });
    const bearer = await call(`${emulator.url}/rest/api/v1.3/lists`, { token: `Bearer ${token}` });
    expect(raw.status).toBe(200);
    expect(bearer.status).toBe(401);
    expect(bearer.body).toEqual(invalidToken);
  });

  it('expires a token after the configured lifetime and answers INVALID_TOKEN from then on', async () => {
    const token = await login(emulator);
    clock += 59_000;
    expect((await call(`${emulator.url}/rest/api/v1.3/lists`, { token })).status).toBe(200);
    clock += 1_000;
    const expired = await call(`${emulator.url}/rest/api/v1.3/lists`, { token });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(invalidToken);
    const refresh = await call(tokenUrl(), { form: 'auth_type=token', token });
    expect(refresh.status).toBe(401);
  });

  it('answers GET /rest/api/ratelimit with a bad token as 500 UNEXPECTED_EXCEPTION, not 401', async () => {
    const answer = await call(`${emulator.url}/rest/api/ratelimit`, { token: 'Ebad' });
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({
      type: '',
      title: 'Unexpected exception',
      errorCode: 'UNEXPECTED_EXCEPTION',
      detail: 'Not a valid authentication token',
      errorDetails: [],
    });
  });

  it('serves the rate limits only unversioned: /rest/api/v1.3/ratelimit is the server 404 page', async () => {
    const token = await login(emulator);
    const answer = await call(`${emulator.url}/rest/api/v1.3/ratelimit`, { token });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.text).toContain('HTTP Status 404');
  });
});

describe('Responsys authentication with refresh revoking the old token', () => {
  let emulator: ResponsysEmulator;
  beforeAll(async () => {
    emulator = await startResponsysEmulator({ sftp: false, quirks: { refreshRevokesOldToken: true } });
  });
  afterAll(() => emulator.close());

  it('invalidates the refreshed token when the quirk is on', async () => {
    const token = await login(emulator);
    const refreshed = await call<{ authToken: string }>(`${emulator.url}/rest/api/v1.3/auth/token`, {
      form: 'auth_type=token',
      token,
    });
    expect((await call(`${emulator.url}/rest/api/v1.3/lists`, { token })).status).toBe(401);
    expect(
      (await call(`${emulator.url}/rest/api/v1.3/lists`, { token: refreshed.body.authToken })).status,
    ).toBe(200);
  });
});

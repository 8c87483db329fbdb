import { generateKeyPairSync } from 'node:crypto';
import jsforce from 'jsforce';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwtAssertion, type SalesforceEmulator } from '../index.js';
import { api, control, jwtConnection, privateKeyPem, startEmulator } from './helpers.js';

let emulator: SalesforceEmulator;

beforeAll(async () => {
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.close();
});

async function token(params: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${emulator.url}/services/oauth2/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

function jwt(overrides: Partial<Parameters<typeof signJwtAssertion>[0]> = {}) {
  return signJwtAssertion({
    clientId: 'local-client-id',
    username: 'bridge@example.com',
    audience: emulator.url,
    privateKeyPem,
    ...overrides,
  });
}

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

describe('JWT bearer flow', () => {
  it('authorizes jsforce with a signed assertion and answers with the real token fields', async () => {
    const conn = new jsforce.Connection({ loginUrl: emulator.url, version: '62.0' });
    const userInfo = await conn.authorize({ grant_type: JWT_GRANT, assertion: jwt() });
    expect(conn.instanceUrl).toBe(emulator.url);
    expect(userInfo.id).toMatch(/^005[A-Za-z0-9]{15}$/);
    expect(userInfo.organizationId).toMatch(/^00D[A-Za-z0-9]{15}$/);
    const { body } = await token({ grant_type: JWT_GRANT, assertion: jwt() });
    expect(Object.keys(body).sort()).toEqual(
      ['access_token', 'id', 'instance_url', 'issued_at', 'scope', 'signature', 'token_type'].sort(),
    );
    expect(body.token_type).toBe('Bearer');
    expect(body.id).toBe(`${emulator.url}/id/${userInfo.organizationId}/${userInfo.id}`);
    expect(body).not.toHaveProperty('refresh_token');
    const identity = await conn.identity();
    expect(identity.username).toBe('bridge@example.com');
  });

  it('accepts https://login.salesforce.com and https://test.salesforce.com as the audience', async () => {
    for (const audience of ['https://login.salesforce.com', 'https://test.salesforce.com']) {
      const { status } = await token({ grant_type: JWT_GRANT, assertion: jwt({ audience }) });
      expect(status).toBe(200);
    }
  });

  it('rejects an assertion signed with another key as an invalid assertion', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const result = await token({ grant_type: JWT_GRANT, assertion: jwt({ privateKeyPem: other }) });
    expect(result).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'invalid assertion' },
    });
  });

  it('names the failing claim: audience, expiry, issuer and subject', async () => {
    expect(
      (await token({ grant_type: JWT_GRANT, assertion: jwt({ audience: 'https://evil.example' }) })).body,
    ).toEqual({
      error: 'invalid_grant',
      error_description: 'audience is invalid',
    });
    const past = Math.floor(Date.now() / 1000) - 60;
    expect((await token({ grant_type: JWT_GRANT, assertion: jwt({ expiresAt: past }) })).body).toEqual({
      error: 'invalid_grant',
      error_description: 'expired authorization code',
    });
    expect(
      (await token({ grant_type: JWT_GRANT, assertion: jwt({ clientId: 'someone-else' }) })).body,
    ).toEqual({
      error: 'invalid_client_id',
      error_description: 'client identifier invalid',
    });
    expect(
      (await token({ grant_type: JWT_GRANT, assertion: jwt({ username: 'nobody@example.com' }) })).body,
    ).toEqual({
      error: 'invalid_grant',
      error_description: "user hasn't approved this consumer",
    });
  });

  it('surfaces a token error in jsforce as an Error named after the OAuth error', async () => {
    const conn = new jsforce.Connection({ loginUrl: emulator.url, version: '62.0' });
    await expect(
      conn.authorize({ grant_type: JWT_GRANT, assertion: jwt({ audience: 'https://evil.example' }) }),
    ).rejects.toMatchObject({ name: 'invalid_grant', message: 'audience is invalid' });
  });
});

describe('client credentials and password flows', () => {
  it('runs client credentials as the integration user', async () => {
    const conn = new jsforce.Connection({
      oauth2: { loginUrl: emulator.url, clientId: 'local-client-id', clientSecret: 'local-client-secret' },
      version: '62.0',
    });
    await conn.authorize({ grant_type: 'client_credentials' });
    const me = await conn.query<{ Username: string }>(
      `SELECT Username FROM User WHERE Id = '${conn.userInfo!.id}'`,
    );
    expect(me.records[0]!.Username).toBe('bridge@example.com');
  });

  it('accepts client credentials in an HTTP Basic header and rejects a wrong secret', async () => {
    const basic = Buffer.from('local-client-id:local-client-secret').toString('base64');
    expect(
      (await token({ grant_type: 'client_credentials' }, { Authorization: `Basic ${basic}` })).status,
    ).toBe(200);
    expect(
      await token({ grant_type: 'client_credentials', client_id: 'local-client-id', client_secret: 'nope' }),
    ).toEqual({
      status: 400,
      body: { error: 'invalid_client', error_description: 'invalid client credentials' },
    });
  });

  it('logs jsforce in with username and password through OAuth and through SOAP login', async () => {
    const oauthConn = new jsforce.Connection({
      oauth2: { loginUrl: emulator.url, clientId: 'local-client-id', clientSecret: 'local-client-secret' },
      version: '62.0',
    });
    const viaOAuth = await oauthConn.login('rep@example.com', 'password');
    const soapConn = new jsforce.Connection({ loginUrl: emulator.url, version: '62.0' });
    const viaSoap = await soapConn.login('rep@example.com', 'password');
    expect(viaSoap.id).toBe(viaOAuth.id);
    expect((await soapConn.query('SELECT Id FROM Organization')).totalSize).toBe(1);
  });

  it('answers a wrong password with authentication failure (OAuth) and INVALID_LOGIN (SOAP)', async () => {
    expect(
      await token({
        grant_type: 'password',
        client_id: 'local-client-id',
        client_secret: 'local-client-secret',
        username: 'rep@example.com',
        password: 'wrong',
      }),
    ).toEqual({ status: 400, body: { error: 'invalid_grant', error_description: 'authentication failure' } });
    const soapConn = new jsforce.Connection({ loginUrl: emulator.url, version: '62.0' });
    await expect(soapConn.login('rep@example.com', 'wrong')).rejects.toThrow(
      'INVALID_LOGIN: Invalid username, password, security token; or user locked out.',
    );
  });

  it('rejects an unknown grant type', async () => {
    expect(await token({ grant_type: 'authorization_code', code: 'x' })).toEqual({
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' },
    });
  });
});

describe('sessions', () => {
  it('answers 401 INVALID_SESSION_ID without a token, with an unknown token and after revocation', async () => {
    const none = await fetch(`${emulator.url}/services/data/v62.0/limits`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual([
      { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
    ]);
    expect((await api(emulator, '00Dxx!bogus', 'GET', '/limits')).status).toBe(401);
    const conn = await jwtConnection(emulator);
    const revoke = await fetch(`${emulator.url}/services/oauth2/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: conn.accessToken! }),
    });
    expect(revoke.status).toBe(200);
    expect((await api(emulator, conn.accessToken!, 'GET', '/limits')).status).toBe(401);
  });

  it('expires sessions through the control API; jsforce without a refresh function sees INVALID_SESSION_ID', async () => {
    const conn = await jwtConnection(emulator, 'rep@example.com');
    await conn.query('SELECT Id FROM User LIMIT 1');
    const expired = await control<{ expired: number }>(emulator, 'POST', '/sessions/expire', {
      username: 'rep@example.com',
    });
    expect(expired.body.expired).toBeGreaterThanOrEqual(1);
    await expect(conn.query('SELECT Id FROM User LIMIT 1')).rejects.toMatchObject({
      errorCode: 'INVALID_SESSION_ID',
    });
  });

  it('lets jsforce recover from an expired session through its refresh function', async () => {
    const conn = new jsforce.Connection({
      loginUrl: emulator.url,
      version: '62.0',
      refreshFn: (_c, callback) => {
        fetch(`${emulator.url}/services/oauth2/token`, {
          method: 'POST',
          body: new URLSearchParams({ grant_type: JWT_GRANT, assertion: jwt() }),
        })
          .then(async (r) => {
            const body = (await r.json()) as { access_token: string };
            callback(null, body.access_token, body as never);
          })
          .catch((error: Error) => callback(error));
      },
    });
    await conn.authorize({ grant_type: JWT_GRANT, assertion: jwt() });
    const before = conn.accessToken;
    emulator.expireSessions('bridge@example.com');
    const result = await conn.query('SELECT Id FROM Organization');
    expect(result.totalSize).toBe(1);
    expect(conn.accessToken).not.toBe(before);
  });

  it('times a session out after the configured inactivity, measured on the emulator clock', async () => {
    const conn = await jwtConnection(emulator, 'rep@example.com');
    await control(emulator, 'POST', '/clock', { advanceMs: 2 * 60 * 60 * 1000 + 1000 });
    try {
      await expect(conn.query('SELECT Id FROM Organization')).rejects.toMatchObject({
        errorCode: 'INVALID_SESSION_ID',
      });
    } finally {
      await control(emulator, 'POST', '/clock', { reset: true });
    }
  });
});

import { sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OAuth2 } from 'jsforce';
import type { BridgeConfig } from '../config/config.js';
import { BridgeError, errorMessage } from '../shared/errors.js';
import { registerSecret } from '../shared/redaction.js';

// How the bridge logs in to Salesforce: JWT bearer (production: no password, no refresh token, a key
// whose certificate sits in the connected app), client credentials (a "Run As" integration user) or
// the username-password flow (development). None of them returns a refresh token, so a new token is
// obtained by running the same grant again (the connection's refresh function does that on a 401).

export type SalesforceSettings = BridgeConfig['salesforce'];

/** What a successful grant gives: the session and who we are. */
export interface SalesforceSession {
  accessToken: string;
  instanceUrl: string;
  /** the integration user's id (005...) */
  userId: string;
  organizationId: string;
  issuedAt: Date;
}

interface TokenResponse {
  access_token: string;
  instance_url: string;
  id: string;
  issued_at?: string;
}

const JWT_LIFETIME_SECONDS = 180;

/** Signs a JWT bearer assertion (RS256): iss = consumer key, sub = username, aud = login URL. */
export function signJwtBearerAssertion(input: {
  clientId: string;
  username: string;
  audience: string;
  privateKeyPem: string;
  nowMs?: number;
}): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor((input.nowMs ?? Date.now()) / 1000) + JWT_LIFETIME_SECONDS;
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
    iss: input.clientId,
    sub: input.username,
    aud: input.audience,
    exp,
  })}`;
  const signature = sign('RSA-SHA256', Buffer.from(unsigned), input.privateKeyPem).toString('base64url');
  return `${unsigned}.${signature}`;
}

/** Runs the configured OAuth grant; every token it receives is registered as a secret. */
export class SalesforceAuthenticator {
  private privateKeyPem: string | undefined;

  constructor(private readonly settings: SalesforceSettings) {
    if (!settings.loginUrl) {
      throw new BridgeError('CONFIG_INVALID', 'SALESFORCE_LOGIN_URL is required to log in to Salesforce');
    }
  }

  get loginUrl(): string {
    return this.settings.loginUrl!;
  }

  /** A short description for logs and status: never a secret. */
  describe(): string {
    const { auth, username, clientId } = this.settings;
    if (auth === 'client_credentials') return `client credentials of connected app ${clientId ?? '?'}`;
    return `${auth === 'jwt' ? 'JWT bearer' : 'username-password'} as ${username ?? '?'}`;
  }

  async grant(): Promise<SalesforceSession> {
    const { auth, clientId, clientSecret, username, password } = this.settings;
    // The JWT grant carries the consumer key inside the assertion; the other grants send the client
    // credentials in the body.
    const oauth2 = new OAuth2({
      loginUrl: this.loginUrl,
      ...(auth === 'jwt' ? {} : { clientId, clientSecret }),
    });
    let params: { grant_type: string; [name: string]: string };
    if (auth === 'jwt') {
      params = {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: signJwtBearerAssertion({
          clientId: this.require('SALESFORCE_CLIENT_ID', clientId),
          username: this.require('SALESFORCE_USERNAME', username),
          audience: this.loginUrl,
          privateKeyPem: this.readPrivateKey(),
        }),
      };
    } else if (auth === 'client_credentials') {
      this.require('SALESFORCE_CLIENT_ID', clientId);
      this.require('SALESFORCE_CLIENT_SECRET', clientSecret);
      params = { grant_type: 'client_credentials' };
    } else {
      this.require('SALESFORCE_CLIENT_ID', clientId);
      params = {
        grant_type: 'password',
        username: this.require('SALESFORCE_USERNAME', username),
        password: this.require('SALESFORCE_PASSWORD', password),
      };
    }
    let response: TokenResponse;
    try {
      response = (await oauth2.requestToken(params)) as unknown as TokenResponse;
    } catch (error) {
      throw new SalesforceLoginError(this.describe(), error);
    }
    registerSecret(response.access_token);
    const [organizationId, userId] = response.id.split('/').slice(-2);
    return {
      accessToken: response.access_token,
      instanceUrl: response.instance_url,
      userId: userId ?? '',
      organizationId: organizationId ?? '',
      issuedAt: response.issued_at ? new Date(Number(response.issued_at)) : new Date(),
    };
  }

  private require(variable: string, value: string | undefined): string {
    if (!value) {
      throw new BridgeError(
        'CONFIG_INVALID',
        `${variable} is required for SALESFORCE_AUTH=${this.settings.auth}`,
      );
    }
    return value;
  }

  private readPrivateKey(): string {
    const file = this.require('SALESFORCE_PRIVATE_KEY_FILE', this.settings.privateKeyFile);
    if (!this.privateKeyPem) {
      try {
        this.privateKeyPem = readFileSync(file, 'utf8');
      } catch (error) {
        throw new BridgeError(
          'CONFIG_INVALID',
          `SALESFORCE_PRIVATE_KEY_FILE could not be read (${file}): ${errorMessage(error)}`,
        );
      }
    }
    return this.privateKeyPem;
  }
}

/** Salesforce refused the grant: the message names the flow and Salesforce's reason. */
export class SalesforceLoginError extends BridgeError {
  /** the OAuth error code (invalid_grant, invalid_client_id, ...) when Salesforce sent one */
  readonly oauthError: string | undefined;

  constructor(flow: string, cause: unknown) {
    const oauthError = cause instanceof Error && cause.name !== 'Error' ? cause.name : undefined;
    super(
      'UPSTREAM_FAILED',
      `Salesforce login failed (${flow}): ${oauthError ? `${oauthError}: ` : ''}${errorMessage(cause)}`,
      { cause },
    );
    this.name = 'SalesforceLoginError';
    this.oauthError = oauthError;
  }
}

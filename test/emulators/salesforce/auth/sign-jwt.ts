import { sign } from 'node:crypto';

// Builds a JWT bearer assertion (RS256) the way a Salesforce client must: jsforce does not sign JWTs.
// For tests and demos against the emulator; production code signs with its own configured key.

export interface JwtAssertionInput {
  /** Connected app consumer key. */
  clientId: string;
  /** Username of the user to log in as. */
  username: string;
  /** Login host, e.g. `https://login.salesforce.com` or the emulator URL. */
  audience: string;
  privateKeyPem: string;
  /** Expiry in epoch seconds; defaults to three minutes from now. */
  expiresAt?: number;
}

export function signJwtAssertion(input: JwtAssertionInput): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256' })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({
      iss: input.clientId,
      sub: input.username,
      aud: input.audience,
      exp: input.expiresAt ?? Math.floor(Date.now() / 1000) + 180,
    }),
  ).toString('base64url');
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), input.privateKeyPem).toString(
    'base64url',
  );
  return `${header}.${payload}.${signature}`;
}

import { createPublicKey, verify, type KeyObject } from 'node:crypto';

// The OAuth 2.0 JWT bearer assertion check: RS256 signature against the connected app's
// certificate, then iss (consumer key), aud (login host), exp (seconds) and sub (username), each
// failing with the error body Salesforce sends.

export interface OAuthErrorBody {
  error: string;
  error_description: string;
}

export interface JwtClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
}

export type JwtCheck = { ok: true; claims: JwtClaims } | { ok: false; status: number; body: OAuthErrorBody };

const invalidAssertion: JwtCheck = {
  ok: false,
  status: 400,
  body: { error: 'invalid_grant', error_description: 'invalid assertion' },
};

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function publicKeyFromCertificate(pem: string): KeyObject {
  return createPublicKey(pem);
}

export function checkJwtBearer(
  assertion: string,
  expected: { clientId: string; publicKey: KeyObject; audiences: string[]; nowSeconds: number },
): JwtCheck {
  const parts = assertion.split('.');
  if (parts.length !== 3) return invalidAssertion;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  const payload = decodeJson(payloadPart);
  if (!header || !payload || header.alg !== 'RS256') return invalidAssertion;
  if (payload.iss !== expected.clientId) {
    return {
      ok: false,
      status: 400,
      body: { error: 'invalid_client_id', error_description: 'client identifier invalid' },
    };
  }
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${headerPart}.${payloadPart}`),
    expected.publicKey,
    Buffer.from(signaturePart, 'base64url'),
  );
  if (!signed) return invalidAssertion;
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.some((aud) => typeof aud === 'string' && expected.audiences.includes(aud))) {
    return {
      ok: false,
      status: 400,
      body: { error: 'invalid_grant', error_description: 'audience is invalid' },
    };
  }
  if (typeof payload.exp !== 'number' || payload.exp <= expected.nowSeconds) {
    return {
      ok: false,
      status: 400,
      body: { error: 'invalid_grant', error_description: 'expired authorization code' },
    };
  }
  if (typeof payload.sub !== 'string' || !payload.sub) {
    return {
      ok: false,
      status: 400,
      body: { error: 'invalid_grant', error_description: "user hasn't approved this consumer" },
    };
  }
  return {
    ok: true,
    claims: { iss: payload.iss, sub: payload.sub, aud: payload.aud as string | string[], exp: payload.exp },
  };
}

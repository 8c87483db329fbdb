import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { BridgeError } from '../shared/errors.js';

// The admin API accepts `Authorization: Bearer <BRIDGE_ADMIN_TOKEN>`. Tokens are compared as SHA-256
// digests with timingSafeEqual: equal lengths, constant time, nothing learned from response timing.

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export function requireAdminToken(expectedToken: string): RequestHandler {
  return (request, _response, next) => {
    const header = request.get('authorization');
    if (!header) {
      throw new BridgeError(
        'UNAUTHORIZED',
        'The admin API needs an Authorization: Bearer <BRIDGE_ADMIN_TOKEN> header',
      );
    }
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!match || !tokenMatches(match[1]!, expectedToken)) {
      throw new BridgeError('UNAUTHORIZED', 'The bearer token is not valid for this bridge');
    }
    next();
  };
}

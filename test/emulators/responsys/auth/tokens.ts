import type { Random } from '../../shared/random.js';

const tokenAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

export interface IssuedToken {
  authToken: string;
  user: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * Auth tokens as Responsys issues them: 54 URL-safe characters starting with `E`, no expiry returned to
 * the client, invalid after the configured lifetime (or when a test expires them on purpose).
 */
export class TokenRegistry {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly random: Random,
  ) {}

  issue(user: string): IssuedToken {
    let authToken = 'E';
    while (authToken.length < 54)
      authToken += tokenAlphabet[Math.floor(this.random() * tokenAlphabet.length)];
    const issuedAt = this.now();
    const token = { authToken, user, issuedAt, expiresAt: issuedAt + this.ttlMs };
    this.tokens.set(authToken, token);
    return token;
  }

  /** The token behind an `Authorization` header (the raw token, no `Bearer ` prefix), if still valid. */
  validate(header: string | undefined): IssuedToken | undefined {
    if (!header) return undefined;
    const token = this.tokens.get(header.trim());
    if (!token) return undefined;
    if (this.now() >= token.expiresAt) {
      this.tokens.delete(token.authToken);
      return undefined;
    }
    return token;
  }

  revoke(authToken: string): void {
    this.tokens.delete(authToken);
  }

  /** Expires every token issued so far (the next call with any of them answers INVALID_TOKEN). */
  revokeAll(): number {
    const count = this.tokens.size;
    this.tokens.clear();
    return count;
  }

  get activeCount(): number {
    return this.tokens.size;
  }
}

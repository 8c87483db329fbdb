import { randomBytes } from 'node:crypto';
import type { EmulatorClock } from '../clock.js';

// Access tokens. Salesforce sessions time out after a period of inactivity (2 hours by default in
// Session Settings); every authenticated call extends them. Expired or revoked tokens answer
// 401 INVALID_SESSION_ID. The control API can expire sessions on demand.

export interface Session {
  token: string;
  userId: string;
  username: string;
  issuedAt: number;
  lastUsedAt: number;
  grant: 'jwt-bearer' | 'client_credentials' | 'password' | 'soap';
  clientId: string | null;
  expired: boolean;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly orgId: () => string,
    public timeoutMs: number,
  ) {}

  create(userId: string, username: string, grant: Session['grant'], clientId: string | null): Session {
    // Real tokens are the 15-character org id, '!', then an opaque part.
    const token = `${this.orgId().slice(0, 15)}!${randomBytes(72).toString('base64url')}`;
    const now = this.clock.nowMs();
    const session: Session = {
      token,
      userId,
      username,
      issuedAt: now,
      lastUsedAt: now,
      grant,
      clientId,
      expired: false,
    };
    this.sessions.set(token, session);
    return session;
  }

  /** The live session for a token, extending it; undefined when unknown, expired or revoked. */
  use(token: string): Session | undefined {
    const session = this.sessions.get(token);
    if (!session || session.expired) return undefined;
    const now = this.clock.nowMs();
    if (now - session.lastUsedAt > this.timeoutMs) {
      session.expired = true;
      return undefined;
    }
    session.lastUsedAt = now;
    return session;
  }

  revoke(token: string): boolean {
    return this.sessions.delete(token);
  }

  /** Expires every session, or those of one user / one token. Returns how many were expired. */
  expire(filter: { username?: string; token?: string } = {}): number {
    let count = 0;
    for (const session of this.sessions.values()) {
      if (filter.token && session.token !== filter.token) continue;
      if (filter.username && session.username.toLowerCase() !== filter.username.toLowerCase()) continue;
      if (!session.expired) count += 1;
      session.expired = true;
    }
    return count;
  }

  clear(): void {
    this.sessions.clear();
  }

  list(): Array<Omit<Session, 'token'> & { tokenPrefix: string }> {
    return [...this.sessions.values()].map(({ token, ...rest }) => ({
      ...rest,
      tokenPrefix: `${token.slice(0, 24)}...`,
      expired: rest.expired || this.clock.nowMs() - rest.lastUsedAt > this.timeoutMs,
    }));
  }
}

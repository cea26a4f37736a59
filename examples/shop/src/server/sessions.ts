import { randomBytes } from 'node:crypto';

/**
 * The shop's own sign-in sessions, in memory: a random id in an httpOnly cookie names the user.
 * A real app has its own (a database, Redis, its auth provider); Signet only needs to ask it
 * "who is this request?" when it issues a token.
 */
export class Sessions {
  private readonly users = new Map<string, string>();

  /** Starts a session for `userId` and returns its id, the cookie's value. */
  start(userId: string): string {
    const id = randomBytes(24).toString('base64url');
    this.users.set(id, userId);
    return id;
  }

  userOf(sessionId: string | undefined): string | null {
    return sessionId === undefined ? null : (this.users.get(sessionId) ?? null);
  }

  end(sessionId: string | undefined): void {
    if (sessionId !== undefined) this.users.delete(sessionId);
  }
}

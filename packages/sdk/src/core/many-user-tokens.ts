import { tokenClaims } from './token-claims.ts';
import { TokenStore } from './token-store.ts';
import type { UserAuthFailures } from './user-auth-failures.ts';

/**
 * The token store of a process sending for many users (`SignetBackend`). A user's newest token
 * is kept while it is valid, so that later calls for that user need not give it again; a user
 * with nothing queued and no valid token is forgotten completely: their token, the token a
 * replacement was asked for, the refusal last reported, and their failure count. The client
 * knows one user for a page's life and keeps none of this bookkeeping in check; a server
 * process sees users come and go for months.
 */
export class ManyUserTokenStore extends TokenStore {
  /** Each kept user's token expiry (seconds), read once when the token is passed. */
  private readonly expiries = new Map<string, number>();
  failures: UserAuthFailures | undefined;

  override pass(userId: string, token: string): boolean {
    const usable = super.pass(userId, token);
    if (usable) this.expiries.set(userId, tokenClaims(token)?.exp ?? 0);
    return usable;
  }

  override rejected(userId: string, token: string, ask: boolean): void {
    // A refused token is not worth keeping once the user's data is gone.
    this.expiries.delete(userId);
    super.rejected(userId, token, ask);
  }

  /** Keeps the users in `keep` (they have queued data) and those holding a valid token. */
  override prune(keep: ReadonlySet<string>): void {
    const now = this.serverClock.now() / 1000;
    const kept = new Set(keep);
    for (const [userId, exp] of this.expiries) {
      if (exp > now) kept.add(userId);
      else if (!keep.has(userId)) this.expiries.delete(userId);
    }
    for (const map of [this.asked, this.reported]) {
      for (const userId of map.keys()) if (!kept.has(userId)) map.delete(userId);
    }
    this.failures?.prune(kept);
    super.prune(kept);
  }
}

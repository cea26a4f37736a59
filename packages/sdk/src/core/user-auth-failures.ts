import type { UserKey } from './identity.ts';
import { MAX_AUTH_FAILURES } from './session.ts';
import type { AuthFailures } from './sync-loop.ts';

const NOT_PAUSED = Object.freeze({ paused: false });

/**
 * SPEC B4 for a process sending for many users: refused batches are counted per user, and one
 * user's failures never stop the others' data. After 10 refusals in a row for one user (a
 * `tokenProvider` that keeps returning tokens the server refuses), that user's data waits for a
 * token given with a call, and the provider is no longer asked for them: without this rule a
 * broken provider and the server would bounce tokens back and forth as fast as they can answer.
 * A stored batch, or a token given with a call, starts the user's count again.
 */
export class UserAuthFailures implements AuthFailures {
  /** Consecutive refusals per user key; users without one are absent. */
  private readonly counts = new Map<UserKey, number>();

  constructor(private readonly log: (message: string) => void) {}

  /** The sync loop itself never pauses: only a user's data waits. */
  current(): { readonly paused: boolean } {
    return NOT_PAUSED;
  }

  authFailed(user: UserKey): boolean {
    const count = (this.counts.get(user) ?? 0) + 1;
    this.counts.set(user, count);
    if (count === MAX_AUTH_FAILURES) {
      this.log(
        `${MAX_AUTH_FAILURES} consecutive authentication failures for user ${user.slice(2)}: their data waits for a token given with a call`,
      );
    }
    return false;
  }

  synced(user: UserKey): void {
    this.counts.delete(user);
  }

  /** True when this user's data waits for a token given with a call. */
  paused(user: UserKey): boolean {
    return (this.counts.get(user) ?? 0) >= MAX_AUTH_FAILURES;
  }

  /** A token given with a call: the user's data may be tried again. */
  resume(user: UserKey): void {
    this.counts.delete(user);
  }

  /** How many users wait after 10 refusals. */
  pausedUsers(): number {
    let paused = 0;
    for (const count of this.counts.values()) if (count >= MAX_AUTH_FAILURES) paused++;
    return paused;
  }

  /** Forgets the users with nothing queued (their data was sent or dropped). */
  prune(keep: ReadonlySet<string>): void {
    for (const user of this.counts.keys()) if (!keep.has(user.slice(2))) this.counts.delete(user);
  }
}

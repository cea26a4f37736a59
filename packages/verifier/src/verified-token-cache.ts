import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** What is remembered of a token that passed every check but the per-request subject check. */
export interface VerifiedToken {
  kid: string;
  subject: string;
  /** `exp`, seconds since the epoch. */
  expiresAt: number;
}

/** Long-lived tokens are re-verified at least daily, and a far-off `exp` never overflows a timer. */
const MAX_ENTRY_SECONDS = 24 * 60 * 60;

/**
 * An LRU of verified tokens keyed by the token's SHA-256, so that an SDK resending one token
 * with every batch pays for one signature check, and the cache never holds a usable token.
 * An entry lasts at most until `exp`; callers still check `exp` on a hit against their clock.
 *
 * @example
 * const cache = new VerifiedTokenCache(10_000);
 * cache.remember(token, { kid: 'k1', subject: 'alice', expiresAt }, nowSeconds);
 * cache.recall(token); // { kid: 'k1', subject: 'alice', expiresAt }
 */
export class VerifiedTokenCache {
  readonly #entries: LRUCache<string, VerifiedToken>;

  constructor(size: number) {
    this.#entries = new LRUCache({ max: size });
  }

  recall(token: string): VerifiedToken | undefined {
    return this.#entries.get(digest(token));
  }

  remember(token: string, verified: VerifiedToken, nowSeconds: number): void {
    const ttl = Math.floor(Math.min(verified.expiresAt - nowSeconds, MAX_ENTRY_SECONDS) * 1000);
    // Under a millisecond left (or past exp, accepted thanks to clock tolerance): not worth
    // remembering, and a ttl of 0 would mean "forever" to lru-cache.
    if (!(ttl >= 1)) return;
    this.#entries.set(digest(token), { ...verified }, { ttl });
  }

  forget(token: string): void {
    this.#entries.delete(digest(token));
  }
}

/** One-shot hashing: half the cost of a createHash object, which a cache hit would mostly be. */
function digest(token: string): string {
  return hash('sha256', token, 'base64url');
}

import { LRUCache } from 'lru-cache';

/** What is remembered of a token that passed every check but the per-request subject check. */
export interface VerifiedToken {
  kid: string;
  /** Which keys verified it: the app's registered keys or its identity provider's JWKS. */
  keySource: 'registered' | 'provider';
  subject: string;
  /** `exp`, seconds since the epoch. */
  expiresAt: number;
}

interface Entry {
  token: string;
  verified: VerifiedToken;
}

/** Long-lived tokens are re-verified at least daily, and a far-off `exp` never overflows a timer. */
const MAX_ENTRY_SECONDS = 24 * 60 * 60;

/**
 * Characters of the token used to find its entry: the end of the signature, 132 bits that no
 * one without the app's private key can choose. Only these are hashed (by V8's Map) on a hit.
 */
const INDEX_CHARS = 22;

/** Characters of token text one cache may hold, whatever its entry count: 8 MiB at most. */
const MAX_HELD_CHARS = 8 * 1024 * 1024;

/**
 * An LRU of verified tokens, so that an SDK resending one token with every batch pays for one
 * signature check. An entry is found by the token's last characters and recalled only when the
 * whole stored token equals the one presented, so every character of it is still compared; a
 * different token that shares the ending simply misses and is verified afresh.
 *
 * It holds the tokens themselves, as Envoy's JWT cache does: hashing each presented token
 * instead cost more than the goal allows for RS256 (docs/decisions.md). An entry lasts at most
 * until `exp`; callers still check `exp` on a hit against their clock.
 *
 * @example
 * const cache = new VerifiedTokenCache(10_000);
 * cache.remember(token, { kid: 'k1', subject: 'alice', expiresAt }, nowSeconds);
 * cache.recall(token); // { kid: 'k1', subject: 'alice', expiresAt }
 */
export class VerifiedTokenCache {
  readonly #entries: LRUCache<string, Entry>;

  constructor(size: number, maxHeldChars = MAX_HELD_CHARS) {
    this.#entries = new LRUCache({
      max: size,
      maxSize: maxHeldChars,
      sizeCalculation: (entry) => entry.token.length,
    });
  }

  recall(token: string): VerifiedToken | undefined {
    const entry = this.#entries.get(indexOf(token));
    return entry?.token === token ? entry.verified : undefined;
  }

  remember(token: string, verified: VerifiedToken, nowSeconds: number): void {
    const ttl = Math.floor(Math.min(verified.expiresAt - nowSeconds, MAX_ENTRY_SECONDS) * 1000);
    // Under a millisecond left (or past exp, accepted thanks to clock tolerance): not worth
    // remembering, and a ttl of 0 would mean "forever" to lru-cache.
    if (!(ttl >= 1)) return;
    this.#entries.set(indexOf(token), { token, verified: { ...verified } }, { ttl });
  }

  forget(token: string): void {
    const index = indexOf(token);
    if (this.#entries.peek(index)?.token === token) this.#entries.delete(index);
  }
}

function indexOf(token: string): string {
  return token.slice(-INDEX_CHARS);
}

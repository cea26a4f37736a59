import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../src/verified-token-cache.ts';

const NOW_S = 1_700_000_000;
const TAIL = 'S'.repeat(40); // the shared end of a signature
const verified = (subject: string) => ({
  kid: 'k1',
  keySource: 'registered' as const,
  subject,
  expiresAt: NOW_S + 600,
});

describe('VerifiedTokenCache', () => {
  it('recalls only the very token it was given, even when another shares its ending', () => {
    const cache = new VerifiedTokenCache(10);
    const alice = `header.alice.${TAIL}`;
    cache.remember(alice, verified('alice'), NOW_S);
    expect(cache.recall(`header.mallory.${TAIL}`)).toBeUndefined();
    expect(cache.recall(`${alice.slice(0, -1)}T`)).toBeUndefined();
    expect(cache.recall(` ${alice}`.slice(1))).toEqual(verified('alice'));
  });

  it('a second token with the same ending takes the place of the first, which then misses', () => {
    const cache = new VerifiedTokenCache(10);
    cache.remember(`h.alice.${TAIL}`, verified('alice'), NOW_S);
    cache.remember(`h.bob.${TAIL}`, verified('bob'), NOW_S);
    expect(cache.recall(`h.alice.${TAIL}`)).toBeUndefined();
    expect(cache.recall(`h.bob.${TAIL}`)).toEqual(verified('bob'));
  });

  it('forgets only the token it is asked to forget', () => {
    const cache = new VerifiedTokenCache(10);
    cache.remember(`h.bob.${TAIL}`, verified('bob'), NOW_S);
    cache.forget(`h.alice.${TAIL}`);
    expect(cache.recall(`h.bob.${TAIL}`)).toEqual(verified('bob'));
    cache.forget(`h.bob.${TAIL}`);
    expect(cache.recall(`h.bob.${TAIL}`)).toBeUndefined();
  });

  it('holds no more token text than its budget, dropping the least recently used', () => {
    const cache = new VerifiedTokenCache(100, 1_000);
    const tokens = Array.from({ length: 5 }, (_, i) => `${'x'.repeat(380)}.${i}`.padEnd(400, `${i}`));
    for (const token of tokens) cache.remember(token, verified('alice'), NOW_S);
    const held = tokens.map((token) => cache.recall(token) !== undefined);
    expect(held).toEqual([false, false, false, true, true]);
    const tooLong = `${'y'.repeat(1_001)}.z`;
    cache.remember(tooLong, verified('alice'), NOW_S);
    expect(cache.recall(tooLong)).toBeUndefined();
  });

  it('does not remember a token at or past its exp', () => {
    const cache = new VerifiedTokenCache(10);
    cache.remember(`h.alice.${TAIL}`, { ...verified('alice'), expiresAt: NOW_S }, NOW_S);
    expect(cache.recall(`h.alice.${TAIL}`)).toBeUndefined();
  });
});

import fc from 'fast-check';
import { createVerifier } from 'fast-jwt';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { chooseThread, onThreadPool } from '../src/verification-thread.ts';
import { makeKey, NOW, NOW_S, signRaw, type TestKey, verifierFor } from './helpers.ts';

// The real fast-jwt, watched: how often a verifier is made.
vi.mock('fast-jwt', async (importOriginal) => {
  const real = await importOriginal<typeof import('fast-jwt')>();
  return { ...real, createVerifier: vi.fn(real.createVerifier) };
});

/** Lets the microtasks queued so far run, as the end of a turn of the event loop does. */
const endOfTurn = () => Promise.resolve();

describe('chooseThread', () => {
  it('auto: the first token of a turn on this thread, the others of that turn on the pool', async () => {
    await endOfTurn();
    expect([
      chooseThread('auto', 'ES256'),
      chooseThread('auto', 'ES256'),
      chooseThread('auto', 'ES256'),
    ]).toEqual(['this-thread', 'thread-pool', 'thread-pool']);
    await endOfTurn();
    expect(chooseThread('auto', 'ES256')).toBe('this-thread');
  });

  it('auto: while a check is on the pool, a lone token joins it', async () => {
    await endOfTurn();
    let release = () => {};
    const pending = onThreadPool(() => new Promise<void>((resolve) => (release = resolve)));
    await endOfTurn();
    expect(chooseThread('auto', 'ES256')).toBe('thread-pool');
    release();
    await pending;
    await endOfTurn();
    expect(chooseThread('auto', 'ES256')).toBe('this-thread');
  });

  it('auto: RSA always on this thread, where its check costs less than the hop', async () => {
    await endOfTurn();
    for (const alg of ['RS256', 'PS512'] as const) {
      expect([chooseThread('auto', alg), chooseThread('auto', alg)]).toEqual(['this-thread', 'this-thread']);
    }
    expect(chooseThread('auto', 'EdDSA')).toBe('this-thread');
    expect(chooseThread('auto', 'EdDSA')).toBe('thread-pool');
  });

  it('a pinned side is kept whatever the load', async () => {
    await endOfTurn();
    expect([
      chooseThread('thread-pool', 'ES256'),
      chooseThread('this-thread', 'ES256'),
      chooseThread('this-thread', 'ES256'),
    ]).toEqual(['thread-pool', 'this-thread', 'this-thread']);
  });
});

describe('both sides', () => {
  let es: TestKey;
  beforeAll(async () => {
    es = await makeKey('ES256', 'main');
  });

  it('make the fast-jwt verifier once per kid and alg, however many tokens are checked', async () => {
    const app = verifierFor([es], {}, 0, 'this-thread');
    const token = await signRaw(es, JSON.stringify({ sub: 'alice', exp: NOW_S + 600 }));
    vi.mocked(createVerifier).mockClear();
    for (let i = 0; i < 5; i++) {
      expect(await app.verify(token, { expectedSubject: 'alice', now: NOW })).toMatchObject({ ok: true });
    }
    expect(createVerifier).toHaveBeenCalledTimes(1);
  });

  // The claims around every boundary the two libraries judge: whatever the mix, fast-jwt on this
  // thread (with the checks it is given) and jose on the pool must answer exactly alike.
  it('answer alike for any mix of claims and settings (fast-check, 500 tokens)', async () => {
    // On, and one second either side of, each boundary for tolerance 0 and 60. Claims lean
    // towards valid ones, so that most tokens get as far as the boundary being tried.
    const edge = fc.constantFrom(-3_661, -3_600, -61, -60, -59, -1, 0, 1, 59, 60, 61).map((d) => NOW_S + d);
    const odd = fc.constantFrom<unknown>('soon', null, 7, '', ['x']);
    const often = (usual: fc.Arbitrary<unknown>) =>
      fc.oneof({ arbitrary: usual, weight: 6 }, { arbitrary: odd, weight: 1 });
    const claims = fc.record({
      sub: often(fc.constant('alice')),
      exp: often(edge),
      nbf: often(fc.option(edge, { nil: undefined })),
      iat: often(fc.option(edge, { nil: undefined })),
      aud: often(fc.constantFrom<unknown>(undefined, 'app-1', 'app-2', ['app-2', 'app-1'], [], [7, 'app-1'])),
      iss: often(
        fc.constantFrom<unknown>(undefined, 'https://a.example', 'https://b.example', ['https://a.example']),
      ),
    });
    const settings = fc.record({
      audience: fc.constantFrom(null, 'app-1'),
      issuer: fc.constantFrom(null, 'https://a.example'),
      clockToleranceSeconds: fc.constantFrom(0, 60),
      maxTokenLifetimeSeconds: fc.constantFrom(null, 3_600),
    });
    await fc.assert(
      fc.asyncProperty(claims, settings, async (payload, rules) => {
        const token = await signRaw(es, JSON.stringify(payload));
        const check = { expectedSubject: 'alice', now: NOW };
        const here = await verifierFor([es], rules, 0, 'this-thread').verify(token, check);
        const pool = await verifierFor([es], rules, 0, 'thread-pool').verify(token, check);
        expect(here).toEqual(pool);
      }),
      { numRuns: 500 },
    );
  });
});

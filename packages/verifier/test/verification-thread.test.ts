import fc from 'fast-check';
import { createVerifier } from 'fast-jwt';
import { jwtVerify } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { chooseThread, enteredThreadPool, leftThreadPool } from '../src/verification-thread.ts';
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
    expect([chooseThread('auto'), chooseThread('auto'), chooseThread('auto')]).toEqual([
      'this-thread',
      'thread-pool',
      'thread-pool',
    ]);
    await endOfTurn();
    expect(chooseThread('auto')).toBe('this-thread');
  });

  it('auto: while a check is on the pool, a lone token joins it', async () => {
    await endOfTurn();
    enteredThreadPool();
    await endOfTurn();
    expect(chooseThread('auto')).toBe('thread-pool');
    leftThreadPool();
    await endOfTurn();
    expect(chooseThread('auto')).toBe('this-thread');
  });

  it('a pinned side is kept whatever the load', async () => {
    await endOfTurn();
    expect([chooseThread('thread-pool'), chooseThread('this-thread'), chooseThread('this-thread')]).toEqual([
      'thread-pool',
      'this-thread',
      'this-thread',
    ]);
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

  // The claims around every boundary jose judges: whatever the mix, this thread (fast-jwt) and
  // the pool (node:crypto), each with joseAcceptsClaims, answer exactly alike, and never yes
  // where jose says no.
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
        // jose alone, as Signet calls it: where it refuses, no fast path may have said yes.
        const joseSaysYes = await jwtVerify(token, es.publicKey, {
          algorithms: ['ES256'],
          requiredClaims: ['sub', 'exp'],
          clockTolerance: rules.clockToleranceSeconds,
          audience: rules.audience ?? undefined,
          issuer: rules.issuer ?? undefined,
          currentDate: NOW,
        }).then(
          () => true,
          () => false,
        );
        if (!joseSaysYes) expect(here.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

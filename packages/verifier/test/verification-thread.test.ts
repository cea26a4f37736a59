import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { createVerifier } from 'fast-jwt';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { chooseThread } from '../src/verification-thread.ts';
import { readyWorkerCount } from '../src/verification-workers.ts';
import { makeKey, NOW, NOW_S, signRaw, type TestKey, verifierFor } from './helpers.ts';

// The real fast-jwt, watched: how often a verifier is made.
vi.mock('fast-jwt', async (importOriginal) => {
  const real = await importOriginal<typeof import('fast-jwt')>();
  return { ...real, createVerifier: vi.fn(real.createVerifier) };
});

const run = promisify(execFile);

/** Lets the microtasks queued so far run, as the end of a turn of the event loop does. */
const endOfTurn = () => Promise.resolve();

describe('chooseThread', () => {
  it('auto: every token on this thread until the workers have loaded', async () => {
    await endOfTurn();
    // The second token of the turn starts the workers; none can take it yet.
    expect([chooseThread('auto'), chooseThread('auto'), chooseThread('auto')]).toEqual([
      'this-thread',
      'this-thread',
      'this-thread',
    ]);
  });

  it('auto: the first token of a turn here at once, the others shared with the workers', async () => {
    const workers = await workersLoaded();
    await endOfTurn();
    const sides = Array.from({ length: 21 }, () => chooseThread('auto'));
    expect(sides[0]).toBe('this-thread');
    const rest = sides.slice(1);
    // This thread keeps 1 in (workers + 1.5) of the rest, checked after they are sent.
    const kept = rest.filter((side) => side === 'this-thread-after-send').length;
    expect(kept).toBe(Math.floor(20 / (workers + 1.5)));
    expect(rest.filter((side) => side === 'worker-thread')).toHaveLength(20 - kept);
    await endOfTurn();
    expect(chooseThread('auto')).toBe('this-thread');
  });

  it('a pinned side is kept whatever the load', async () => {
    await endOfTurn();
    expect([
      chooseThread('worker-thread'),
      chooseThread('thread-pool'),
      chooseThread('this-thread'),
      chooseThread('this-thread'),
    ]).toEqual(['worker-thread', 'thread-pool', 'this-thread', 'this-thread']);
  });
});

describe('worker threads', () => {
  let rsa: TestKey;
  beforeAll(async () => {
    rsa = await makeKey('RS256', 'rsa');
  });

  it('pinned: a valid token is accepted on a worker, with no signature check by jose here', async () => {
    const app = verifierFor([rsa], {}, 0, 'worker-thread');
    const token = await signRaw(rsa, JSON.stringify({ sub: 'alice', exp: NOW_S + 600 }));
    const joseVerify = vi.spyOn(crypto.subtle, 'verify');
    const createdHere = vi.mocked(createVerifier).mock.calls.length;
    expect(await app.verify(token, { expectedSubject: 'alice', now: NOW })).toMatchObject({ ok: true });
    expect(joseVerify).not.toHaveBeenCalled();
    expect(vi.mocked(createVerifier).mock.calls.length).toBe(createdHere);
    // A forged one is refused by jose, which gives the reason.
    const forged = `${token.slice(0, -4)}AAAA`;
    expect(await app.verify(forged, { now: NOW })).toMatchObject({ ok: false, reason: 'signature_invalid' });
    expect(joseVerify).toHaveBeenCalledTimes(1);
    joseVerify.mockRestore();
  });

  it('tokens started together are shared out and answered exactly as on this thread', async () => {
    await workersLoaded();
    const good = await signRaw(rsa, JSON.stringify({ sub: 'alice', exp: NOW_S + 600 }));
    const bob = await signRaw(rsa, JSON.stringify({ sub: 'bob', exp: NOW_S + 600 }));
    const expired = await signRaw(rsa, JSON.stringify({ sub: 'alice', exp: NOW_S - 3_600 }));
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${(await signRaw(rsa, '{}')).split('.')[2]}`;
    const tokens = Array.from({ length: 40 }, (_, i) => [good, bob, expired, forged][i % 4] as string);
    const check = { expectedSubject: 'alice', now: NOW };
    const shared = await Promise.all(tokens.map((t) => verifierFor([rsa], {}, 0, 'auto').verify(t, check)));
    const here = [];
    for (const t of tokens) here.push(await verifierFor([rsa], {}, 0, 'this-thread').verify(t, check));
    expect(shared).toEqual(here);
    expect(shared.slice(0, 4).map((r) => (r.ok ? 'ok' : r.reason))).toEqual([
      'ok',
      'subject_mismatch',
      'expired',
      'signature_invalid',
    ]);
  });

  it('do not keep the process alive once their tokens are answered', async () => {
    const script = new URL('./fixtures/verify-on-workers.ts', import.meta.url).pathname;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ verified: 20, joseChecks: 0 });
  });
});

/** Waits for the workers this process started to load; their number. */
async function workersLoaded(): Promise<number> {
  for (let waited = 0; waited < 20_000; waited += 50) {
    const ready = readyWorkerCount();
    if (ready > 0) return ready;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no verification worker loaded in 20 s');
}

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

  // The claims around every boundary the two libraries judge: whatever the mix, fast-jwt (here or
  // on a worker, the same check) and jose on the pool must answer exactly alike.
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

// How often signatures are checked and keys prepared on each side, with node:crypto watched.
import { createPublicKey, verify } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { claims, makeKey, NOW, sign, type TestKey, verifierFor, withAlg } from './helpers.ts';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, verify: vi.fn(real.verify), createPublicKey: vi.fn(real.createPublicKey) };
});

const check = { expectedSubject: 'alice', now: NOW };

let es: TestKey;
let rsa: TestKey;
beforeAll(async () => {
  [es, rsa] = await Promise.all([makeKey('ES256', 'main'), makeKey('RS256', 'rsa')]);
});

describe('on the thread pool', () => {
  it('a signature is checked once per token, and never for a cache hit', async () => {
    const app = verifierFor([es], {}, undefined, 'thread-pool');
    const token = await sign(es);
    vi.mocked(verify).mockClear();
    expect(await app.verify(token, check)).toMatchObject({ ok: true, cached: false });
    expect(verify).toHaveBeenCalledTimes(1);
    // Asked for a callback: node:crypto then runs the check on libuv's thread pool.
    expect(vi.mocked(verify).mock.calls[0]?.[4]).toBeTypeOf('function');
    expect(await app.verify(token, check)).toMatchObject({ ok: true, cached: true });
    expect(verify).toHaveBeenCalledTimes(1);
    await app.verify(await sign(es, claims({ jti: 'new' })), check);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('a key is prepared once per kid and alg, however many tokens are checked', async () => {
    const app = verifierFor([rsa], {}, 0, 'thread-pool');
    const tokens = await Promise.all([sign(rsa), sign(rsa), sign(rsa)]);
    vi.mocked(createPublicKey).mockClear();
    for (const result of await Promise.all(tokens.map((token) => app.verify(token, check)))) {
      expect(result).toMatchObject({ ok: true, kid: 'rsa' });
    }
    expect(await app.verify(await sign(rsa, claims({ jti: 'late' })), check)).toMatchObject({ ok: true });
    expect(createPublicKey).toHaveBeenCalledTimes(1);
    expect(await app.verify(await sign(withAlg(rsa, 'PS256')), check)).toMatchObject({ ok: true });
    expect(createPublicKey).toHaveBeenCalledTimes(2);
  });
});

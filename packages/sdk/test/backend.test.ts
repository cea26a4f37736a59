import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchEvent } from '@signet/protocol';
import { describe, expect, it, vi } from 'vitest';
import type { AuthenticationError } from '../src/core/authentication-error.ts';
import { memoryStorage } from '../src/core/memory-storage.ts';
import { SignetBackend, type SignetBackendOptions } from '../src/node/index.ts';
import { FakeClock, fakeToken, fakeTransport, jwtError, type SentRequest, settle } from './fakes.ts';

// SignetBackend (SPEC §6.2) on a fake clock and a scripted transport: batches per user, each with
// only its own user's token, and the auth-failure and retry rules per user.

function backend(options: Partial<SignetBackendOptions> = {}, answer?: Parameters<typeof fakeTransport>[0]) {
  const clock = new FakeClock();
  const { transport, requests } = fakeTransport(answer);
  const errors: AuthenticationError['data'][] = [];
  const b = SignetBackend.init({
    appId: 'app-1',
    endpoint: 'http://collect.test',
    clock,
    transport,
    random: () => 0.5,
    flushAt: 500,
    ...options,
  });
  b.registerAuthenticationListener((error) => {
    errors.push(error.data);
  });
  const token = (sub: string, tag = '', ttl = 900) =>
    fakeToken({ sub, exp: Math.floor(clock.time / 1000) + ttl }, tag);
  return { b, clock, requests, errors, token };
}

const userOf = (r: SentRequest) => ('id' in r.batch.user ? r.batch.user.id : null);
const bearer = (r: SentRequest) => r.headers.authorization?.replace('Bearer ', '');
const subOf = (r: SentRequest) =>
  JSON.parse(Buffer.from((bearer(r) as string).split('.')[1] as string, 'base64url').toString()).sub;

describe('SignetBackend', () => {
  it('batches per user, each batch with only its own user’s newest token', async () => {
    const { b, requests, token } = backend();
    const users = ['u1', 'u2', 'u3'];
    for (let i = 0; i < 12; i++) {
      const userId = users[i % 3] as string;
      // Each user's token is replaced on their third call: the batch carries the newest.
      b.track({ userId, token: token(userId, i < 6 ? 'old' : 'new'), name: 'E', properties: { i } });
    }
    b.identify({ userId: 'u1', traits: { plan: 'pro' } });
    b.page({ userId: 'u2', name: 'Invoice', properties: { path: '/i/7' } });
    await b.flush();
    expect(requests.map(userOf).sort()).toEqual(users);
    for (const r of requests) {
      expect(subOf(r)).toBe(userOf(r));
      expect(bearer(r)).toMatch(/signew$/);
      expect(r.batch.sdk?.name).toBe('signet-backend');
      for (const event of r.batch.events) {
        expect(event.sessionId).toBeUndefined();
        // The process's locale and time zone are not the user's: the library only.
        expect(event.context).toEqual({ library: { name: 'signet-backend', version: r.batch.sdk?.version } });
      }
    }
    const byUser = Object.fromEntries(requests.map((r) => [userOf(r), r.batch.events]));
    expect(byUser.u1?.map((e: BatchEvent) => e.type)).toEqual([
      'track',
      'track',
      'track',
      'track',
      'attributes',
    ]);
    expect(byUser.u2?.at(-1)).toMatchObject({ type: 'page', name: 'Invoice', properties: { path: '/i/7' } });
    expect(b.stats()).toMatchObject({ queued: 0, sent: 14, dropped: 0, state: 'idle', usersPaused: 0 });
  });

  it('B3 per user: a refused token holds only that user’s data, the listener is called once, a new token resumes at once', async () => {
    const { b, requests, errors, token } = backend({}, (r) =>
      r.headers.authorization?.endsWith('sigbad')
        ? jwtError('INVALID_SIGNATURE', 'signature_invalid')
        : { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } },
    );
    b.track({ userId: 'alice', token: token('alice', 'bad'), name: 'A' });
    b.track({ userId: 'bob', token: token('bob'), name: 'B' });
    await b.flush();
    await b.flush();
    await settle();
    expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_SIGNATURE', userIdentifier: 'alice' })]);
    expect(requests.map(userOf)).toEqual(['alice', 'bob']); // alice's refused batch is not retried
    expect(b.stats()).toMatchObject({ queued: 1, sent: 1, state: 'waiting-for-token' });
    b.track({ userId: 'alice', token: token('alice', 'good'), name: 'A2' });
    await vi.waitFor(() => expect(b.stats().queued).toBe(0));
    expect(requests.at(-1)?.batch.events.map((e) => ('name' in e ? e.name : e.type))).toEqual(['A', 'A2']);
  });

  it('B2: a token for another user is refused at the call; that user’s data waits, the others go', async () => {
    const { b, requests, errors, token } = backend();
    b.track({ userId: 'alice', token: token('mallory'), name: 'A' });
    b.track({ userId: 'bob', token: token('bob'), name: 'B' });
    await b.flush();
    await settle();
    expect(errors.map((e) => [e.code, e.userIdentifier])).toEqual([
      ['IDENTIFIER_MISMATCH', 'alice'],
      ['TOKEN_NOT_AVAILABLE', 'alice'],
    ]);
    expect(requests.map(userOf)).toEqual(['bob']);
  });

  it('tokenProvider per user: asked for each user without a token, with that user’s id', async () => {
    const asked: string[] = [];
    const { b, requests, clock } = backend({
      tokenProvider: async (userId) => {
        asked.push(userId);
        return fakeToken({ sub: userId, exp: Math.floor(clock.time / 1000) + 900 });
      },
    });
    for (const userId of ['u1', 'u2', 'u1', 'u3']) b.track({ userId, name: 'E' });
    await b.flush();
    expect(asked).toEqual(['u1', 'u2', 'u3']);
    for (const r of requests) expect(subOf(r)).toBe(userOf(r));
  });

  it('B6 per user: 413 splits one user’s batch, 400 drops only that user’s batch (counted), 503 keeps everything', async () => {
    let fail503 = true;
    const { b, requests, token } = backend({}, (r) => {
      const user = userOf(r);
      if (user === 'big' && r.batch.events.length > 2) return { status: 413, body: {} };
      if (user === 'bad') return { status: 400, body: { error: { type: 'request', code: 'INVALID_BATCH' } } };
      if (user === 'flaky' && fail503) return { status: 503, headers: { 'retry-after': '1' }, body: {} };
      return { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } };
    });
    for (let i = 0; i < 4; i++) b.track({ userId: 'big', token: token('big'), name: `big ${i}` });
    b.track({ userId: 'bad', token: token('bad'), name: 'bad' });
    b.track({ userId: 'ok', token: token('ok'), name: 'ok' });
    await b.flush();
    expect(b.stats()).toMatchObject({ queued: 0, sent: 5, dropped: 1 });
    expect(requests.filter((r) => userOf(r) === 'big').map((r) => r.batch.events.length)).toEqual([4, 2, 2]);

    b.track({ userId: 'flaky', token: token('flaky'), name: 'f' });
    await b.flush();
    expect(b.stats()).toMatchObject({ queued: 1, state: 'backing-off' });
    fail503 = false;
    await b.flush();
    expect(b.stats()).toMatchObject({ queued: 0, sent: 6 });
  });

  it('10 refusals in a row for one user: the provider is no longer asked for them, a token given with a call resumes', async () => {
    let asked = 0;
    const { b, requests, errors, clock, token } = backend(
      {
        // A broken backend: every token it makes is refused.
        tokenProvider: (userId) => {
          asked++;
          return fakeToken({ sub: userId, exp: Math.floor(clock.time / 1000) + 900 }, `bad${asked}`);
        },
      },
      (r) =>
        /sigbad\d+$/.test(r.headers.authorization ?? '')
          ? jwtError('INVALID_SIGNATURE', 'key_not_found')
          : { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } },
    );
    b.track({ userId: 'alice', name: 'A' });
    b.track({ userId: 'bob', token: token('bob'), name: 'B' });
    await b.flush();
    await clock.advance(60_000);
    await settle();
    expect(errors.filter((e) => e.userIdentifier === 'alice')).toHaveLength(10);
    expect(requests.filter((r) => userOf(r) === 'alice')).toHaveLength(10);
    expect(asked).toBe(10);
    expect(b.stats()).toMatchObject({ usersPaused: 1, queued: 1, sent: 1 });
    await clock.advance(600_000);
    expect(requests.filter((r) => userOf(r) === 'alice')).toHaveLength(10);

    b.track({ userId: 'alice', token: token('alice', 'fresh'), name: 'A2' });
    await vi.waitFor(() => expect(b.stats()).toMatchObject({ queued: 0, usersPaused: 0 }));
  });

  it('sends at flushAt and every flushIntervalMs; close() sends what is queued, then no timer fires', async () => {
    const { b, requests, clock, token } = backend({ flushAt: 3, flushIntervalMs: 5000 });
    for (const userId of ['a', 'b', 'c']) b.track({ userId, token: token(userId), name: 'E' });
    await settle();
    expect(requests).toHaveLength(3);
    b.track({ userId: 'a', name: 'later' });
    await clock.advance(5000);
    expect(requests).toHaveLength(4);
    b.track({ userId: 'b', token: token('b'), name: 'at close' });
    await b.close();
    expect(requests).toHaveLength(5);
    b.track({ userId: 'c', token: token('c'), name: 'after close' });
    await clock.advance(600_000);
    expect(requests).toHaveLength(5);
    expect(clock.nextAt()).toBeNull();
  });

  it('keeps a user’s token while it is valid (later calls need not repeat it), then forgets the user', async () => {
    const storage = memoryStorage();
    const { b, requests, errors, clock, token } = backend({ storage });
    b.identify({ userId: 'u1', token: token('u1', '', 600) });
    b.track({ userId: 'u1', name: 'A' });
    await b.flush();
    b.track({ userId: 'u1', name: 'B' });
    await b.flush();
    expect(requests.map((r) => bearer(r))).toEqual([token('u1', '', 600), token('u1', '', 600)]);
    await clock.advance(601_000); // the token expired: nothing of u1 is kept any more
    await b.flush();
    expect(JSON.parse(storage.getItem('signet:app-1:tokens') ?? '{}')).toEqual({});
    b.track({ userId: 'u1', name: 'C' });
    await b.flush();
    await settle();
    expect(requests).toHaveLength(2);
    expect(errors).toEqual([expect.objectContaining({ code: 'TOKEN_NOT_AVAILABLE', userIdentifier: 'u1' })]);
  });

  it('with JWT disabled no Authorization header goes out, and tokens given are ignored', async () => {
    const { b, requests, token } = backend({ networkRequest: { authorization: { jwtEnabled: false } } });
    b.track({ userId: 'u1', token: token('u1'), name: 'A' });
    await b.flush();
    expect(requests[0]?.headers.authorization).toBeUndefined();
  });

  it('bad calls are dropped and counted, never thrown; bad options throw at init', async () => {
    const { b } = backend();
    b.track({ userId: '', name: 'x' });
    b.track(null as never);
    b.track({ userId: 'u', name: '' });
    b.page({ userId: 'u', properties: 'nope' as never });
    expect(b.stats()).toMatchObject({ dropped: 4, queued: 0 });
    expect(() => SignetBackend.init({ appId: '', endpoint: 'http://x' })).toThrow(
      'SignetBackend.init: appId is required',
    );
  });

  it('keeps nothing on disk unless storage is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-backend-'));
    const before = process.env.XDG_STATE_HOME;
    process.env.XDG_STATE_HOME = dir;
    try {
      const { b, token } = backend({}, () => 'network-error');
      b.track({ userId: 'u1', token: token('u1'), name: 'A' });
      await b.flush();
      await b.close();
      expect(b.stats().queued).toBe(1);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      process.env.XDG_STATE_HOME = before;
      if (before === undefined) delete process.env.XDG_STATE_HOME;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

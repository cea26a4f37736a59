import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuthenticationError } from '../src/core/authentication-error.ts';
import type { SignetOptions } from '../src/core/options.ts';
import { fileStorage, Signet, stateDir } from '../src/node/index.ts';
import { FakeClock, settle } from './fakes.ts';
import { deadPort, realServer } from './real-server.ts';

// B1–B9 against the real server in `required` mode: real SQLite file, real port, real ES256
// tokens, the Node entry point with its file store. Only the SDK's clock is injected, so that
// backoff and sessions move without sleeping.

let server: Awaited<ReturnType<typeof realServer>>;
let base: string;
let dead: string;

beforeAll(async () => {
  server = await realServer();
  base = await server.listen();
  dead = `http://127.0.0.1:${await deadPort()}`;
});
afterAll(() => server.close());

let n = 0;
async function client(options: Partial<SignetOptions> & { file?: string } = {}) {
  const app = await server.createApp('required');
  const file = options.file ?? join(server.dir, `queue-${n++}.json`);
  const clock = new FakeClock(Date.now());
  const errors: AuthenticationError['data'][] = [];
  const make = (extra: Partial<SignetOptions> = {}) => {
    const signet = Signet.init({
      appId: app.appId,
      endpoint: base,
      networkRequest: { authorization: { jwtEnabled: true } },
      storage: fileStorage(file),
      clock,
      flushAt: 500,
      ...options,
      ...extra,
    });
    signet.registerAuthenticationListener((error) => {
      errors.push(error.data);
    });
    return signet;
  };
  return { ...app, signet: make(), make, clock, errors, file };
}

describe('Node SDK against the real server (required mode)', () => {
  it('B1: each user’s data goes with that user’s own token and is stored verified; anonymous data without one', async () => {
    const c = await client();
    c.signet.track('anonymous view');
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice'),
      userIdentifier: 'alice',
    });
    c.signet.track('alice buys');
    c.signet.identify('bob');
    c.signet.passAuthenticationDetails({ type: 'jwt', token: await c.sign('bob'), userIdentifier: 'bob' });
    c.signet.track('bob buys');
    await c.signet.flush();
    const stored = await c.events();
    const byName = Object.fromEntries(stored.filter((e) => e.name).map((e) => [e.name, e]));
    expect(byName['anonymous view']).toMatchObject({ userId: null, verified: null });
    expect(byName['alice buys']).toMatchObject({ userId: 'alice', verified: true });
    expect(byName['bob buys']).toMatchObject({ userId: 'bob', verified: true });
    expect(await c.failures()).toEqual([]);
    expect(c.signet.stats()).toMatchObject({ queued: 0, sent: 4 }); // 3 tracks + the anonymous→alice alias

    // With JWT disabled in the SDK no header goes out: the required-mode server refuses it.
    const off = await client({ networkRequest: { authorization: { jwtEnabled: false } } });
    off.signet.identify('carol');
    off.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await off.sign('carol'),
      userIdentifier: 'carol',
    });
    off.signet.track('x');
    await off.signet.flush();
    await settle();
    expect(off.errors).toEqual([expect.objectContaining({ code: 'TOKEN_NOT_AVAILABLE', reason: 'missing' })]);
  });

  it('B2: a token for another user is refused locally, and the server never sees it', async () => {
    const c = await client();
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('mallory'),
      userIdentifier: 'alice',
    });
    c.signet.track('x');
    await c.signet.flush();
    await settle();
    expect(c.errors[0]).toMatchObject({
      code: 'IDENTIFIER_MISMATCH',
      reason: 'subject_mismatch',
      userIdentifier: 'alice',
    });
    expect(await c.failures()).toEqual([]);
    expect(c.signet.stats().queued).toBe(2);
  });

  it('B2: a token expired by server time is refused locally with TIME_CONSTRAINT_FAILURE', async () => {
    const c = await client();
    c.clock.time = Date.now() - 3_600_000; // the device is an hour behind: only the Date header tells
    c.signet.track('learn server time');
    await c.signet.flush();
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice', -120),
      userIdentifier: 'alice',
    });
    await settle();
    expect(c.errors).toEqual([
      expect.objectContaining({ code: 'TIME_CONSTRAINT_FAILURE', reason: 'expired' }),
    ]);
    expect(await c.failures()).toEqual([]);
  });

  it('B3: one listener call per failure, no retry until a new token, then it resumes at once with the same ids', async () => {
    const c = await client();
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice', 900, { unregisteredKey: true }),
      userIdentifier: 'alice',
    });
    c.signet.track('checkout');
    await c.signet.flush();
    await c.signet.flush();
    await c.clock.advance(600_000); // interval timers fire: still no retry
    await settle();
    expect(c.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_SIGNATURE', userIdentifier: 'alice' }),
    ]);
    expect(await c.failures()).toHaveLength(1); // the server saw one attempt only
    expect(c.signet.stats()).toMatchObject({ queued: 2, state: 'waiting-for-token' });
    const queuedIds = Object.keys(JSON.parse(readFileSync(c.file, 'utf8'))).filter((k) => k.includes(':q:'));

    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice'),
      userIdentifier: 'alice',
    });
    // No flush() and no timer: the new token alone resumes sync.
    await vi.waitFor(() => expect(c.signet.stats().queued).toBe(0), { timeout: 5000, interval: 5 });
    const stored = await c.events('alice');
    expect(stored.map((e) => e.id).sort()).toEqual(queuedIds.map((k) => k.split(':q:')[1]).sort());
    expect(stored.every((e) => e.verified)).toBe(true);
  });

  it('B4: exactly 10 refused batches, then silence until the next session; events are kept', async () => {
    const c = await client();
    c.signet.identify('alice');
    c.signet.track('a');
    for (let i = 0; i < 12; i++) {
      c.signet.passAuthenticationDetails({
        type: 'jwt',
        token: await c.sign('alice', 900 + i, { unregisteredKey: true }),
        userIdentifier: 'alice',
      });
      await c.signet.flush();
      await settle();
    }
    expect(await c.failures()).toHaveLength(10);
    expect(c.errors).toHaveLength(10);
    c.signet.track('b');
    expect(c.signet.stats()).toMatchObject({
      queued: 3,
      pausedReason: 'auth_failures',
      authFailuresInSession: 10,
    });
    c.signet.startNewSession();
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice'),
      userIdentifier: 'alice',
    });
    await c.signet.flush();
    expect((await c.events('alice')).map((e) => e.name ?? e.type).sort()).toEqual(['a', 'alias', 'b']);
    expect(c.signet.stats()).toMatchObject({ queued: 0, authFailuresInSession: 0 });
  });

  it('B5: logout deletes pending data after a JWT failure, and keeps it (bound to the user) after a network failure', async () => {
    const c = await client();
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice', 900, { unregisteredKey: true }),
      userIdentifier: 'alice',
    });
    c.signet.track('a');
    await c.signet.logout();
    expect(c.signet.stats().queued).toBe(0);
    expect(await c.failures()).toHaveLength(1);

    const d = await client({ endpoint: dead });
    d.signet.identify('bob');
    const token = await d.sign('bob');
    d.signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'bob' });
    d.signet.track('b');
    await d.signet.logout();
    expect(d.signet.stats().queued).toBe(2);
    await d.signet.close();
    const back = d.make({ endpoint: base }); // same file, network back
    back.track('anonymous after logout');
    await back.flush();
    expect((await d.events('bob')).map((e) => e.name ?? e.type).sort()).toEqual(['alias', 'b']);
    expect((await d.events()).find((e) => e.name === 'anonymous after logout')?.userId).toBeNull();
  });

  it('B6: a batch the server refuses as invalid (400) is dropped and counted; the rest still flows', async () => {
    const c = await client();
    c.signet.track('good');
    c.signet.track('poisoned', JSON.parse('{"__proto__": {"x": 1}}'));
    await c.signet.flush();
    expect(c.signet.stats()).toMatchObject({ queued: 0, dropped: 2, sent: 0 });
    c.signet.track('after');
    await c.signet.flush();
    expect((await c.events()).map((e) => e.name)).toEqual(['after']);
  });

  it('B7: events persist in the file across a restart, keep their ids, and are bounded by maxQueueSize', async () => {
    const c = await client({ endpoint: dead, maxQueueSize: 3 });
    for (const name of ['1', '2', '3', '4']) c.signet.track(name);
    await c.signet.flush(); // network down
    await c.signet.close();
    expect(statSync(c.file).mode & 0o777).toBe(0o600);
    const ids = Object.keys(JSON.parse(readFileSync(c.file, 'utf8'))).filter((k) => k.includes(':q:'));
    expect(ids).toHaveLength(3);
    const restarted = c.make({ endpoint: base });
    expect(restarted.stats().queued).toBe(3);
    await restarted.flush();
    const stored = await c.events();
    expect(stored.map((e) => e.name).sort()).toEqual(['2', '3', '4']);
    expect(stored.map((e) => e.id).sort()).toEqual(ids.map((k) => k.split(':q:')[1]).sort());
  });

  it('B8: sessions end after inactivity and on startNewSession(), survive a restart, and the server stores each sessionId', async () => {
    const c = await client({ sessionTimeoutMinutes: 30 });
    const step = async (name: string, advanceMs: number) => {
      await c.clock.advance(advanceMs);
      c.signet.track(name);
      await c.signet.flush();
    };
    await step('s1-a', 0);
    await step('s1-b', 29 * 60_000); // activity within the timeout keeps the session
    await step('s2-a', 30 * 60_000 + 1); // 30 min of inactivity ends it
    c.signet.startNewSession();
    await step('s3-a', 0);
    await c.signet.close();
    const restarted = c.make(); // same file: the session is persisted
    await c.clock.advance(10 * 60_000);
    restarted.track('s3-b');
    await restarted.flush();

    const session = Object.fromEntries((await c.events()).map((e) => [e.name, e.sessionId]));
    for (const name of ['s1-a', 's1-b', 's2-a', 's3-a', 's3-b'])
      expect(session[name]).toMatch(/^[0-9a-f-]{36}$/);
    expect(session['s1-b']).toBe(session['s1-a']);
    expect(session['s2-a']).not.toBe(session['s1-a']);
    expect(session['s3-a']).not.toBe(session['s2-a']);
    expect(session['s3-b']).toBe(session['s3-a']);
    expect(new Set(Object.values(session)).size).toBe(3);
  });

  it('B9: after a server refusal the provider is asked exactly once, and the batch then goes with the new token', async () => {
    const asked: string[] = [];
    let sign: Awaited<ReturnType<typeof client>>['sign'] = async () => '';
    const c = await client({
      // The backend's first token is signed with a key the server does not know.
      tokenProvider: async (userId) => {
        asked.push(userId);
        return sign(userId, 900, { unregisteredKey: asked.length === 1 });
      },
    });
    sign = c.sign;
    c.signet.identify('alice');
    c.signet.track('a');
    await c.signet.flush();
    await vi.waitFor(() => expect(c.signet.stats().queued).toBe(0), { timeout: 5000, interval: 5 });
    expect(asked).toEqual(['alice', 'alice']);
    expect(await c.failures()).toEqual([expect.objectContaining({ code: 'INVALID_SIGNATURE' })]);
    expect(c.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_SIGNATURE', userIdentifier: 'alice' }),
    ]);
    c.signet.track('b');
    await c.signet.flush();
    expect(asked).toHaveLength(2);
    const stored = await c.events('alice');
    expect(stored.map((e) => e.name ?? e.type).sort()).toEqual(['a', 'alias', 'b']);
    expect(stored.every((e) => e.verified)).toBe(true);
    expect(c.signet.stats()).toMatchObject({ sent: 3, authFailuresInSession: 0, state: 'idle' });
  });

  it('B9: a key removed on the server: one refusal, one provider call, then the new key’s token delivers', async () => {
    const asked: string[] = [];
    let sign: Awaited<ReturnType<typeof client>>['sign'] = async () => '';
    const c = await client({
      tokenProvider: async (userId) => {
        asked.push(userId);
        return sign(userId);
      },
    });
    sign = c.sign;
    c.signet.identify('alice');
    c.signet.track('before');
    await c.signet.flush();
    expect(asked).toEqual(['alice']);
    await c.rotateKey(); // the held token's key is gone from the server
    c.signet.track('after');
    await c.signet.flush();
    await vi.waitFor(() => expect(c.signet.stats().queued).toBe(0), { timeout: 5000, interval: 5 });
    expect(asked).toEqual(['alice', 'alice']);
    expect(await c.failures()).toHaveLength(1);
    const stored = await c.events('alice');
    expect(stored.map((e) => e.name ?? e.type).sort()).toEqual(['after', 'alias', 'before']);
    expect(stored.every((e) => e.verified)).toBe(true);
  });

  it('B9: a device clock an hour fast: asked when missing and 60 s before exp by server time, never refused', async () => {
    const asked: string[] = [];
    let sign: Awaited<ReturnType<typeof client>>['sign'] = async () => '';
    const c = await client({
      tokenProvider: async (userId) => {
        asked.push(userId);
        return sign(userId, 300); // 5 minutes by the server's clock
      },
    });
    sign = c.sign;
    c.clock.time = Date.now() + 3_600_000;
    c.signet.identify('alice');
    c.signet.track('a');
    await c.signet.flush();
    expect(asked).toEqual(['alice']);
    // The SDK's view of server time moves with its own clock between answers (each answer's
    // Date header re-anchors it): 200 s on, the token has 100 s left, so it is kept.
    await c.clock.advance(200_000);
    c.signet.track('b');
    await c.signet.flush();
    expect(asked).toHaveLength(1);
    // 250 s on, 50 s are left: less than 60, so the provider is asked before sending.
    await c.clock.advance(250_000);
    c.signet.track('c');
    await c.signet.flush();
    expect(asked).toHaveLength(2);
    expect(c.errors).toEqual([]);
    expect(await c.failures()).toEqual([]);
    expect((await c.events('alice')).map((e) => e.name ?? e.type).sort()).toEqual(['a', 'alias', 'b', 'c']);
  });

  it('B9: tokenProvider with a real backend: asked when missing and before expiry; no batch is ever refused', async () => {
    const asked: string[] = [];
    let sign: (sub: string, ttl?: number) => Promise<string> = async () => '';
    const c = await client({
      tokenProvider: async (userId) => {
        asked.push(userId);
        return sign(userId, 90);
      },
    });
    sign = c.sign;
    c.signet.identify('alice');
    c.signet.track('a');
    await c.signet.flush();
    expect(asked).toEqual(['alice']);
    await c.clock.advance(45_000); // 45 s before a 90 s token expires: ask ahead
    c.signet.track('b');
    await c.signet.flush();
    expect(asked).toEqual(['alice', 'alice']);
    expect(await c.failures()).toEqual([]);
    expect(c.errors).toEqual([]);
    expect((await c.events('alice')).length).toBe(3);
  });
});

describe('Node file store', () => {
  it('lives in the user state directory by default', () => {
    expect(stateDir({ XDG_STATE_HOME: '/x/state' }, 'linux')).toBe('/x/state/signet');
    expect(stateDir({}, 'linux')).toMatch(/\.local\/state\/signet$/);
    expect(stateDir({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32')).toContain('signet');
  });

  it('writes atomically and moves an unreadable file aside instead of failing', async () => {
    const file = join(server.dir, 'atomic', 'q.json');
    const store = fileStorage(file);
    store.setItem('k', 'v');
    await store.persist?.();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ k: 'v' });
    expect(existsSync(`${file}.${process.pid}.tmp`)).toBe(false);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, '{half');
    const again = fileStorage(file);
    expect(again.keys()).toEqual([]);
  });
});

describe('Node file store failures', () => {
  it('keeps data in memory when the file cannot be written, and writes it once it can', async () => {
    const { mkdtempSync, rmSync, mkdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'signet-fs-'));
    const file = join(dir, 'sub', 'q.json');
    const store = fileStorage(file);
    rmSync(join(dir, 'sub'), { recursive: true });
    store.setItem('k', 'v');
    await store.persist?.(); // must not throw
    expect(store.getItem('k')).toBe('v');
    mkdirSync(join(dir, 'sub'));
    store.setItem('k2', 'v2');
    await store.persist?.();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ k: 'v', k2: 'v2' });
    rmSync(dir, { recursive: true, force: true });
  });
});

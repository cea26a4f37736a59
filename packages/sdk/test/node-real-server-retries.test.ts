import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AuthenticationError } from '../src/core/authentication-error.ts';
import type { SignetOptions } from '../src/core/options.ts';
import { fileStorage, Signet } from '../src/node/index.ts';
import { FakeClock } from './fakes.ts';
import { realServer } from './real-server.ts';

// B6 against the real server in `required` mode: a real per-client rate limit (429), a real
// SQLite write lock held by a second connection (503), and the real 512 KiB body limit. The
// SDK's clock is injected so that backoff moves without sleeping; where the server's own window
// must pass (the rate limit), its Date is moved too.

type Server = Awaited<ReturnType<typeof realServer>>;
let server: Server | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await server?.close();
  server = undefined;
});

interface Seen {
  status: number;
  retryAfter: string | undefined;
  bytes: number;
  /** The SDK's clock when the request arrived. */
  at: number;
}

/**
 * Waits until the SDK has taken in the answer the server just sent and set its backoff timer
 * (due within `withinMs`; the request's own 30 s timeout timer is further off): the server's
 * onResponse hook records an answer before the client has read it, and moving the clock in
 * between would set the timer from the moved time (seen under load in CI).
 */
async function backoffScheduled(clock: FakeClock, withinMs: number): Promise<void> {
  await vi.waitFor(
    () => expect((clock.nextAt() ?? Number.POSITIVE_INFINITY) - clock.time).toBeLessThanOrEqual(withinMs),
    { timeout: 5000, interval: 5 },
  );
}

/** A real server (config as given), recording each ingestion answer, and one SDK client on it. */
async function setUp(
  config: Parameters<typeof realServer>[0],
  storeOptions: Parameters<typeof realServer>[1] = {},
  options: Partial<SignetOptions> = {},
) {
  const srv = await realServer(config, storeOptions);
  server = srv;
  const clock = new FakeClock(Date.now());
  const seen: Seen[] = [];
  srv.app.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    const retryAfter = reply.getHeader('retry-after');
    seen.push({
      status: reply.statusCode,
      retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
      bytes: Number(request.headers['content-length']),
      at: clock.time,
    });
  });
  const base = await srv.listen();
  const app = await srv.createApp('required');
  const errors: AuthenticationError['data'][] = [];
  const signet = Signet.init({
    appId: app.appId,
    endpoint: base,
    networkRequest: { authorization: { jwtEnabled: true } },
    storage: fileStorage(join(srv.dir, 'queue.json')),
    clock,
    random: () => 0.5,
    flushAt: 500,
    // No interval passes in the way: every retry below is the backoff timer's.
    flushIntervalMs: 3_600_000,
    ...options,
  });
  signet.registerAuthenticationListener((error) => {
    errors.push(error.data);
  });
  signet.identify('alice');
  signet.passAuthenticationDetails({ type: 'jwt', token: await app.sign('alice'), userIdentifier: 'alice' });
  await signet.flush(); // the alias event: one request, so that each test starts settled
  expect(seen.map((s) => s.status)).toEqual([200]);
  return { srv, app, clock, seen, errors, signet };
}

/** Every event stored exactly once, by name. */
async function storedNames(app: {
  events: (userId?: string) => Promise<{ id: string; name?: string; type: string }[]>;
}) {
  const events = await app.events('alice');
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  return events.map((e) => e.name ?? e.type).sort();
}

describe('B6 against the real server (required mode)', () => {
  it('429 from the per-client rate limit: waits exactly Retry-After, then delivers; no auth failure', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const c = await setUp({ rateLimitClientPerMinute: 2 });
    c.signet.track('a');
    await c.signet.flush();
    c.signet.track('b');
    await c.signet.flush(); // the third request this minute
    expect(c.seen.map((s) => s.status)).toEqual([200, 200, 429]);
    const retryAfter = Number(c.seen[2]?.retryAfter);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(c.signet.stats()).toMatchObject({ state: 'backing-off', queued: 1, authFailuresInSession: 0 });
    expect(c.errors).toEqual([]);

    await c.clock.advance(retryAfter * 1000 - 1);
    expect(c.seen).toHaveLength(3); // not a moment before Retry-After

    vi.setSystemTime(Date.now() + retryAfter * 1000); // the server's window passes too
    await c.clock.advance(1);
    await vi.waitFor(() => expect(c.signet.stats().queued).toBe(0), { timeout: 5000, interval: 5 });
    expect(c.seen.map((s) => s.status)).toEqual([200, 200, 429, 200]);
    expect(c.seen[3]?.at).toBe((c.seen[2]?.at as number) + retryAfter * 1000);
    expect(await storedNames(c.app)).toEqual(['a', 'alias', 'b']);
    expect(c.signet.stats()).toMatchObject({ sent: 3, dropped: 0, authFailuresInSession: 0, state: 'idle' });
    expect(await c.app.failures()).toEqual([]);
  });

  it('503 while another connection holds the SQLite write lock: backs off (Retry-After as a floor), then delivers once', async () => {
    const c = await setUp({ retryAfterSeconds: 2 }, { sqliteBusyTimeoutMs: 50 });
    c.signet.track('x');
    c.signet.track('y');
    const lock = new Database(c.srv.dbPath);
    try {
      lock.exec('BEGIN EXCLUSIVE');
      await c.signet.flush();
      expect(c.seen.map((s) => [s.status, s.retryAfter])).toEqual([
        [200, undefined],
        [503, '2'],
      ]);
      expect(c.signet.stats()).toMatchObject({ state: 'backing-off', queued: 2, authFailuresInSession: 0 });
      // random() = 0.5: backoff 0.75 s, 1.5 s, 3 s, 6 s; Retry-After (2 s) is the floor.
      for (const delay of [2000, 2000, 3000]) {
        const before = c.seen.length;
        await c.clock.advance(delay - 1);
        expect(c.seen).toHaveLength(before);
        await c.clock.advance(1);
        await vi.waitFor(() => expect(c.seen).toHaveLength(before + 1), { timeout: 5000, interval: 5 });
        await backoffScheduled(c.clock, 6000);
      }
      expect(c.seen.map((s) => s.status)).toEqual([200, 503, 503, 503, 503]);
      expect(c.errors).toEqual([]);
      expect(c.signet.stats().authFailuresInSession).toBe(0);
    } finally {
      if (lock.inTransaction) lock.exec('ROLLBACK');
      lock.close();
    }
    const start = c.seen.at(-1)?.at as number;
    await c.clock.advance(6000);
    await vi.waitFor(() => expect(c.signet.stats().queued).toBe(0), { timeout: 5000, interval: 5 });
    expect(c.seen.map((s) => s.status)).toEqual([200, 503, 503, 503, 503, 200]);
    expect(c.seen.at(-1)?.at).toBe(start + 6000);
    expect(await storedNames(c.app)).toEqual(['alias', 'x', 'y']);
    expect(c.signet.stats()).toMatchObject({ sent: 3, dropped: 0, authFailuresInSession: 0, state: 'idle' });
    expect(await c.app.failures()).toEqual([]);
  });

  it('a queue over 512 KiB of events under 32 KiB each is split into batches the server takes; each event stored once', async () => {
    const c = await setUp({});
    const filler = 'x'.repeat(15_000);
    for (let i = 0; i < 40; i++) c.signet.track(`e${String(i).padStart(2, '0')}`, { filler });
    await c.signet.flush();
    const batches = c.seen.slice(1); // after the alias
    const total = batches.reduce((sum, s) => sum + s.bytes, 0);
    expect(total).toBeGreaterThan(512 * 1024);
    expect(batches.length).toBeGreaterThanOrEqual(2);
    for (const s of batches) {
      expect(s.status).toBe(200);
      expect(s.bytes).toBeLessThanOrEqual(512 * 1024);
    }
    const names = await storedNames(c.app);
    expect(names).toHaveLength(41);
    expect(names.filter((n) => n.startsWith('e'))).toEqual(
      Array.from({ length: 40 }, (_, i) => `e${String(i).padStart(2, '0')}`),
    );
    expect(c.signet.stats()).toMatchObject({ queued: 0, sent: 41, dropped: 0, authFailuresInSession: 0 });
  });
});

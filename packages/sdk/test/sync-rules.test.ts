import { describe, expect, it } from 'vitest';
import { harness } from './client-harness.ts';
import { fakeToken, jwtError, settle } from './fakes.ts';

// B1–B9 of SPEC §6 with an injected clock and a scripted transport (the same rules run against
// the real server in real-server.test.ts).

describe('B1 tokens per user', () => {
  it('sends no Authorization header when JWT is disabled, even with a token passed', async () => {
    const h = harness({ networkRequest: { authorization: { jwtEnabled: false } } });
    h.signet.identify('u1');
    h.signet.passAuthenticationDetails({ type: 'jwt', token: h.token('u1'), userIdentifier: 'u1' });
    h.signet.track('A');
    await h.signet.flush();
    expect(h.requests).toHaveLength(1);
    expect(h.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("attaches the newest token of each batch's own user, never another's; anonymous batches carry none", async () => {
    const h = harness();
    h.signet.track('anonymous');
    h.signet.identify('u1');
    const first = h.token('u1', 900, 'a');
    const newest = h.token('u1', 900, 'b');
    h.signet.passAuthenticationDetails({ type: 'jwt', token: first, userIdentifier: 'u1' });
    h.signet.passAuthenticationDetails({ type: 'jwt', token: newest, userIdentifier: 'u1' });
    h.signet.track('by u1');
    h.signet.identify('u2'); // no token for u2
    h.signet.track('by u2');
    await h.signet.flush();
    await settle();
    const byUser = Object.fromEntries(h.requests.map((r) => [h.userOf(r), r]));
    const anon = h.requests.find((r) => 'anonymousId' in r.batch.user);
    expect(anon?.headers.authorization).toBeUndefined();
    expect(byUser.u1?.headers.authorization).toBe(`Bearer ${newest}`);
    expect(byUser.u1?.batch.events.map((e) => e.type)).toEqual(['alias', 'track']);
    expect(byUser.u2).toBeUndefined(); // u2's data waits for u2's own token
    expect(h.errors).toEqual([
      expect.objectContaining({ code: 'TOKEN_NOT_AVAILABLE', userIdentifier: 'u2' }),
    ]);
    expect(h.signet.stats()).toMatchObject({ queued: 1, state: 'waiting-for-token' });
  });
});

describe('B2 local refusal', () => {
  it('refuses a token whose sub is another user at once, and does not send it', async () => {
    const h = harness();
    h.signet.identify('u1');
    h.signet.passAuthenticationDetails({ type: 'jwt', token: h.token('someone-else'), userIdentifier: 'u1' });
    await settle();
    expect(h.errors).toEqual([
      expect.objectContaining({
        code: 'IDENTIFIER_MISMATCH',
        reason: 'subject_mismatch',
        userIdentifier: 'u1',
      }),
    ]);
    h.signet.track('A');
    await h.signet.flush();
    expect(h.requests).toHaveLength(0);
  });

  it('judges the user by userIdClaim when the app names one (an identity provider whose sub is its own id)', async () => {
    const exp = () => Math.floor(h.clock.time / 1000) + 600;
    const h = harness({ userIdClaim: 'email' });
    h.signet.identify('ada@example.com');
    const token = fakeToken({ sub: 'auth0|123', email: 'ada@example.com', exp: exp() });
    h.signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'ada@example.com' });
    h.signet.track('A');
    await h.signet.flush();
    expect(h.errors).toEqual([]);
    expect(h.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${token}`]);
    // Another user's email, or none at all, is refused as a wrong or missing sub would be.
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: fakeToken({ sub: 'auth0|123', email: 'eve@example.com', exp: exp() }),
      userIdentifier: 'ada@example.com',
    });
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: fakeToken({ sub: 'ada@example.com', exp: exp() }),
      userIdentifier: 'ada@example.com',
    });
    await settle();
    expect(h.errors.map((e) => e.reason)).toEqual(['subject_mismatch', 'sub_missing']);
  });

  it('does not refuse by the device clock before any answer told the server time (a fast device still sends)', async () => {
    const serverTime = () => h.clock.time - 3_600_000; // this device runs an hour fast
    const h = harness({}, (r) => ({
      status: 200,
      body: { accepted: r.batch.events.length, duplicates: 0 },
      headers: { date: new Date(serverTime()).toUTCString() },
    }));
    const token = fakeToken({ sub: 'u1', exp: Math.floor(serverTime() / 1000) + 600 });
    h.signet.identify('u1');
    h.signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'u1' });
    h.signet.track('A');
    await h.signet.flush();
    expect(h.errors).toEqual([]);
    expect(h.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${token}`]);
    // Once the server time is known, an expired token is refused locally again.
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: fakeToken({ sub: 'u1', exp: Math.floor(serverTime() / 1000) - 1 }),
      userIdentifier: 'u1',
    });
    await settle();
    expect(h.errors).toEqual([expect.objectContaining({ code: 'TIME_CONSTRAINT_FAILURE' })]);
  });

  it('refuses a token already expired by server time (Date header), though the device clock says valid', async () => {
    const h = harness({}, (r) => ({
      status: 200,
      body: { accepted: r.batch.events.length, duplicates: 0 },
      // The server is 20 minutes ahead of this device.
      headers: { date: new Date(h.clock.time + 20 * 60_000).toUTCString() },
    }));
    h.signet.track('learn the server time');
    await h.signet.flush();
    h.signet.identify('u1');
    h.signet.passAuthenticationDetails({ type: 'jwt', token: h.token('u1', 600), userIdentifier: 'u1' });
    await settle();
    expect(h.errors).toEqual([
      expect.objectContaining({ code: 'TIME_CONSTRAINT_FAILURE', reason: 'expired' }),
    ]);
    await h.signet.flush();
    expect(h.requests).toHaveLength(1);
  });
});

describe('B3 listener and no retry until a new token', () => {
  it('calls the listener once per failure, keeps the batch, waits, then resumes at once on a new token', async () => {
    let reject = true;
    const h = harness({}, (r) =>
      reject
        ? jwtError('INVALID_SIGNATURE', 'signature_invalid')
        : { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } },
    );
    h.signet.identify('u1');
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: h.token('u1', 900, 'bad'),
      userIdentifier: 'u1',
    });
    h.signet.track('A');
    await h.signet.flush();
    await settle();
    expect(h.requests).toHaveLength(1);
    expect(h.errors).toEqual([
      expect.objectContaining({
        code: 'INVALID_SIGNATURE',
        reason: 'signature_invalid',
        userIdentifier: 'u1',
      }),
    ]);
    expect(h.signet.stats()).toMatchObject({
      queued: 2,
      state: 'waiting-for-token',
      authFailuresInSession: 1,
    });

    await h.signet.flush();
    await h.clock.advance(60 * 60_000);
    expect(h.requests).toHaveLength(1); // no retry with the refused token

    reject = false;
    const fresh = h.token('u1', 900, 'good');
    h.signet.passAuthenticationDetails({ type: 'jwt', token: fresh, userIdentifier: 'u1' });
    await settle(); // no flush(), no timer: a new token resumes sync at once
    expect(h.requests).toHaveLength(2);
    expect(h.requests[1]?.headers.authorization).toBe(`Bearer ${fresh}`);
    expect(h.requests[1]?.batch.events.map((e) => e.id)).toEqual(
      h.requests[0]?.batch.events.map((e) => e.id),
    );
    expect(h.signet.stats()).toMatchObject({ queued: 0, sent: 2, authFailuresInSession: 0, state: 'idle' });
    expect(h.errors).toHaveLength(1);
  });

  it('never runs listeners concurrently, and a throwing listener breaks nothing', async () => {
    const h = harness({}, () => jwtError('TIME_CONSTRAINT_FAILURE', 'expired'));
    let running = 0;
    let maxRunning = 0;
    const seen: string[] = [];
    h.signet.registerAuthenticationListener(() => {
      throw new Error('listener bug');
    });
    h.signet.registerAuthenticationListener(async (error) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(error.data.userIdentifier);
      running--;
    });
    for (const user of ['u1', 'u2', 'u3']) {
      h.signet.identify(user);
      h.signet.passAuthenticationDetails({ type: 'jwt', token: h.token(user), userIdentifier: user });
      h.signet.track('A');
    }
    await h.signet.flush();
    await settle();
    expect(seen).toEqual(['u1', 'u2', 'u3']);
    expect(maxRunning).toBe(1);
    h.signet.track('still works');
    // 1 alias + 3 tracks, all kept, plus the new one.
    expect(h.signet.stats().queued).toBe(5);
  });
});

describe('B4 ten consecutive failures', () => {
  it('stops syncing after exactly 10 failures until the next session; events are kept', async () => {
    const h = harness({}, () => jwtError('INVALID_SIGNATURE', 'key_not_found'));
    h.signet.identify('u1');
    h.signet.track('A');
    for (let i = 1; i <= 10; i++) {
      h.signet.passAuthenticationDetails({
        type: 'jwt',
        token: h.token('u1', 900, `t${i}`),
        userIdentifier: 'u1',
      });
      await settle();
      expect(h.requests).toHaveLength(i);
    }
    expect(h.signet.stats()).toMatchObject({
      authFailuresInSession: 10,
      state: 'paused-until-next-session',
      pausedReason: 'auth_failures',
    });
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: h.token('u1', 900, 't11'),
      userIdentifier: 'u1',
    });
    h.signet.track('B');
    await h.signet.flush();
    await h.clock.advance(10 * 60_000);
    expect(h.requests).toHaveLength(10); // silence
    expect(h.errors).toHaveLength(10);
    expect(h.signet.stats().queued).toBe(3);

    h.signet.startNewSession();
    await h.signet.flush();
    expect(h.requests).toHaveLength(11);
    expect(h.signet.stats()).toMatchObject({ authFailuresInSession: 1, pausedReason: null });
  });

  it('resets the count on any successful sync', async () => {
    let fail = true;
    const h = harness({}, (r) =>
      fail
        ? jwtError('UNKNOWN', 'unknown')
        : { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } },
    );
    h.signet.identify('u1');
    h.signet.track('A');
    for (let i = 1; i <= 9; i++) {
      h.signet.passAuthenticationDetails({
        type: 'jwt',
        token: h.token('u1', 900, `t${i}`),
        userIdentifier: 'u1',
      });
      await settle();
    }
    expect(h.signet.stats().authFailuresInSession).toBe(9);
    fail = false;
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: h.token('u1', 900, 'ok'),
      userIdentifier: 'u1',
    });
    await settle();
    expect(h.signet.stats().authFailuresInSession).toBe(0);
    fail = true;
    h.signet.track('B');
    h.signet.passAuthenticationDetails({ type: 'jwt', token: h.token('u1', 900, 'x'), userIdentifier: 'u1' });
    await settle();
    expect(h.signet.stats()).toMatchObject({ authFailuresInSession: 1, pausedReason: null });
  });

  it('a new session after inactivity also lifts the pause', async () => {
    const h = harness({ sessionTimeoutMinutes: 30 }, () => jwtError('UNKNOWN', 'unknown'));
    h.signet.identify('u1');
    h.signet.track('A');
    for (let i = 1; i <= 10; i++) {
      h.signet.passAuthenticationDetails({
        type: 'jwt',
        token: h.token('u1', 7200, `t${i}`),
        userIdentifier: 'u1',
      });
      await settle();
    }
    expect(h.signet.stats().pausedReason).toBe('auth_failures');
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: h.token('u1', 7200, 'new'),
      userIdentifier: 'u1',
    });
    await h.signet.flush();
    expect(h.requests).toHaveLength(10);
    await h.clock.advance(31 * 60_000);
    h.signet.track('next session');
    await h.signet.flush();
    expect(h.requests).toHaveLength(11);
  });
});

describe('B5 logout', () => {
  it('deletes the pending data when the logout sync fails for the token, and never retries it', async () => {
    const h = harness({}, () => jwtError('TIME_CONSTRAINT_FAILURE', 'expired'));
    h.signet.identify('u1');
    h.signet.passAuthenticationDetails({ type: 'jwt', token: h.token('u1'), userIdentifier: 'u1' });
    h.signet.track('A');
    await h.signet.logout();
    expect(h.requests).toHaveLength(1);
    expect(h.signet.stats().queued).toBe(0);
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: h.token('u1', 900, 'new'),
      userIdentifier: 'u1',
    });
    await h.signet.flush();
    expect(h.requests).toHaveLength(1);
  });

  it('keeps the pending data bound to the user when the logout sync fails on the network', async () => {
    let down = true;
    const h = harness({}, (r) =>
      down ? 'network-error' : { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } },
    );
    h.signet.identify('u1');
    const t1 = h.token('u1');
    h.signet.passAuthenticationDetails({ type: 'jwt', token: t1, userIdentifier: 'u1' });
    h.signet.track('A');
    await h.signet.logout();
    expect(h.signet.stats().queued).toBe(2);
    h.signet.track('anonymous after logout');
    down = false;
    await h.signet.flush();
    const u1 = h.requests.filter((r) => h.userOf(r) === 'u1');
    expect(u1.at(-1)?.batch.events.map((e) => e.type)).toEqual(['alias', 'track']);
    expect(u1.at(-1)?.headers.authorization).toBe(`Bearer ${t1}`);
    const anon = h.requests.filter((r) => 'anonymousId' in r.batch.user).at(-1);
    expect(anon?.batch.events.map((e) => (e.type === 'track' ? e.name : e.type))).toEqual([
      'anonymous after logout',
    ]);
    expect(h.signet.stats().queued).toBe(0);
  });
});

describe('B6 retries', () => {
  it('retries network errors and 5xx with exponential backoff and jitter, never counting auth failures', async () => {
    const times: number[] = [];
    const h = harness({ random: () => 1 }, () => {
      times.push(h.clock.time);
      return times.length % 2 ? { status: 500, body: {} } : 'network-error';
    });
    h.signet.track('A');
    await h.signet.flush();
    await h.clock.advance(30 * 60_000);
    const delays = times.slice(1).map((t, i) => t - (times[i] as number));
    // random() = 1 gives the top of each jitter range: 1 s × 2ⁿ, capped at 5 min.
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300].map((s) => s * 1000));
    expect(h.signet.stats()).toMatchObject({ authFailuresInSession: 0, state: 'backing-off', queued: 1 });
  });

  it('jitters between half and all of the delay', async () => {
    const h = harness({ random: () => 0 }, () => 'network-error');
    h.signet.track('A');
    await h.signet.flush();
    expect((h.clock.nextAt() as number) - h.clock.time).toBe(500);
  });

  it('honours Retry-After on 429 and 503', async () => {
    let status = 429;
    const h = harness({}, (r) =>
      status === 200
        ? { status, body: { accepted: r.batch.events.length, duplicates: 0 } }
        : {
            status,
            headers: { 'retry-after': '7' },
            body: { error: { type: 'request', code: 'RATE_LIMITED' } },
          },
    );
    h.signet.track('A');
    await h.signet.flush();
    await h.clock.advance(6_999);
    expect(h.requests).toHaveLength(1);
    status = 503;
    await h.clock.advance(1);
    expect(h.requests).toHaveLength(2);
    status = 200;
    await h.clock.advance(7_000);
    expect(h.requests).toHaveLength(3);
    expect(h.signet.stats()).toMatchObject({ queued: 0, sent: 1, authFailuresInSession: 0 });
  });

  it('splits a batch on 413 and drops only a batch refused with 400', async () => {
    const h = harness({}, (r) => {
      if (r.batch.events.length > 2)
        return { status: 413, body: { error: { type: 'request', code: 'BATCH_TOO_LARGE' } } };
      if (r.batch.events.some((e) => e.type === 'track' && e.name === 'bad')) {
        return {
          status: 400,
          body: { error: { type: 'request', code: 'INVALID_BATCH', reason: 'invalid_field' } },
        };
      }
      return { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } };
    });
    for (const name of ['a', 'b', 'c', 'bad', 'e']) h.signet.track(name);
    await h.signet.flush();
    // 5 → 413 → [3, 2]; 3 → 413 → [2, 1]: [a b] ok, [c] ok, [bad e] 400 dropped.
    expect(h.requests.map((r) => r.batch.events.length)).toEqual([5, 3, 2, 1, 2]);
    expect(h.signet.stats()).toMatchObject({ queued: 0, sent: 3, dropped: 2 });
  });
});

describe('B7 persistence and bounds', () => {
  it('keeps events across a restart, with the same ids across every retry', async () => {
    let down = true;
    const h = harness({}, (r) =>
      down ? 'network-error' : { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } },
    );
    h.signet.track('A');
    h.signet.track('B');
    await h.signet.flush();
    await h.signet.close();
    const restarted = h.make();
    expect(restarted.stats().queued).toBe(2);
    await restarted.flush();
    down = false;
    await restarted.flush();
    const ids = h.requests.map((r) => r.batch.events.map((e) => e.id).join());
    expect(new Set(ids).size).toBe(1);
    expect(new Set(h.requests.map((r) => r.batch.batchId)).size).toBe(3);
    expect(restarted.stats()).toMatchObject({ queued: 0, sent: 2 });
  });

  it('drops the oldest events beyond maxQueueSize and counts them', async () => {
    const h = harness({ maxQueueSize: 3, flushAt: 100 });
    for (const name of ['1', '2', '3', '4', '5']) h.signet.track(name);
    expect(h.signet.stats()).toMatchObject({ queued: 3, dropped: 2 });
    await h.signet.flush();
    expect(h.requests[0]?.batch.events.map((e) => (e.type === 'track' ? e.name : ''))).toEqual([
      '3',
      '4',
      '5',
    ]);
  });

  it('sends on flushAt and on the interval', async () => {
    const h = harness({ flushAt: 3, flushIntervalMs: 5000 });
    h.signet.track('1');
    h.signet.track('2');
    await settle();
    expect(h.requests).toHaveLength(0);
    h.signet.track('3');
    await settle();
    expect(h.requests).toHaveLength(1);
    h.signet.track('4');
    await h.clock.advance(4999);
    expect(h.requests).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.requests).toHaveLength(2);
  });

  it('on page hide sends one keepalive batch of at most 64 KiB (the browser limit in flight); the rest stays stored', async () => {
    const h = harness({ flushAt: 500 });
    for (let i = 0; i < 40; i++) h.signet.track('big', { blob: 'x'.repeat(5000) });
    await h.signet.flushKeepalive();
    expect(h.requests).toHaveLength(1);
    expect(h.requests[0]?.keepalive).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(h.requests[0]?.batch))).toBeLessThanOrEqual(64 * 1024);
    const first = h.requests[0]?.batch.events.length ?? 0;
    expect(first).toBeGreaterThan(5);
    expect(h.signet.stats().queued).toBe(40 - first);
    await h.signet.flush();
    expect(h.requests.slice(1).every((r) => !r.keepalive)).toBe(true);
    expect(h.signet.stats()).toMatchObject({ queued: 0, sent: 40 });
  });
});

describe('B8 sessions', () => {
  it('ends a session after the inactivity timeout (persisted), and startNewSession starts one now', async () => {
    const h = harness({ sessionTimeoutMinutes: 30, flushAt: 100 });
    h.signet.track('1');
    await h.clock.advance(29 * 60_000);
    h.signet.track('2'); // activity keeps the session
    const reloaded = h.make();
    await h.clock.advance(29 * 60_000);
    reloaded.track('3'); // same session across a reload
    await h.clock.advance(31 * 60_000);
    reloaded.track('4'); // new session after inactivity
    reloaded.startNewSession();
    reloaded.track('5');
    await reloaded.flush();
    const sessions = h.requests.flatMap((r) => r.batch.events.map((e) => e.sessionId));
    expect(sessions[0]).toBe(sessions[1]);
    expect(sessions[1]).toBe(sessions[2]);
    expect(new Set(sessions).size).toBe(3);
  });
});

describe('B9 tokenProvider', () => {
  it('is asked when there is no token, 60 s before exp, and once after a failure; the user never sees a rejection', async () => {
    const asked: string[] = [];
    let n = 0;
    const h = harness({
      tokenProvider: async (userId) => {
        asked.push(userId);
        n++;
        return h.token(userId, 300, `p${n}`);
      },
    });
    h.signet.identify('u1');
    h.signet.track('A');
    await h.signet.flush();
    expect(asked).toEqual(['u1']);
    expect(h.requests[0]?.headers.authorization).toMatch(/sigp1$/);
    await h.clock.advance(239_000); // 61 s before exp: still good
    h.signet.track('B');
    await h.signet.flush();
    expect(asked).toHaveLength(1);
    await h.clock.advance(2_000); // 59 s before exp: ask ahead of expiry
    h.signet.track('C');
    await h.signet.flush();
    expect(asked).toHaveLength(2);
    expect(h.requests.at(-1)?.headers.authorization).toMatch(/sigp2$/);
    expect(h.errors).toEqual([]);
  });

  it('after a server failure asks once, and resumes at once with the new token', async () => {
    let n = 0;
    const h = harness(
      {
        tokenProvider: async (userId) => {
          n++;
          return h.token(userId, 900, `p${n}`);
        },
      },
      (r) =>
        r.headers.authorization?.endsWith('p1')
          ? jwtError('INVALID_SIGNATURE', 'key_not_found')
          : { status: 200, body: { accepted: r.batch.events.length, duplicates: 0 } },
    );
    h.signet.identify('u1');
    h.signet.track('A');
    await h.signet.flush();
    await settle();
    expect(n).toBe(2);
    expect(h.requests.map((r) => r.headers.authorization?.slice(-2))).toEqual(['p1', 'p2']);
    expect(h.errors).toHaveLength(1);
    expect(h.signet.stats()).toMatchObject({ queued: 0, authFailuresInSession: 0 });
  });

  it('asks at most once per failure when the backend keeps giving a token the server refuses', async () => {
    let n = 0;
    const h = harness(
      {
        tokenProvider: async (userId) => {
          n++;
          return h.token(userId, 900, `p${n}`);
        },
      },
      () => jwtError('INVALID_SIGNATURE', 'key_not_found'),
    );
    h.signet.identify('u1');
    h.signet.track('A');
    await h.signet.flush();
    await settle();
    // 1 ask for the missing token, then 1 per failure until the failure that pauses.
    expect(h.requests).toHaveLength(10);
    expect(n).toBe(10);
    expect(h.signet.stats().pausedReason).toBe('auth_failures');
    await h.clock.advance(10 * 60_000);
    expect(n).toBe(10);
  });
});

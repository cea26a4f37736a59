import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, startServer, type TestServer } from './helpers.ts';

/*
 * SPEC §5: more than 10 wrong admin tokens per minute from one client address → 429
 * RATE_LIMITED / admin_failures with Retry-After, for logins and Bearer tokens alike; the
 * throttled address is refused even with the right token, other addresses are not.
 */

const GUESSER = '203.0.113.9';
const ADMIN = '198.51.100.20';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  vi.useRealTimers();
  await server.close();
});

const login = (from: string, token: string) =>
  server.app.inject({
    method: 'POST',
    url: '/admin/v1/session',
    remoteAddress: from,
    headers: { 'x-signet-csrf': '1' },
    payload: { token },
  });
const bearer = (from: string, token: string) =>
  server.app.inject({
    url: '/admin/v1/apps',
    remoteAddress: from,
    headers: { authorization: `Bearer ${token}` },
  });

function expectThrottled(res: LightMyRequestResponse) {
  expect(res.statusCode).toBe(429);
  expect(res.json().error).toMatchObject({ type: 'request', code: 'RATE_LIMITED', reason: 'admin_failures' });
  const wait = Number(res.headers['retry-after']);
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(60);
}

describe('wrong admin tokens are throttled per client address', () => {
  it('answers the 11th wrong login with 429 and Retry-After; the right token waits too, elsewhere it works', async () => {
    for (let i = 1; i <= 10; i++)
      expect((await login(GUESSER, `wrong-guess-${i}`)).statusCode, `guess ${i}`).toBe(401);
    expectThrottled(await login(GUESSER, 'wrong-guess-11'));

    const right = await login(GUESSER, ADMIN_TOKEN);
    expectThrottled(right);
    expect(right.cookies).toEqual([]);
    expectThrottled(await bearer(GUESSER, ADMIN_TOKEN));

    const elsewhere = await login(ADMIN, ADMIN_TOKEN);
    expect(elsewhere.statusCode).toBe(200);
    expect(elsewhere.cookies.map((c) => c.name)).toContain('signet_session');
  });

  it('answers the 11th wrong Bearer token with 429; the right token from another address gets 200', async () => {
    for (let i = 1; i <= 10; i++)
      expect((await bearer(GUESSER, `wrong-guess-${i}`)).statusCode, `guess ${i}`).toBe(401);
    expectThrottled(await bearer(GUESSER, 'wrong-guess-11'));
    expectThrottled(await bearer(GUESSER, ADMIN_TOKEN));
    expectThrottled(await login(GUESSER, ADMIN_TOKEN));
    expect((await bearer(ADMIN, ADMIN_TOKEN)).statusCode).toBe(200);
  });

  it('adds up wrong logins and wrong Bearer tokens from one address', async () => {
    for (let i = 0; i < 5; i++) expect((await login(GUESSER, 'wrong')).statusCode).toBe(401);
    for (let i = 0; i < 5; i++) expect((await bearer(GUESSER, 'wrong')).statusCode).toBe(401);
    expectThrottled(await bearer(GUESSER, 'wrong'));
  });

  it('does not count requests without a token: they are no guess', async () => {
    for (let i = 0; i < 20; i++) {
      const none = await server.app.inject({ url: '/admin/v1/apps', remoteAddress: GUESSER });
      expect(none.json().error).toMatchObject({ code: 'ADMIN_UNAUTHORIZED', reason: 'missing' });
      const empty = await server.app.inject({
        method: 'POST',
        url: '/admin/v1/session',
        remoteAddress: GUESSER,
        headers: { 'x-signet-csrf': '1' },
        payload: {},
      });
      expect(empty.statusCode).toBe(400);
    }
    expect((await bearer(GUESSER, ADMIN_TOKEN)).statusCode).toBe(200);
    expect((await login(GUESSER, ADMIN_TOKEN)).statusCode).toBe(200);
  });

  it('keeps a dashboard session working from a throttled address (a session cannot be guessed)', async () => {
    const res = await login(GUESSER, ADMIN_TOKEN);
    const cookie = `signet_session=${res.cookies.find((c) => c.name === 'signet_session')?.value}`;
    for (let i = 0; i < 11; i++) await bearer(GUESSER, 'wrong');
    expectThrottled(await bearer(GUESSER, ADMIN_TOKEN));
    const withCookie = await server.app.inject({
      url: '/admin/v1/apps',
      remoteAddress: GUESSER,
      headers: { cookie },
    });
    expect(withCookie.statusCode).toBe(200);
  });

  it('lets the address try again once the minute is over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    for (let i = 0; i < 11; i++) await bearer(GUESSER, 'wrong');
    expectThrottled(await bearer(GUESSER, ADMIN_TOKEN));
    vi.setSystemTime(Date.now() + 61_000);
    expect((await bearer(GUESSER, ADMIN_TOKEN)).statusCode).toBe(200);
  });
});

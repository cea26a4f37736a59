import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { ADMIN_TOKEN, startServer, type TestServer, tempDir } from './helpers.ts';

let server: TestServer;
let clock = Date.parse('2025-06-01T12:00:00Z');
afterEach(() => server?.close());

async function start() {
  clock = Date.parse('2025-06-01T12:00:00Z');
  server = await startServer({}, { now: () => clock });
}

async function login(headers: Record<string, string> = { 'x-signet-csrf': '1' }, token = ADMIN_TOKEN) {
  return server.app.inject({ method: 'POST', url: '/admin/v1/session', headers, payload: { token } });
}

async function cookieOf(res: Awaited<ReturnType<typeof login>>): Promise<string> {
  const cookie = res.cookies.find((c) => c.name === 'signet_session');
  expect(cookie).toBeDefined();
  return `signet_session=${cookie?.value}`;
}

const call = (options: InjectOptions) => server.app.inject(options);

describe('dashboard session', () => {
  it('logs in with the admin token: an httpOnly, SameSite=Strict, expiring cookie for the admin API only', async () => {
    await start();
    const res = await login();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ via: 'session', expiresAt: '2025-06-02T00:00:00.000Z' });
    expect(res.headers['cache-control']).toBe('no-store');
    const cookie = res.cookies.find((c) => c.name === 'signet_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin/v1', maxAge: 43_200 });
    expect(cookie?.secure).toBeUndefined();
    expect(cookie?.value).not.toContain(ADMIN_TOKEN);

    const me = await call({ url: '/admin/v1/session', headers: { cookie: await cookieOf(res) } });
    expect(me.json()).toEqual({ via: 'session', expiresAt: '2025-06-02T00:00:00.000Z' });
  });

  it('refuses a wrong token and sets no cookie', async () => {
    await start();
    const res = await login({ 'x-signet-csrf': '1' }, 'not-the-admin-token');
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: 'ADMIN_UNAUTHORIZED', reason: 'invalid' });
    expect(res.cookies).toEqual([]);
  });

  it('needs the CSRF header and a same-origin Origin to log in', async () => {
    await start();
    expect((await login({})).json().error.reason).toBe('csrf_header_missing');
    const foreign = await login({ 'x-signet-csrf': '1', origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.cookies).toEqual([]);
    const own = await login({ 'x-signet-csrf': '1', origin: 'http://localhost:80', host: 'localhost:80' });
    expect(own.statusCode).toBe(200);
  });

  it('reads with the cookie alone, but writes only with the CSRF header and our own origin', async () => {
    await start();
    const cookie = await cookieOf(await login());
    expect((await call({ url: '/admin/v1/apps', headers: { cookie } })).statusCode).toBe(200);

    const bare = await call({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { cookie },
      payload: { name: 'x' },
    });
    expect(bare.statusCode).toBe(403);
    expect(bare.json().error).toMatchObject({ code: 'CSRF_REJECTED', reason: 'csrf_header_missing' });
    const foreign = await call({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { cookie, 'x-signet-csrf': '1', origin: 'http://attacker.localhost' },
      payload: { name: 'x' },
    });
    expect(foreign.json().error.reason).toBe('origin_mismatch');
    expect((await server.admin('GET', '/admin/v1/apps')).body.apps).toEqual([]);

    const ok = await call({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { cookie, 'x-signet-csrf': '1', origin: 'http://localhost:80', host: 'localhost:80' },
      payload: { name: 'Shop' },
    });
    expect(ok.statusCode).toBe(201);
  });

  it('keeps the Bearer token working for scripts, with no CSRF header', async () => {
    await start();
    const res = await server.admin('POST', '/admin/v1/apps', { name: 'Scripted' });
    expect(res.status).toBe(201);
    expect((await server.admin('GET', '/admin/v1/session')).body).toEqual({ via: 'token', expiresAt: null });
  });

  it('ends a session at its expiry (frozen clock)', async () => {
    await start();
    const cookie = await cookieOf(await login());
    clock += 12 * 3_600_000 - 1;
    expect((await call({ url: '/admin/v1/apps', headers: { cookie } })).statusCode).toBe(200);
    clock += 1;
    const late = await call({ url: '/admin/v1/apps', headers: { cookie } });
    expect(late.statusCode).toBe(401);
    expect(late.json().error).toMatchObject({ code: 'ADMIN_UNAUTHORIZED', reason: 'invalid' });
  });

  it('refuses a forged or altered cookie', async () => {
    await start();
    const cookie = await cookieOf(await login());
    const [, value] = cookie.split('=') as [string, string];
    const [, nonce, mac] = value.split('.');
    const extended = `signet_session=${clock + 365 * 86_400_000}.${nonce}.${mac}`;
    for (const forged of [extended, 'signet_session=1.2.3', 'signet_session=garbage']) {
      const res = await call({ url: '/admin/v1/apps', headers: { cookie: forged } });
      expect(res.statusCode, forged).toBe(401);
    }
  });

  it("does not accept another server's session (secret and admin token bind it)", async () => {
    await start();
    const cookie = await cookieOf(await login());
    const first = server;
    await start();
    try {
      expect((await call({ url: '/admin/v1/apps', headers: { cookie } })).statusCode).toBe(401);
    } finally {
      await first.close();
    }
  });

  it('ends the session on the server at logout: the same cookie is refused afterwards', async () => {
    await start();
    const cookie = await cookieOf(await login());
    expect((await call({ url: '/admin/v1/apps', headers: { cookie } })).statusCode).toBe(200);
    const out = await call({
      method: 'DELETE',
      url: '/admin/v1/session',
      headers: { cookie, 'x-signet-csrf': '1' },
    });
    expect(out.statusCode).toBe(204);
    // A copy of the cookie kept after logout (another tab, a stolen copy) no longer works.
    const after = await call({ url: '/admin/v1/apps', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error).toMatchObject({ code: 'ADMIN_UNAUTHORIZED', reason: 'invalid' });
    // A new login gives a new, working session.
    const again = await cookieOf(await login());
    expect((await call({ url: '/admin/v1/apps', headers: { cookie: again } })).statusCode).toBe(200);
  });

  it('keeps a session across a restart (a new app over the same SQLite file)', async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, 'signet.db');
    const open = async () => {
      const store = openSqliteStore({ filename: file });
      await store.migrate();
      const app = await buildApp({ store, adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN) });
      return {
        app,
        close: async () => {
          await app.close();
          await store.close();
        },
      };
    };
    try {
      const first = await open();
      const res = await first.app.inject({
        method: 'POST',
        url: '/admin/v1/session',
        headers: { 'x-signet-csrf': '1' },
        payload: { token: ADMIN_TOKEN },
      });
      const cookie = await cookieOf(res);
      await first.close();
      const second = await open();
      try {
        expect((await second.app.inject({ url: '/admin/v1/apps', headers: { cookie } })).statusCode).toBe(
          200,
        );
      } finally {
        await second.close();
      }
    } finally {
      cleanup();
    }
  });

  it('logs out by clearing the cookie', async () => {
    await start();
    const res = await call({ method: 'DELETE', url: '/admin/v1/session', headers: { 'x-signet-csrf': '1' } });
    expect(res.statusCode).toBe(204);
    const cleared = res.cookies.find((c) => c.name === 'signet_session');
    expect(cleared?.value).toBe('');
    expect(cleared?.path).toBe('/admin/v1');
    expect(new Date(cleared?.expires ?? Date.now()).getTime()).toBeLessThan(Date.now());
    const noHeader = await call({ method: 'DELETE', url: '/admin/v1/session' });
    expect(noHeader.statusCode).toBe(403);
  });
});

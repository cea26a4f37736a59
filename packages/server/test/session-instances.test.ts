import { createHash } from 'node:crypto';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { openPostgresStore } from '../src/store/postgres/postgres-store.ts';
import type { Store } from '../src/store/store.ts';
import { ADMIN_TOKEN } from './helpers.ts';

/*
 * Two instances on one PostgreSQL database, as behind a load balancer: a dashboard session
 * logged out on one must be refused by the other at once (SPEC §5), not 12 hours later.
 */
describe.skipIf(postgresUnavailable !== null)('dashboard sessions across instances', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const stores: Store[] = [];
  let a: FastifyInstance;
  let b: FastifyInstance;

  beforeAll(async () => {
    database = await createTestDatabase();
    const instance = async () => {
      const store = openPostgresStore({ url: database.url, poolSize: 2 });
      await store.migrate();
      stores.push(store);
      return buildApp({ store, adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN), dashboardDir: null });
    };
    a = await instance();
    b = await instance();
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const store of stores) await store.close();
    await database?.drop();
  });

  const login = async (app: FastifyInstance) => {
    const res = await app.inject({
      method: 'POST',
      url: '/admin/v1/session',
      headers: { 'x-signet-csrf': '1' },
      payload: { token: ADMIN_TOKEN },
    });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'signet_session');
    return `signet_session=${cookie?.value}`;
  };
  const apps = (app: FastifyInstance, cookie: string) =>
    app.inject({ url: '/admin/v1/apps', headers: { cookie } }).then((r) => r.statusCode);

  it('refuses on A a session logged in on A and logged out on B', async () => {
    const cookie = await login(a);
    expect(await apps(a, cookie)).toBe(200);
    expect(await apps(b, cookie)).toBe(200);

    const out = await b.inject({
      method: 'DELETE',
      url: '/admin/v1/session',
      headers: { cookie, 'x-signet-csrf': '1' },
    });
    expect(out.statusCode).toBe(204);
    expect(await apps(a, cookie)).toBe(401);
    expect(await apps(b, cookie)).toBe(401);
  });

  it('ends only the session logged out: another one stays valid on both', async () => {
    const kept = await login(a);
    const ended = await login(b);
    await a.inject({
      method: 'DELETE',
      url: '/admin/v1/session',
      headers: { cookie: ended, 'x-signet-csrf': '1' },
    });
    expect(await apps(b, ended)).toBe(401);
    expect(await apps(a, kept)).toBe(200);
    expect(await apps(b, kept)).toBe(200);
  });

  it('keeps only a hash of the session in the database, never the cookie', async () => {
    const cookie = await login(a);
    const nonce = cookie.split('.')[1] as string;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id_hash: string }>('select id_hash from admin_sessions');
      const hashes = rows.map((r) => r.id_hash);
      expect(hashes).toContain(createHash('sha256').update(nonce).digest('hex'));
      expect(hashes.some((h) => cookie.includes(h) || h.includes(nonce))).toBe(false);
    } finally {
      await client.end();
    }
  });
});

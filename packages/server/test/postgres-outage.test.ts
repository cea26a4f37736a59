import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { openPostgresStore } from '../src/store/postgres/postgres-store.ts';
import type { Store } from '../src/store/store.ts';
import { ADMIN_TOKEN, batchFor, EVENTS_OF_BATCH, keyPair, signToken } from './helpers.ts';

/*
 * PostgreSQL going away under load: connections killed with pg_terminate_backend, then the
 * database closed to connections. Every answer is 200 or 503 (never a 500), a 503 batch is
 * stored not at all, and the server recovers with no restart.
 */
describe.skipIf(postgresUnavailable !== null)('PostgreSQL outage', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let appId: string;
  let token: string;
  let control: pg.Client;
  const dbName = () => new URL(database.url).pathname.slice(1);

  const ingest = async (batch = batchFor({ id: 'user-1' }, 5)) => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/apps/${appId}/batch`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: batch,
    });
    return { batch, status: res.statusCode, body: res.json(), retryAfter: res.headers['retry-after'] };
  };
  const storedOf = async (batchId: string) => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(EVENTS_OF_BATCH, [batchId])).rows[0].n as number;
    } finally {
      await client.end();
    }
  };
  const terminate = () =>
    control.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [dbName()],
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    store = openPostgresStore({ url: database.url, poolSize: 4, connectTimeoutMs: 1_000 });
    await store.migrate();
    app = await buildApp({
      store,
      adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
      config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0, retryAfterSeconds: 3 },
    });
    const key = await keyPair('ES256');
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    appId = (
      await app.inject({ method: 'POST', url: '/admin/v1/apps', headers: auth, payload: { name: 'x' } })
    ).json().id;
    await app.inject({
      method: 'POST',
      url: `/admin/v1/apps/${appId}/keys`,
      headers: auth,
      payload: { pem: key.publicPem },
    });
    await app.inject({
      method: 'PUT',
      url: `/admin/v1/apps/${appId}/jwt`,
      headers: auth,
      payload: { mode: 'required' },
    });
    token = await signToken(key, { sub: 'user-1' });
    // The control connection lives in the admin database, so it survives the terminations.
    control = new pg.Client({ connectionString: database.url.replace(/\/[^/]+$/, '/postgres') });
    await control.connect();
  });
  afterAll(async () => {
    await control?.query(`alter database ${dbName()} allow_connections true`).catch(() => undefined);
    await control?.end();
    await app?.close();
    await store?.close();
    await database?.drop();
  });

  it('answers 200 or 503 while connections are killed mid-run, never storing half a batch', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        if (i % 6 === 3) await terminate();
        return ingest();
      }),
    );
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].every((s) => s === 200 || s === 503)).toBe(true);
    for (const r of results) {
      expect(await storedOf(r.batch.batchId)).toBe(r.status === 200 ? 5 : 0);
      if (r.status === 503) {
        expect(r.body.error.code).toBe('STORAGE_UNAVAILABLE');
        // The SDK's retry of the same batch is stored whole, once.
        expect((await ingest(r.batch)).body).toEqual({ accepted: 5, duplicates: 0 });
      }
    }
    console.info(
      `mid-run kills: ${results.filter((r) => r.status === 503).length} of 30 batches answered 503, the rest stored`,
    );
  });

  it('answers 503 with Retry-After while the database is closed, and recovers without a restart', async () => {
    await control.query(`alter database ${dbName()} allow_connections false`);
    await terminate();
    const down = await ingest();
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBe('3');
    expect(down.body.error).toMatchObject({
      type: 'server',
      code: 'STORAGE_UNAVAILABLE',
      reason: 'database_unavailable',
    });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(503);

    await control.query(`alter database ${dbName()} allow_connections true`);
    const up = await ingest(down.batch);
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ accepted: 5, duplicates: 0 });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

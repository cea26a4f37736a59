import {
  createTestDatabase,
  postgresUnavailable,
  type ServerProcess,
  startServerProcess,
} from '@signet/test-services';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, batchFor, EVENTS_OF_BATCH, type KeyPair, keyPair, signToken } from './helpers.ts';

/*
 * Two real server processes on one PostgreSQL database, as behind a load balancer: a change
 * made through one must be honoured by the other within 5 s (SPEC §2), and a batch sent to
 * both is stored once.
 */
describe.skipIf(postgresUnavailable !== null)('several instances on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: ServerProcess;
  let b: ServerProcess;
  let key: KeyPair;
  let appId: string;

  const admin = async (instance: ServerProcess, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${instance.url}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (res.status === 204 ? null : await res.json()) as any };
  };
  const ingest = async (
    instance: ServerProcess,
    token: string | null,
    batch = batchFor({ id: 'user-1' }, 2),
  ) => {
    const res = await fetch(`${instance.url}/v1/apps/${appId}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(batch),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** Polls until `check` holds; returns how long it took. Fails after 5 s, the SPEC's bound. */
  const within5s = async (check: () => Promise<boolean>): Promise<number> => {
    const started = Date.now();
    await vi.waitFor(
      async () => {
        if (!(await check())) throw new Error('the other instance did not follow within 5 s');
      },
      { timeout: 5_000, interval: 50 },
    );
    return Date.now() - started;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = { SIGNET_DATABASE_URL: database.url, SIGNET_ADMIN_TOKEN: ADMIN_TOKEN };
    // Started together: the migration lock must let both come up on an empty database.
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    key = await keyPair('ES256');
    appId = (await admin(a, 'POST', '/apps', { name: 'Shared' })).body.id;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.drop();
  });

  it('honours on B a key added and the mode set on A', async () => {
    const token = await signToken(key, { sub: 'user-1' });
    // B loads the app (and caches it) before the change.
    expect((await ingest(b, token)).status).toBe(200);
    const added = await admin(a, 'POST', `/apps/${appId}/keys`, { pem: key.publicPem });
    expect(added.status).toBe(201);
    expect((await admin(a, 'PUT', `/apps/${appId}/jwt`, { mode: 'required' })).status).toBe(200);
    const ms = await within5s(async () => (await ingest(b, null)).status === 401);
    expect((await ingest(b, token)).status).toBe(200);
    console.info(`mode change reached the other instance in ${ms} ms`);
  });

  it('refuses on B a key removed on A, even for a token B has cached', async () => {
    const second = await keyPair('ES256');
    const secondKid = (await admin(a, 'POST', `/apps/${appId}/keys`, { pem: second.publicPem })).body.kid;
    const token = await signToken(second, { sub: 'user-1' });
    await within5s(async () => (await ingest(b, token)).status === 200);
    expect((await admin(a, 'DELETE', `/apps/${appId}/keys/${secondKid}`)).status).toBe(204);
    const ms = await within5s(async () => (await ingest(b, token)).status === 401);
    const refused = await ingest(b, token);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_SIGNATURE' });
    console.info(`key removal reached the other instance in ${ms} ms`);
  });

  it('stores a batch sent to both instances at once exactly once', async () => {
    const token = await signToken(key, { sub: 'user-1' });
    const batch = batchFor({ id: 'user-1' }, 20);
    const [ra, rb] = await Promise.all([ingest(a, token, batch), ingest(b, token, batch)]);
    expect(ra.body.accepted + rb.body.accepted).toBe(20);
    expect(ra.body.duplicates + rb.body.duplicates).toBe(20);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const { rows } = await client.query(EVENTS_OF_BATCH, [batch.batchId]);
    await client.end();
    expect(rows[0].n).toBe(20);
  });
});

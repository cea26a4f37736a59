import type { JwtSettings } from '@signet/protocol';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import type { BatchToStore, EventToStore } from '../src/store/store.ts';

/*
 * The PostgreSQL group writer: concurrent simple batches share one statement. Each caller must
 * still get its own accepted/duplicates, and one bad batch in a group must not fail the others.
 */
describe.skipIf(postgresUnavailable !== null)('PostgreSQL group writer', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: PostgresStore;
  const JWT: JwtSettings = {
    mode: 'required',
    audience: null,
    issuer: null,
    clockToleranceSeconds: 60,
    maxTokenLifetimeSeconds: null,
  };
  const T0 = Date.UTC(2026, 10, 28, 10);
  const track = (id: string, name = 'Viewed'): EventToStore => ({
    id,
    type: 'track',
    name,
    sessionId: null,
    body: JSON.stringify({ id }),
  });
  const batch = (userId: string, events: EventToStore[]): BatchToStore => ({
    appId: 'app_1',
    batchId: `b-${userId}`,
    receivedAt: T0,
    userId,
    anonymousId: null,
    sdkName: 'test',
    sdkVersion: '1',
    verified: true,
    events,
    outcome: { outcome: 'verified', code: null, reason: null },
    keyUsed: 'k1',
    failure: null,
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    store = PostgresStore.open({ url: database.url, poolSize: 4 });
    await store.migrate();
    await store.createApp({ id: 'app_1', name: 'One', jwt: JWT, createdAt: T0, updatedAt: T0 });
    await store.addKey(
      'app_1',
      {
        kid: 'k1',
        label: null,
        type: 'EC P-256',
        algorithms: ['ES256'],
        jwk: { kty: 'EC' },
        fingerprint: 'f',
        createdAt: T0,
        lastUsedAt: null,
        useCount: 0,
      },
      5,
    );
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('answers each batch of a group with its own counts, sharing duplicates correctly', async () => {
    const shared = [track('s1'), track('s2')];
    const results = await Promise.all([
      store.storeBatch(batch('alice', [...shared, track('a1')])),
      // The first batch goes alone; these three wait and go together, one of them repeating
      // an id of another in the same group (x1) and one repeating an id within itself (c1).
      store.storeBatch(batch('bob', [track('b1'), track('x1')])),
      store.storeBatch(batch('alice', [...shared, track('x1')])),
      store.storeBatch(batch('carol', [track('c1'), track('c1')])),
    ]);
    expect(results).toEqual([
      { accepted: 3, duplicates: 0 },
      { accepted: 2, duplicates: 0 },
      { accepted: 0, duplicates: 3 },
      { accepted: 1, duplicates: 1 },
    ]);
    const stats = await store.authStats('app_1', 0);
    expect(stats).toEqual([expect.objectContaining({ outcome: 'verified', batches: 4, events: 10 })]);
    expect((await store.listKeys('app_1'))[0]).toMatchObject({ useCount: 4, lastUsedAt: T0 });
    expect((await store.getUser('app_1', 'carol'))?.lastSeen).toBe(T0);
  });

  it('stores the good batches of a group whose statement failed because of one bad batch', async () => {
    // Validation refuses NUL in names; here the store is called directly, as a bug would.
    const results = await Promise.allSettled([
      store.storeBatch(batch('dave', [track('d1')])),
      store.storeBatch(batch('eve', [track('e1', 'bad\u0000name')])),
      store.storeBatch(batch('frank', [track('f1'), track('f2')])),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const ids = (await store.listEvents('app_1', { limit: 100 })).map((e) => JSON.parse(e.body).id);
    expect(ids).toEqual(expect.arrayContaining(['d1', 'f1', 'f2']));
    expect(ids).not.toContain('e1');
  });
});

import type { JwtSettings } from '@signet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchToStore, EventToStore, Store } from '../src/store/store.ts';
import { BACKENDS } from './backends.ts';

/*
 * The group writers: concurrent batches are stored together (SQLite: one transaction; PostgreSQL:
 * one statement). Each caller must still get its own accepted/duplicates, and a batch that fails
 * half-way must leave nothing of itself while the others of its group are stored.
 */
const JWT: JwtSettings = {
  mode: 'required',
  audience: null,
  issuer: null,
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: 2_592_000,
};
const T0 = Date.UTC(2026, 10, 28, 10);

const track = (id: string): EventToStore => ({
  id,
  type: 'track',
  name: 'Viewed',
  sessionId: null,
  body: JSON.stringify({ id }),
});

/** An event the backend cannot write; validation never lets one through, only a bug would. */
const POISON: Record<string, (id: string) => EventToStore> = {
  // better-sqlite3 binds text, numbers and buffers only.
  sqlite: (id) => ({ ...track(id), body: { not: 'text' } as unknown as string }),
  // PostgreSQL text cannot hold NUL.
  postgres: (id) => ({ ...track(id), name: 'bad\u0000name' }),
};

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

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`group writer: ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    const poison = POISON[backend.name] as (id: string) => EventToStore;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
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
      await cleanup?.();
    });

    it('answers each batch of a group with its own counts, sharing duplicates correctly', async () => {
      const shared = [track('s1'), track('s2')];
      const results = await Promise.all([
        store.storeBatch(batch('alice', [...shared, track('a1')])),
        // Concurrent: these go in one group (PostgreSQL: the next, after alice's). Ids are unique
        // per sender: alice's x1 is new though bob sends x1 in the same group, while bob repeating
        // his own x1 in the group and carol repeating c1 within her batch are duplicates.
        store.storeBatch(batch('bob', [track('b1'), track('x1')])),
        store.storeBatch(batch('alice', [...shared, track('x1')])),
        store.storeBatch(batch('carol', [track('c1'), track('c1')])),
        store.storeBatch(batch('bob', [track('x1')])),
      ]);
      expect(results).toEqual([
        { accepted: 3, duplicates: 0 },
        { accepted: 2, duplicates: 0 },
        { accepted: 1, duplicates: 2 },
        { accepted: 1, duplicates: 1 },
        { accepted: 0, duplicates: 1 },
      ]);
      expect(await store.authStats('app_1', 0)).toEqual([
        expect.objectContaining({ outcome: 'verified', batches: 5, events: 11 }),
      ]);
      expect((await store.listKeys('app_1'))[0]).toMatchObject({ useCount: 5, lastUsedAt: T0 });
      expect((await store.getUser('app_1', 'carol'))?.lastSeen).toBe(T0);
    });

    it('stores the good batches of a group and nothing of one that failed half-way', async () => {
      const results = await Promise.allSettled([
        store.storeBatch(batch('dave', [track('d1')])),
        store.storeBatch(batch('eve', [track('e1'), poison('e2')])),
        store.storeBatch(batch('frank', [track('f1'), track('f2')])),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(results[0]).toMatchObject({ value: { accepted: 1, duplicates: 0 } });
      expect(results[2]).toMatchObject({ value: { accepted: 2, duplicates: 0 } });
      const ids = (await store.listEvents('app_1', { limit: 100 })).map((e) => JSON.parse(e.body).id);
      expect(ids).toEqual(expect.arrayContaining(['d1', 'f1', 'f2']));
      expect(ids).not.toContain('e1');
      // Counted once each, though the group may have been written twice (together, then one by one).
      expect(await store.authStats('app_1', 0)).toEqual([expect.objectContaining({ batches: 7 })]);
      expect((await store.listKeys('app_1'))[0]?.useCount).toBe(7);
      expect(await store.getUser('app_1', 'eve')).toBeNull();
    });
  });
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BatchToStore, EventQuery, Store } from '../src/store/store.ts';
import type { Backend, OpenedBackend } from './backends.ts';

/*
 * The events list and export's reads (SPEC §5), through the Store interface: every filter, both
 * orders, keyset paging, and a walk that stays exact while events are stored during it. Run on
 * each backend from store-sqlite.test.ts and store-postgres.test.ts.
 */

const T0 = Date.UTC(2026, 10, 28, 9, 0);
const JWT = {
  mode: 'optional' as const,
  audience: null,
  issuer: null,
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: 2_592_000,
  jwksUrl: null,
  discovery: false,
  userIdClaim: 'sub',
};

let batchNo = 0;
/** A batch of `names` track events for `user`, received at `receivedAt`. */
function batch(
  user: string | null,
  verified: boolean | null,
  receivedAt: number,
  names: string[],
  appId = 'app_1',
): BatchToStore {
  batchNo += 1;
  return {
    appId,
    batchId: `b${batchNo}`,
    receivedAt,
    userId: user,
    anonymousId: user === null ? `anon-${batchNo}` : null,
    sdkName: 'test',
    sdkVersion: '1',
    verified,
    events: names.map((name, i) => {
      const id = `e${batchNo}-${i}`;
      return {
        id,
        type: 'track' as const,
        name,
        sessionId: null,
        body: JSON.stringify({ id, type: 'track', name }),
      };
    }),
    outcome: {
      outcome: verified === null ? 'anonymous' : verified ? 'verified' : 'unverified',
      code: null,
      reason: null,
    },
    keyUsed: null,
    failure: null,
  } as BatchToStore;
}

const idsOf = (rows: { body: string }[]) => rows.map((r) => (JSON.parse(r.body) as { id: string }).id);

/** Every page of a walk, following the last row of each page as `after`. */
async function walk(
  store: Store,
  query: EventQuery,
  during?: (page: number) => Promise<void>,
): Promise<string[]> {
  const seen: string[] = [];
  let after: EventQuery['after'];
  for (let page = 0; ; page++) {
    const rows = await store.listEvents('app_1', { ...query, ...(after ? { after } : {}) });
    seen.push(...idsOf(rows));
    const last = rows[rows.length - 1];
    if (!last || rows.length < query.limit) return seen;
    after = { receivedAt: last.receivedAt, seq: last.seq };
    await during?.(page);
  }
}

/** The event-query suite, for one backend. */
export function describeEventQueries(backend: Backend): void {
  describe.skipIf(backend.unavailable !== null)(`event queries: ${backend.name}`, () => {
    let opened: OpenedBackend;
    let store: Store;

    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
      await store.migrate();
      for (const id of ['app_1', 'app_2']) {
        await store.createApp({ id, name: id, jwt: JWT, createdAt: T0, updatedAt: T0 } as Parameters<
          Store['createApp']
        >[0]);
      }
      // Received out of insertion order on purpose: the order is receivedAt's, not the insert's.
      await store.storeBatch(batch('alice', true, T0 + 2_000, ['Viewed', 'Bought']));
      await store.storeBatch(batch('bob', false, T0 + 1_000, ['Viewed']));
      await store.storeBatch(batch(null, null, T0 + 3_000, ['Viewed']));
      await store.storeBatch(batch('alice', true, T0 + 3_000, ['Bought']));
      await store.storeBatch(batch('alice', true, T0 + 4_000, ['Viewed'], 'app_2'));
    });
    afterEach(() => opened.cleanup());

    it('reads newest first by receivedAt, then by storage order, and oldest first when asked', async () => {
      const newest = await store.listEvents('app_1', { limit: 100 });
      expect(newest.map((r) => r.receivedAt)).toEqual([
        T0 + 3_000,
        T0 + 3_000,
        T0 + 2_000,
        T0 + 2_000,
        T0 + 1_000,
      ]);
      expect(newest[0]?.seq).toBeGreaterThan(newest[1]?.seq as number);
      const oldest = await store.listEvents('app_1', { limit: 100, order: 'oldest' });
      expect(idsOf(oldest)).toEqual(idsOf(newest).reverse());
    });

    it('filters by user, name, verified and a receivedAt window, alone and together', async () => {
      const q = async (query: Omit<EventQuery, 'limit'>) =>
        (await store.listEvents('app_1', { ...query, limit: 100 })).map((r) => [
          r.userId,
          (JSON.parse(r.body) as { name: string }).name,
          r.verified,
          r.receivedAt - T0,
        ]);
      expect(await q({ userId: 'alice' })).toEqual([
        ['alice', 'Bought', true, 3_000],
        ['alice', 'Bought', true, 2_000],
        ['alice', 'Viewed', true, 2_000],
      ]);
      expect(await q({ name: 'Viewed' })).toEqual([
        [null, 'Viewed', null, 3_000],
        ['alice', 'Viewed', true, 2_000],
        ['bob', 'Viewed', false, 1_000],
      ]);
      expect(await q({ verified: false })).toEqual([['bob', 'Viewed', false, 1_000]]);
      expect((await q({ verified: true })).length).toBe(3);
      // from is inclusive, to exclusive.
      expect(await q({ from: T0 + 2_000, to: T0 + 3_000 })).toEqual([
        ['alice', 'Bought', true, 2_000],
        ['alice', 'Viewed', true, 2_000],
      ]);
      expect(await q({ userId: 'alice', name: 'Viewed', verified: true, from: T0 })).toEqual([
        ['alice', 'Viewed', true, 2_000],
      ]);
      expect(await q({ userId: 'nobody' })).toEqual([]);
    });

    it('pages by position in both orders, each event once, ties on receivedAt included', async () => {
      const all = idsOf(await store.listEvents('app_1', { limit: 100 }));
      for (const limit of [1, 2, 3]) {
        expect(await walk(store, { limit })).toEqual(all);
        expect(await walk(store, { limit, order: 'oldest' })).toEqual([...all].reverse());
      }
    });

    it('keeps a walk exact while events are stored during it', async () => {
      for (let i = 0; i < 40; i++)
        await store.storeBatch(batch(`u${i % 3}`, true, T0 + 10_000 + i * 10, ['Tick']));
      const before = idsOf(await store.listEvents('app_1', { limit: 1000 }));
      let receivedAt = T0 + 100_000;
      const seen = await walk(store, { limit: 7 }, async () => {
        // New events arrive (newer than the walk's position) between every two pages.
        receivedAt += 1;
        await store.storeBatch(batch('alice', true, receivedAt, ['Tick', 'Tick']));
      });
      expect(seen).toEqual(before);
      expect(new Set(seen).size).toBe(seen.length);
    });
  });
}

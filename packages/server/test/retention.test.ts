import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/config.ts';
import { RetentionDeleter } from '../src/retention.ts';
import { startServer } from '../src/start.ts';
import { openStore } from '../src/store/open-store.ts';
import type { BatchToStore, Store } from '../src/store/store.ts';
import { BACKENDS, type OpenedBackend } from './backends.ts';
import { tempDir } from './helpers.ts';

/*
 * Retention (SPEC §5 `retentionDays`): the server deletes events received longer ago than each
 * app keeps them, in bounded chunks, on both backends, with a frozen clock; and `signet serve`
 * (startServer) runs it by itself.
 */

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 12, 0);
const JWT = {
  mode: 'disabled' as const,
  audience: null,
  issuer: null,
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: 2_592_000,
};

let batchNo = 0;
/** `count` anonymous track events of `appId` received at `receivedAt`. */
function batch(appId: string, receivedAt: number, count: number): BatchToStore {
  batchNo += 1;
  return {
    appId,
    batchId: `b${batchNo}`,
    receivedAt,
    userId: null,
    anonymousId: `anon-${batchNo}`,
    sdkName: 'test',
    sdkVersion: '1',
    verified: null,
    events: Array.from({ length: count }, (_, i) => {
      const id = `e${batchNo}-${i}`;
      return {
        id,
        type: 'track' as const,
        name: 'Tick',
        sessionId: null,
        body: JSON.stringify({ id, type: 'track' }),
      };
    }),
    outcome: { outcome: 'anonymous', code: null, reason: null },
    keyUsed: null,
    failure: null,
  };
}

async function createApp(store: Store, id: string, retentionDays: number | null) {
  await store.createApp({
    id,
    name: id,
    jwt: JWT,
    createdAt: NOW,
    updatedAt: NOW,
    retentionDays,
  } as Parameters<Store['createApp']>[0]);
}

/** The receivedAt of every stored event of `appId`, oldest first. */
async function ages(store: Store, appId: string): Promise<number[]> {
  const rows = await store.listEvents(appId, { limit: 1000, order: 'oldest' });
  return rows.map((r) => Math.round((NOW - r.receivedAt) / DAY));
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`retention: ${backend.name}`, () => {
    let opened: OpenedBackend;
    let store: Store;

    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
      await store.migrate();
      await createApp(store, 'keeps_30', 30);
      await createApp(store, 'keeps_forever', null);
      await createApp(store, 'keeps_1', 1);
      for (const appId of ['keeps_30', 'keeps_forever', 'keeps_1']) {
        for (const days of [400, 31, 29, 2, 0]) await store.storeBatch(batch(appId, NOW - days * DAY, 3));
      }
    });
    afterEach(() => opened.cleanup());

    it('deletes at most a chunk of one app’s events before a time, oldest first', async () => {
      const first = await store.deleteEventsBefore('keeps_30', NOW - 30 * DAY, 4);
      expect(first.deleted).toBe(4);
      expect(await ages(store, 'keeps_30')).toEqual([31, 31, 29, 29, 29, 2, 2, 2, 0, 0, 0]);
      // The newest row deleted: the fourth oldest (received 31 days ago).
      expect(first.last?.receivedAt).toBe(NOW - 31 * DAY);
      const second = await store.deleteEventsBefore('keeps_30', NOW - 30 * DAY, 4, first.last);
      expect(second.deleted).toBe(2);
      expect(await store.deleteEventsBefore('keeps_30', NOW - 30 * DAY, 4, second.last)).toEqual({
        deleted: 0,
        last: null,
      });
      // After a position, older rows are not picked up again (the next pass starts from the start).
      await store.storeBatch(batch('keeps_30', NOW - 100 * DAY, 2));
      expect((await store.deleteEventsBefore('keeps_30', NOW - 30 * DAY, 4, second.last)).deleted).toBe(0);
      expect((await store.deleteEventsBefore('keeps_30', NOW - 30 * DAY, 4)).deleted).toBe(2);
      expect((await ages(store, 'keeps_forever')).length).toBe(15);
      // The batches the chunks emptied went with their events: the counts see only what is left.
      const counted = await store.eventsPerMinute('keeps_30', NOW - 200 * DAY);
      expect(counted.reduce((sum, minute) => sum + minute.events, 0)).toBe(9);
    });

    it('deletes what each app no longer keeps, in bounded chunks, by an injected clock', async () => {
      let clock = NOW;
      const chunks: number[] = [];
      // The real store, with each chunk's size noted on the way through.
      const counted: Store = {
        ...store,
        deleteEventsBefore: async (appId, before, limit, after) => {
          const chunk = await store.deleteEventsBefore(appId, before, limit, after);
          chunks.push(chunk.deleted);
          return chunk;
        },
      };
      const deleter = new RetentionDeleter({ store: counted, now: () => clock, chunkSize: 2, pauseMs: 0 });

      expect(await deleter.runOnce()).toEqual({ deleted: 6 + 12, chunks: chunks.length });
      expect(Math.max(...chunks)).toBe(2);
      expect(await ages(store, 'keeps_30')).toEqual([29, 29, 29, 2, 2, 2, 0, 0, 0]);
      expect(await ages(store, 'keeps_forever')).toEqual([
        400, 400, 400, 31, 31, 31, 29, 29, 29, 2, 2, 2, 0, 0, 0,
      ]);
      expect(await ages(store, 'keeps_1')).toEqual([0, 0, 0]);

      // A second pass at the same time finds nothing more; ten days later, the 29-day-old go.
      expect((await deleter.runOnce()).deleted).toBe(0);
      clock += 10 * DAY;
      expect((await deleter.runOnce()).deleted).toBe(3 + 3);
      expect(await ages(store, 'keeps_30')).toEqual([2, 2, 2, 0, 0, 0]);
      expect((await ages(store, 'keeps_forever')).length).toBe(15);
    });

    it('lets batches be stored while a long pass runs', async () => {
      for (let i = 0; i < 20; i++) await store.storeBatch(batch('keeps_1', NOW - 5 * DAY, 100));
      const deleter = new RetentionDeleter({ store, now: () => NOW, chunkSize: 50, pauseMs: 1 });
      const pass = deleter.runOnce();
      const stored = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.storeBatch(batch('keeps_1', NOW + i, 5))),
      );
      expect(stored.every((s) => s.accepted === 5)).toBe(true);
      // keeps_1's 2,000 and 12 older events, keeps_30's 6.
      expect((await pass).deleted).toBe(2_000 + 12 + 6);
      expect((await ages(store, 'keeps_1')).length).toBe(3 + 50);
    });
  });
}

const SERVERS = [
  { name: 'sqlite', unavailable: null },
  { name: 'postgres', unavailable: postgresUnavailable },
];

for (const backend of SERVERS) {
  describe.skipIf(backend.unavailable !== null)(`signet serve runs retention: ${backend.name}`, () => {
    it('deletes events older than the app keeps them, by itself, at start and on its interval', async () => {
      const dir = tempDir();
      const database = backend.name === 'postgres' ? await createTestDatabase() : null;
      const databaseUrl = database?.url ?? `sqlite:${join(dir.dir, 'signet.db')}`;
      const seeding = openStore(databaseUrl);
      try {
        await seeding.migrate();
        const now = Date.now();
        await createApp(seeding, 'app_kept_7', 7);
        await seeding.storeBatch(batch('app_kept_7', now - 8 * DAY, 4));
        await seeding.storeBatch(batch('app_kept_7', now - 6 * DAY, 2));
        const server = await startServer(
          {
            ...DEFAULT_CONFIG,
            port: 0,
            databaseUrl,
            adminToken: 'a'.repeat(40),
            logLevel: 'warn',
            retentionIntervalMs: 1_000,
          },
          { handleSignals: false, out: new Writable({ write: (_c, _e, done) => done() }) },
        );
        try {
          await expect
            .poll(async () => (await seeding.listEvents('app_kept_7', { limit: 10 })).length, {
              timeout: 10_000,
            })
            .toBe(2);
          // And on its interval: an event that turns old after the start goes at the next pass.
          await seeding.storeBatch(batch('app_kept_7', now - 9 * DAY, 3));
          await expect
            .poll(async () => (await seeding.listEvents('app_kept_7', { limit: 10 })).length, {
              timeout: 10_000,
            })
            .toBe(2);
        } finally {
          await server.close();
        }
      } finally {
        await seeding.close();
        await database?.drop();
        dir.cleanup();
      }
    }, 30_000);
  });
}

import { join } from 'node:path';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { DialectName } from '../src/store/dialect-name.ts';
import { migrationProvider } from '../src/store/migrations/index.ts';
import { openPostgresStore } from '../src/store/postgres/postgres-store.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { BatchToStore, EventToStore, Store } from '../src/store/store.ts';
import { tempDir } from './helpers.ts';

/*
 * A database made by the previous version (migration 001 only, with an event id pre-claimed by
 * an anonymous batch and a profile overwritten by an unverified batch) is brought up to date by
 * the store's own `migrate()`, and then behaves as a new one.
 */

const T0 = Date.UTC(2026, 11, 1, 12);

interface OldDatabase {
  /** A Kysely connection to the database as the previous version would open it. */
  db: Kysely<unknown>;
  /** The current store over the same database. */
  open(): Store;
  cleanup(): Promise<void>;
}

const OLD_DATABASES: { name: DialectName; unavailable: string | null; make(): Promise<OldDatabase> }[] = [
  {
    name: 'sqlite',
    unavailable: null,
    async make() {
      const { dir, cleanup } = tempDir();
      const filename = join(dir, 'signet.db');
      const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(filename) }) });
      return { db, open: () => openSqliteStore({ filename }), cleanup: async () => cleanup() };
    },
  },
  {
    name: 'postgres',
    unavailable: postgresUnavailable,
    async make() {
      const database = await createTestDatabase();
      const db = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url, max: 1 }) }),
      });
      return { db, open: () => openPostgresStore({ url: database.url }), cleanup: () => database.drop() };
    },
  },
];

/** Rows as version 001 stored them: event ids unique per app, one attribute set per profile. */
async function fillAsPreviousVersion(db: Kysely<unknown>): Promise<void> {
  await sql`insert into apps (id, name, jwt_mode, audience, issuer, clock_tolerance_seconds,
      max_token_lifetime_seconds, created_at, updated_at)
    values ('app_1', 'Old', 'optional', null, null, 60, null, ${T0}, ${T0})`.execute(db);
  const event = async (
    id: string,
    type: string,
    user: { userId: string | null; anonymousId: string | null; verified: number | null },
    body: object,
  ) => {
    await sql`insert into events (app_id, id, type, name, user_id, anonymous_id, session_id, batch_id,
        sdk_name, sdk_version, verified, received_at, body)
      values ('app_1', ${id}, ${type}, null, ${user.userId}, ${user.anonymousId}, null, 'b', 'web', '1',
        ${user.verified}, ${T0}, ${JSON.stringify({ id, type, timestamp: new Date(T0).toISOString(), ...body })})`.execute(
      db,
    );
  };
  const alice = { userId: 'alice', anonymousId: null, verified: 1 };
  await event(
    'pre-claimed',
    'track',
    { userId: null, anonymousId: 'anon-1', verified: null },
    { name: 'Junk' },
  );
  await event('v1', 'attributes', alice, { attributes: { email: 'alice@example.com', plan: 'pro' } });
  await event(
    'u1',
    'attributes',
    { ...alice, verified: 0 },
    { attributes: { email: 'attacker@example.com' } },
  );
  await event('v2', 'track', alice, { name: 'Viewed' });
  // What 001 made of it: the unverified batch overwrote the verified email.
  await sql`insert into users (app_id, user_id, attributes, first_seen, last_seen)
    values ('app_1', 'alice', ${JSON.stringify({ email: 'attacker@example.com', plan: 'pro' })}, ${T0}, ${T0})`.execute(
    db,
  );
}

const track = (id: string): EventToStore => ({
  id,
  type: 'track',
  name: 'Viewed',
  sessionId: null,
  body: JSON.stringify({ id, type: 'track', name: 'Viewed', timestamp: new Date(T0).toISOString() }),
});

const aliceVerified = (events: EventToStore[]): BatchToStore => ({
  appId: 'app_1',
  batchId: 'b2',
  receivedAt: T0 + 1000,
  userId: 'alice',
  anonymousId: null,
  sdkName: 'web',
  sdkVersion: '1',
  verified: true,
  events,
  outcome: { outcome: 'verified', code: null, reason: null },
  keyUsed: null,
  failure: null,
});

for (const backend of OLD_DATABASES) {
  describe.skipIf(backend.unavailable !== null)(`migration 002 on a database of 001: ${backend.name}`, () => {
    it('scopes event ids to senders, splits profiles and sets the default token lifetime', async () => {
      const old = await backend.make();
      try {
        const migrator = new Migrator({ db: old.db, provider: migrationProvider(backend.name) });
        const first = await migrator.migrateTo('001-initial');
        expect(first.error).toBeUndefined();
        await fillAsPreviousVersion(old.db);
        await old.db.destroy();

        const store = old.open();
        try {
          await store.migrate();
          expect((await store.getApp('app_1'))?.jwt.maxTokenLifetimeSeconds).toBe(30 * 86_400);
          const user = await store.getUser('app_1', 'alice');
          expect(user?.attributes).toEqual({ email: 'alice@example.com', plan: 'pro' });
          expect(user?.unverifiedAttributes).toEqual({ email: 'attacker@example.com' });
          expect(await store.listEvents('app_1', { limit: 10 })).toHaveLength(4);

          // The id the anonymous batch took no longer blocks alice's verified event; her own
          // stored event is still a duplicate when re-sent; new rows come after the old ones.
          expect(await store.storeBatch(aliceVerified([track('pre-claimed'), track('v2')]))).toEqual({
            accepted: 1,
            duplicates: 1,
          });
          const newest = await store.listEvents('app_1', { limit: 1 });
          expect(newest[0]).toMatchObject({ userId: 'alice', verified: true, receivedAt: T0 + 1000 });
          expect(await store.listEvents('app_1', { limit: 10 })).toHaveLength(5);
          await store.migrate();
        } finally {
          await store.close();
        }
      } finally {
        await old.cleanup();
      }
    });
  });
}

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

/** Events as migrations 002–005 stored them: one row each, with its batch's columns. */
async function fillAsVersion005(db: Kysely<unknown>): Promise<void> {
  await sql`insert into apps (id, name, jwt_mode, audience, issuer, clock_tolerance_seconds,
      max_token_lifetime_seconds, created_at, updated_at, jwks_discovery, user_id_claim)
    values ('app_1', 'Old', 'optional', null, null, 60, 2592000, ${T0}, ${T0}, 0, 'sub')`.execute(db);
  const event = async (
    id: string,
    name: string,
    user: { userId: string | null; anonymousId: string | null; verified: number | null; kid: string | null },
    receivedAt: number,
  ) => {
    const sender =
      user.userId === null
        ? `anonymous:${user.anonymousId}`
        : `${user.verified === 1 ? 'verified' : 'claimed'}:${user.userId}`;
    await sql`insert into events (app_id, id, type, name, user_id, anonymous_id, session_id, batch_id,
        sender, sdk_name, sdk_version, verified, received_at, body, kid)
      values ('app_1', ${id}, 'track', ${name}, ${user.userId}, ${user.anonymousId}, null, 'b', ${sender},
        'web', '1', ${user.verified}, ${receivedAt}, ${JSON.stringify({ id, type: 'track', name })}, ${user.kid})`.execute(
      db,
    );
  };
  const alice = { userId: 'alice', anonymousId: null, verified: 1, kid: 'k1' };
  await event('a1', 'Opened', { userId: null, anonymousId: 'anon-1', verified: null, kid: null }, T0);
  await event('v1', 'Viewed', alice, T0 + 60_000);
  await event('v2', 'Bought', alice, T0 + 60_000);
  // Received at the same millisecond as alice's: storage order breaks the tie.
  await event('c1', 'Viewed', { userId: 'bob', anonymousId: null, verified: 0, kid: null }, T0 + 60_000);
}

for (const backend of OLD_DATABASES) {
  describe.skipIf(backend.unavailable !== null)(`migration 006 on a database of 005: ${backend.name}`, () => {
    it('moves each stored event into a batch of its own and reads, filters, counts and erases them as before', async () => {
      const old = await backend.make();
      try {
        const migrator = new Migrator({ db: old.db, provider: migrationProvider(backend.name) });
        expect((await migrator.migrateTo('005-identity-provider')).error).toBeUndefined();
        await fillAsVersion005(old.db);
        await old.db.destroy();

        const store = old.open();
        try {
          await store.migrate();
          const events = await store.listEvents('app_1', { limit: 10 });
          expect(events.map((e) => JSON.parse(e.body).id)).toEqual(['c1', 'v2', 'v1', 'a1']);
          // Each event keeps its batch's columns, and its seq × 1024 as its place in the order.
          expect(
            events.map(({ seq, userId, anonymousId, verified, kid, receivedAt }) => ({
              seq,
              userId,
              anonymousId,
              verified,
              kid,
              receivedAt,
            })),
          ).toEqual([
            {
              seq: 4 * 1024,
              userId: 'bob',
              anonymousId: null,
              verified: false,
              kid: null,
              receivedAt: T0 + 60_000,
            },
            {
              seq: 3 * 1024,
              userId: 'alice',
              anonymousId: null,
              verified: true,
              kid: 'k1',
              receivedAt: T0 + 60_000,
            },
            {
              seq: 2 * 1024,
              userId: 'alice',
              anonymousId: null,
              verified: true,
              kid: 'k1',
              receivedAt: T0 + 60_000,
            },
            { seq: 1024, userId: null, anonymousId: 'anon-1', verified: null, kid: null, receivedAt: T0 },
          ]);
          const ids = async (query: Parameters<Store['listEvents']>[1]) =>
            (await store.listEvents('app_1', query)).map((e) => JSON.parse(e.body).id);
          expect(await ids({ userId: 'alice', limit: 10 })).toEqual(['v2', 'v1']);
          expect(await ids({ name: 'Viewed', limit: 10 })).toEqual(['c1', 'v1']);
          expect(await ids({ verified: false, limit: 10 })).toEqual(['c1']);
          expect(await ids({ limit: 2, after: { receivedAt: T0 + 60_000, seq: 3 * 1024 } })).toEqual([
            'v1',
            'a1',
          ]);
          expect(await store.eventsPerMinute('app_1', T0)).toEqual([
            { minute: T0, events: 1 },
            { minute: T0 + 60_000, events: 3 },
          ]);

          // Migrated ids are still duplicates for their sender; new batches come after them.
          expect(
            await store.storeBatch({ ...aliceVerified([track('v1'), track('v3')]), receivedAt: T0 + 60_000 }),
          ).toEqual({ accepted: 1, duplicates: 1 });
          expect(await ids({ limit: 1 })).toEqual(['v3']);
          expect(await store.eraseUser('app_1', 'alice')).toMatchObject({ events: 3 });
          expect(await ids({ limit: 10 })).toEqual(['c1', 'a1']);
        } finally {
          await store.close();
        }
      } finally {
        await old.cleanup();
      }
    });
  });
}

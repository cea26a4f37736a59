import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

/*
 * Trust the data (SPEC §3–§5):
 * - event ids are unique per sender (`events.sender`), no longer per app, so an id used by an
 *   anonymous, unverified or other user's batch never makes a verified event a "duplicate";
 * - profiles keep unverified attributes apart, rebuilt here from the stored events, so a
 *   profile that unverified batches had overwritten gets back its verified values only;
 * - apps without a maximum token lifetime get the default (30 days);
 * - dashboard sessions live in the database, so logging out ends them on every instance.
 */

const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 30 * 86_400;

/** The sender of a stored row, as `senderOf` in batch-rules.ts computes it for new rows. */
const SENDER = sql`case
  when user_id is null then 'anonymous:' || anonymous_id
  when verified = 1 then 'verified:' || user_id
  else 'claimed:' || user_id end`;

export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') await scopeEventIdsPostgres(db);
  else await scopeEventIdsSqlite(db);

  await db.schema
    .alterTable('users')
    .addColumn('unverified_attributes', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await rebuildProfiles(db);

  await sql`update apps set max_token_lifetime_seconds = ${DEFAULT_MAX_TOKEN_LIFETIME_SECONDS}
            where max_token_lifetime_seconds is null`.execute(db);

  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('admin_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .execute();
}

async function scopeEventIdsPostgres(db: Kysely<unknown>): Promise<void> {
  await sql`alter table events add column sender text`.execute(db);
  await sql`update events set sender = ${SENDER}`.execute(db);
  await sql`alter table events alter column sender set not null`.execute(db);
  await sql`alter table events drop constraint events_app_id_id_unique`.execute(db);
  await sql`alter table events add constraint events_app_sender_id_unique unique (app_id, sender, id)`.execute(
    db,
  );
}

/** SQLite cannot drop a table's UNIQUE constraint: the table is rebuilt with the new one. */
async function scopeEventIdsSqlite(db: Kysely<unknown>): Promise<void> {
  await sql`create table events_scoped (
    seq integer primary key autoincrement,
    app_id text not null,
    id text not null,
    type text not null,
    name text,
    user_id text,
    anonymous_id text,
    session_id text,
    batch_id text not null,
    sender text not null,
    sdk_name text,
    sdk_version text,
    verified integer,
    received_at integer not null,
    body text not null,
    constraint events_app_sender_id_unique unique (app_id, sender, id))`.execute(db);
  await sql`insert into events_scoped (seq, app_id, id, type, name, user_id, anonymous_id, session_id,
      batch_id, sender, sdk_name, sdk_version, verified, received_at, body)
    select seq, app_id, id, type, name, user_id, anonymous_id, session_id, batch_id, ${SENDER},
      sdk_name, sdk_version, verified, received_at, body
    from events order by seq`.execute(db);
  await sql`drop table events`.execute(db);
  await sql`alter table events_scoped rename to events`.execute(db);
  await db.schema.createIndex('events_app_seq').on('events').columns(['app_id', 'seq']).execute();
  await db.schema
    .createIndex('events_app_user_seq')
    .on('events')
    .columns(['app_id', 'user_id', 'seq'])
    .execute();
}

interface AttributeEventRow {
  seq: number | string;
  app_id: string;
  user_id: string;
  verified: number | null;
  body: string;
}

/**
 * Every profile's two attribute sets, merged again from its stored `attributes` events in the
 * order they were stored; read in pages along the (app, user, seq) index, one profile at a time.
 */
async function rebuildProfiles(db: Kysely<unknown>): Promise<void> {
  const PAGE = 1_000;
  let last: AttributeEventRow | undefined;
  let profile: { appId: string; userId: string; verified: object; unverified: object } | undefined;
  const save = async () => {
    if (!profile) return;
    await sql`update users set attributes = ${JSON.stringify(profile.verified)},
        unverified_attributes = ${JSON.stringify(profile.unverified)}
      where app_id = ${profile.appId} and user_id = ${profile.userId}`.execute(db);
  };
  for (;;) {
    const after = last
      ? sql`and (app_id, user_id, seq) > (${last.app_id}, ${last.user_id}, ${Number(last.seq)})`
      : sql``;
    const { rows } = await sql<AttributeEventRow>`select seq, app_id, user_id, verified, body from events
      where type = 'attributes' and user_id is not null ${after}
      order by app_id, user_id, seq limit ${PAGE}`.execute(db);
    for (const row of rows) {
      if (profile?.appId !== row.app_id || profile.userId !== row.user_id) {
        await save();
        // Null-prototype objects: attribute keys such as "__proto__" stay plain data.
        profile = {
          appId: row.app_id,
          userId: row.user_id,
          verified: Object.create(null),
          unverified: Object.create(null),
        };
      }
      const attributes = (JSON.parse(row.body) as { attributes?: object }).attributes ?? {};
      Object.assign(Number(row.verified) === 1 ? profile.verified : profile.unverified, attributes);
    }
    if (rows.length < PAGE) break;
    last = rows[rows.length - 1];
  }
  await save();
}

import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

/** The first schema: apps, keys, events, profiles, aliases, auth outcomes and failures. */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  // Auto-increment differs by dialect; everything else is portable.
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('apps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('jwt_mode', 'text', (c) => c.notNull())
    .addColumn('audience', 'text')
    .addColumn('issuer', 'text')
    .addColumn('clock_tolerance_seconds', 'integer', (c) => c.notNull())
    .addColumn('max_token_lifetime_seconds', 'integer')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('app_keys')
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('kid', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('algorithms', 'text', (c) => c.notNull())
    .addColumn('jwk', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_used_at', big)
    .addColumn('use_count', big, (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('app_keys_pk', ['app_id', 'kid'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', serial, (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('user_id', 'text')
    .addColumn('anonymous_id', 'text')
    .addColumn('session_id', 'text')
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('sdk_name', 'text')
    .addColumn('sdk_version', 'text')
    .addColumn('verified', 'integer')
    .addColumn('received_at', big, (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addUniqueConstraint('events_app_id_id_unique', ['app_id', 'id'])
    .execute();
  await db.schema.createIndex('events_app_seq').on('events').columns(['app_id', 'seq']).execute();
  await db.schema
    .createIndex('events_app_user_seq')
    .on('events')
    .columns(['app_id', 'user_id', 'seq'])
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('first_seen', big, (c) => c.notNull())
    .addColumn('last_seen', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('users_pk', ['app_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('aliases')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('anonymous_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('aliases_pk', ['app_id', 'anonymous_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('auth_outcomes')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('hour', big, (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('batches', big, (c) => c.notNull())
    .addColumn('events', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('auth_outcomes_pk', ['app_id', 'hour', 'outcome', 'code', 'reason'])
    .execute();

  await db.schema
    .createTable('auth_failures')
    .addColumn('id', serial, (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('kid', 'text')
    .addColumn('subject', 'text')
    .addColumn('user_id', 'text')
    .addColumn('sdk_name', 'text')
    .addColumn('sdk_version', 'text')
    .execute();
  await db.schema.createIndex('auth_failures_app_id').on('auth_failures').columns(['app_id', 'id']).execute();
}

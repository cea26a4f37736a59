import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

/*
 * Operators own their data (SPEC §5):
 * - `apps.retention_days`: how long an app's events are kept (null = forever), read by the
 *   retention deleter;
 * - `admin_audit`: every admin change and login, newest first by `id`, shared by every instance
 *   on the database; `(app_id, id)` serves the per-app view, `(action, id)` the cap on failed
 *   logins;
 * - `deleted_apps`: apps whose rows are still being purged, so a purge cut short by a restart is
 *   finished at the next start.
 */
export async function up(db: Kysely<unknown>, dialect: DialectName): Promise<void> {
  const serial = dialect === 'postgres' ? 'bigserial' : 'integer';
  const big = dialect === 'postgres' ? 'bigint' : 'integer';

  await db.schema.alterTable('apps').addColumn('retention_days', 'integer').execute();

  await db.schema
    .createTable('admin_audit')
    .addColumn('id', serial, (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('admin_audit_app_id').on('admin_audit').columns(['app_id', 'id']).execute();
  await db.schema.createIndex('admin_audit_action_id').on('admin_audit').columns(['action', 'id']).execute();

  await db.schema
    .createTable('deleted_apps')
    .addColumn('app_id', 'text', (c) => c.primaryKey())
    .addColumn('deleted_at', big, (c) => c.notNull())
    .execute();
}

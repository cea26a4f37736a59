import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

/*
 * Event queries (SPEC §5): every filter of the events API and export reads along its own index,
 * ending in (received_at, seq), the keyset order a cursor points into. With the filter's column
 * fixed by equality, the page is one range scan in either direction, at any depth, and the
 * retention deleter finds an app's oldest events along events_app_received. The indexes on
 * (app_id, seq) and (app_id, user_id, seq) served the old newest-first list; the new ones
 * replace them (erasure by user reads along events_app_user_received). Events also keep the kid
 * of the key that verified them.
 */

const INDEXES = [
  { name: 'events_app_received', columns: ['app_id', 'received_at', 'seq'] },
  { name: 'events_app_user_received', columns: ['app_id', 'user_id', 'received_at', 'seq'] },
  { name: 'events_app_name_received', columns: ['app_id', 'name', 'received_at', 'seq'] },
  { name: 'events_app_verified_received', columns: ['app_id', 'verified', 'received_at', 'seq'] },
];

export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  // Which key verified each event: the explorer shows it; null for events stored before.
  await db.schema.alterTable('events').addColumn('kid', 'text').execute();
  for (const index of INDEXES) {
    await db.schema.createIndex(index.name).on('events').columns(index.columns).execute();
  }
  await db.schema.dropIndex('events_app_seq').execute();
  await db.schema.dropIndex('events_app_user_seq').execute();
}

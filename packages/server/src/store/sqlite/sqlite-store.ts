import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { kyselyAuditLog } from '../kysely/kysely-audit-log.ts';
import { kyselyDataReader } from '../kysely/kysely-data-reader.ts';
import { kyselyRegistry } from '../kysely/kysely-registry.ts';
import { kyselyStatisticsReader } from '../kysely/kysely-statistics-reader.ts';
import { migrateToLatest } from '../migrations/index.ts';
import type { Database as Schema } from '../schema.ts';
import { withStorageErrors } from '../storage-unavailable.ts';
import type { Store } from '../store.ts';
import { SqliteBatchWriter } from './sqlite-batch-writer.ts';
import { sqliteOutageTest } from './sqlite-unavailable.ts';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  filename: string;
  /** How long a write waits for another connection's lock before the request gets 503. */
  busyTimeoutMs?: number;
}

/**
 * The default backend: one embedded SQLite file, in WAL mode, on one connection. Batches go
 * through the group-commit writer; everything else through the queries shared with PostgreSQL.
 *
 * @example
 * const store = openSqliteStore({ filename: './signet.db' });
 * await store.migrate();
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
  const connection = new Database(options.filename);
  connection.pragma('journal_mode = WAL');
  // WAL + NORMAL survives a process crash; only an OS crash can lose the last commits.
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: connection }) });
  const writer = new SqliteBatchWriter(connection, (write) =>
    // Holding Kysely's connection means no Kysely transaction is open while the group writes.
    db.connection().execute(async () => write()),
  );
  const store: Store = {
    ...kyselyRegistry(db, {
      // SQLite has no row locks: a writing transaction holds the whole database.
      forUpdate: (query) => query,
      // One process: no other instance to tell, none to hear from.
      announceChange: async () => {},
      watchChanges: async () => async () => {},
    }),
    ...kyselyDataReader(db),
    ...kyselyStatisticsReader(db),
    ...kyselyAuditLog(db),
    storeBatch: (batch) => writer.write({ batch }),
    async recordRejection(rejection) {
      await writer.write({ rejection });
    },
    migrate: () => migrateToLatest(db, 'sqlite'),
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
  return withStorageErrors(store, sqliteOutageTest(connection));
}

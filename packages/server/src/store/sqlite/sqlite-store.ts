import { Kysely, sql } from 'kysely';
import { kyselyAuditLog } from '../kysely/kysely-audit-log.ts';
import { kyselyDataReader } from '../kysely/kysely-data-reader.ts';
import { kyselyEventRetention } from '../kysely/kysely-event-retention.ts';
import { kyselyRegistry } from '../kysely/kysely-registry.ts';
import { kyselyStatisticsReader } from '../kysely/kysely-statistics-reader.ts';
import { kyselyUserEraser } from '../kysely/kysely-user-eraser.ts';
import { migrateToLatest } from '../migrations/index.ts';
import type { Database as Schema } from '../schema.ts';
import { withStorageErrors } from '../storage-unavailable.ts';
import type { Store } from '../store.ts';
import { WrittenGroupListeners } from '../written-group.ts';
import { SqliteBatchWriter } from './sqlite-batch-writer.ts';
import { openSqliteConnection, type SqliteConnectionOptions } from './sqlite-connection.ts';
import { SqliteImmediateDialect } from './sqlite-immediate-dialect.ts';
import { sqliteOutageTest } from './sqlite-unavailable.ts';
import { SqliteWriterClient } from './sqlite-writer-client.ts';

export interface SqliteStoreOptions extends SqliteConnectionOptions {
  /**
   * Write batches on a worker thread with its own connection (default true). An in-memory
   * database, which a second connection cannot see, always keeps the writer on this thread.
   */
  writerThread?: boolean;
}

/**
 * The default backend: one embedded SQLite file in WAL mode. Batches go through the group-commit
 * writer, on a worker thread with its own connection unless told otherwise; everything else
 * goes through the queries shared with PostgreSQL on this thread's connection.
 *
 * @example
 * const store = openSqliteStore({ filename: './signet.db' });
 * await store.migrate();
 */
export function openSqliteStore(options: SqliteStoreOptions): Store {
  const connection = openSqliteConnection(options);
  const db = new Kysely<Schema>({ dialect: new SqliteImmediateDialect({ database: connection }) });
  const groups = new WrittenGroupListeners();
  const writer =
    options.writerThread === false || options.filename === ':memory:'
      ? new SqliteBatchWriter(
          connection,
          // Holding Kysely's connection means no Kysely transaction is open while the group writes.
          (write) => db.connection().execute(async () => write()),
          (group) => groups.emit(group),
        )
      : new SqliteWriterClient(
          {
            filename: options.filename,
            busyTimeoutMs: options.busyTimeoutMs,
            synchronous: options.synchronous,
          },
          (group) => groups.emit(group),
        );
  const store: Omit<Store, 'onGroupWritten'> = {
    ...kyselyRegistry(db, {
      // SQLite has no row locks: a writing transaction holds the whole database.
      forUpdate: (query) => query,
      // One process: no other instance to tell, none to hear from.
      announceChange: async () => {},
      watchChanges: async () => async () => {},
      // The batch writer's connection polls for the lock: a purge must leave it gaps.
      purgePauses: true,
    }),
    ...kyselyDataReader(db, 'sqlite'),
    ...kyselyEventRetention(db, 'sqlite'),
    ...kyselyStatisticsReader(db),
    ...kyselyAuditLog(db),
    ...kyselyUserEraser(db),
    storeBatch: (batch) => writer.write({ batch }),
    async recordRejection(rejection) {
      await writer.write({ rejection });
    },
    async migrate() {
      await migrateToLatest(db, 'sqlite');
      // Every start migrates first: the writer thread loads now, not on the first batch (which,
      // with a short client timeout, could time out while it loaded).
      if (writer instanceof SqliteWriterClient) await writer.ready();
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (writer instanceof SqliteWriterClient) await writer.close();
      await db.destroy();
    },
  };
  return {
    ...withStorageErrors(store, sqliteOutageTest(connection)),
    // Not a database call: it only subscribes, so it is not wrapped.
    onGroupWritten: (listener) => groups.add(listener),
  };
}

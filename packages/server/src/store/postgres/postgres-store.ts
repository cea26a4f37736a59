import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { kyselyAuditLog } from '../kysely/kysely-audit-log.ts';
import { kyselyDataReader } from '../kysely/kysely-data-reader.ts';
import { kyselyEventRetention } from '../kysely/kysely-event-retention.ts';
import { kyselyRegistry } from '../kysely/kysely-registry.ts';
import { kyselyStatisticsReader } from '../kysely/kysely-statistics-reader.ts';
import { kyselyUserEraser } from '../kysely/kysely-user-eraser.ts';
import { migrateToLatest } from '../migrations/index.ts';
import type { Database } from '../schema.ts';
import { withStorageErrors } from '../storage-unavailable.ts';
import type { Store } from '../store.ts';
import { WrittenGroupListeners } from '../written-group.ts';
import { AppChangeListener, announceAppChange } from './postgres-app-changes.ts';
import { PostgresBatchWriter } from './postgres-batch-writer.ts';
import { isPostgresOutage } from './postgres-unavailable.ts';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database`. */
  url: string;
  /** Connections in the pool (SIGNET_DATABASE_POOL). */
  poolSize?: number;
  /** How long a request waits for a connection before it is answered 503. */
  connectTimeoutMs?: number;
  /** Where connection errors outside a request are reported (they must never crash the process). */
  onBackgroundError?: (error: Error) => void;
}

/** Arbitrary constant for pg_advisory_lock: one migration run at a time across instances. */
const MIGRATION_LOCK = 74_217_001;

/**
 * The backend for several instances sharing one PostgreSQL database: batches through the group
 * writer, everything else through the queries shared with SQLite; app changes reach the other
 * instances by LISTEN/NOTIFY.
 *
 * @example
 * const store = openPostgresStore({ url: 'postgres://signet@db:5432/signet', poolSize: 10 });
 * await store.migrate();
 */
export function openPostgresStore(options: PostgresStoreOptions): Store {
  const report = options.onBackgroundError ?? (() => undefined);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle or checked-out connection killed by the server emits 'error'; unhandled, it would
  // end the process. The pool drops the broken client; the next request gets a fresh one.
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const groups = new WrittenGroupListeners();
  const writer = new PostgresBatchWriter(pool, isPostgresOutage, (group) => groups.emit(group));
  const changes = new AppChangeListener(options.url);
  const store: Omit<Store, 'onGroupWritten'> = {
    ...kyselyRegistry(db, {
      forUpdate: (query) => query.forUpdate(),
      announceChange: announceAppChange,
      watchChanges: (onChange) => changes.watch(onChange),
      // Row locks: a purge's deletes never hold other apps' inserts back.
      purgePauses: false,
    }),
    ...kyselyDataReader(db, 'postgres'),
    ...kyselyEventRetention(db, 'postgres'),
    ...kyselyStatisticsReader(db),
    ...kyselyAuditLog(db),
    ...kyselyUserEraser(db),
    storeBatch: (batch) => writer.write({ batch }),
    async recordRejection(rejection) {
      await writer.write({ rejection });
    },
    /** Migrations under an advisory lock, so instances starting together run them once. */
    migrate: () =>
      db.connection().execute(async (connection) => {
        await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection);
        try {
          await migrateToLatest(connection, 'postgres');
        } finally {
          await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection);
        }
      }),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await changes.close();
      await db.destroy();
    },
  };
  return {
    ...withStorageErrors(store, isPostgresOutage),
    // Not a database call: it only subscribes, so it is not wrapped.
    onGroupWritten: (listener) => groups.add(listener),
  };
}

import { openPostgresStore } from './postgres/postgres-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  sqliteBusyTimeoutMs?: number;
  /** SQLite's `synchronous`: `full` (default) survives power loss, `normal` only a process crash. */
  sqliteSynchronous?: 'full' | 'normal';
  /** SQLite: write batches on a worker thread (default true). */
  sqliteWriterThread?: boolean;
  /** PostgreSQL connections per instance. */
  poolSize?: number;
  /** Where PostgreSQL connection errors outside a request are reported. */
  onBackgroundError?: (error: Error) => void;
}

/**
 * Opens the store a database URL names: `sqlite:./signet.db`, `sqlite::memory:`, a bare file
 * path, or `postgres://user@host:port/database` for several instances on one database.
 */
export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  if (/^postgres(ql)?:\/\//.test(url)) {
    return openPostgresStore({
      url,
      poolSize: options.poolSize,
      onBackgroundError: options.onBackgroundError,
    });
  }
  const filename = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (filename === '') throw new Error('SIGNET_DATABASE_URL: sqlite: needs a file path or :memory:');
  return openSqliteStore({
    filename,
    busyTimeoutMs: options.sqliteBusyTimeoutMs,
    synchronous: options.sqliteSynchronous,
    writerThread: options.sqliteWriterThread,
  });
}

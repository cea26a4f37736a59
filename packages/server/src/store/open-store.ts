import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  sqliteBusyTimeoutMs?: number;
}

/**
 * Opens the store a database URL names: `sqlite:./signet.db`, `sqlite::memory:`, or a bare
 * file path. `postgres://…` is recognised but not yet available in this build.
 */
export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  if (/^postgres(ql)?:\/\//.test(url)) {
    throw new Error('SIGNET_DATABASE_URL: PostgreSQL is not available in this build yet; use sqlite:<file>');
  }
  const filename = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  if (filename === '') throw new Error('SIGNET_DATABASE_URL: sqlite: needs a file path or :memory:');
  return SqliteStore.open({ filename, busyTimeoutMs: options.sqliteBusyTimeoutMs });
}

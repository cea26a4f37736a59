import { join } from 'node:path';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import { openPostgresStore } from '../src/store/postgres/postgres-store.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { EventToStore, Store } from '../src/store/store.ts';
import { tempDir } from './helpers.ts';

/**
 * Every storage backend the store suites run against. A backend that needs a service
 * returns a reason to skip when the service is absent (CI sets SIGNET_REQUIRE_* to fail instead).
 */
export interface Backend {
  name: string;
  /** Why this backend cannot run here (the suite is skipped), or null. */
  unavailable: string | null;
  open(): Promise<OpenedBackend>;
  /** An event this backend cannot write; validation never lets one through, only a bug would. */
  unwritableEvent(event: EventToStore): EventToStore;
}

export interface OpenedBackend {
  store: Store;
  /** Another store on the same database, as a second instance (or process) would open it. */
  openAnother(): Store;
  /** Closes every store opened here, then removes the database. */
  cleanup(): Promise<void>;
}

export const SQLITE: Backend = {
  name: 'sqlite',
  unavailable: null,
  async open() {
    const { dir, cleanup } = tempDir();
    const filename = join(dir, 'signet.db');
    return storesOn(
      () => openSqliteStore({ filename }),
      async () => cleanup(),
    );
  },
  // better-sqlite3 binds text, numbers and buffers only.
  unwritableEvent: (event) => ({ ...event, body: { not: 'text' } as unknown as string }),
};

/** SQLite with the batch writer on the event loop's thread (SIGNET_SQLITE_WRITER_THREAD=false). */
export const SQLITE_INLINE: Backend = {
  ...SQLITE,
  name: 'sqlite, writer on the event loop',
  async open() {
    const { dir, cleanup } = tempDir();
    const filename = join(dir, 'signet.db');
    return storesOn(
      () => openSqliteStore({ filename, writerThread: false }),
      async () => cleanup(),
    );
  },
};

export const POSTGRES: Backend = {
  name: 'postgres',
  unavailable: postgresUnavailable,
  async open() {
    const database = await createTestDatabase();
    return storesOn(() => openPostgresStore({ url: database.url, poolSize: 4 }), database.drop);
  },
  // PostgreSQL text cannot hold NUL.
  unwritableEvent: (event) => ({ ...event, name: 'bad\u0000name' }),
};

export const BACKENDS: Backend[] = [SQLITE, POSTGRES];

/** Stores opened on one database, closed together before the database is removed. */
function storesOn(open: () => Store, removeDatabase: () => Promise<void>): OpenedBackend {
  const store = open();
  const stores = [store];
  return {
    store,
    openAnother() {
      const another = open();
      stores.push(another);
      return another;
    },
    async cleanup() {
      for (const opened of stores) await opened.close();
      await removeDatabase();
    },
  };
}

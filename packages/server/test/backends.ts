import { join } from 'node:path';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { tempDir } from './helpers.ts';

/**
 * Every storage backend the store suite runs against. A backend that needs a service
 * returns a reason to skip when the service is absent (CI sets SIGNET_REQUIRE_* to fail instead).
 */
export interface Backend {
  name: string;
  /** Why this backend cannot run here (the suite is skipped), or null. */
  unavailable: string | null;
  open(): Promise<{ store: Store; cleanup: () => Promise<void> }>;
}

export const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    unavailable: null,
    async open() {
      const { dir, cleanup } = tempDir();
      const store = SqliteStore.open({ filename: join(dir, 'signet.db') });
      return {
        store,
        async cleanup() {
          await store.close();
          cleanup();
        },
      };
    },
  },
  {
    name: 'postgres',
    unavailable: postgresUnavailable,
    async open() {
      const database = await createTestDatabase();
      const store = PostgresStore.open({ url: database.url, poolSize: 4 });
      return {
        store,
        async cleanup() {
          await store.close();
          await database.drop();
        },
      };
    },
  },
];

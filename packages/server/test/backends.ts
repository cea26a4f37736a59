import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { tempDir } from './helpers.ts';

/**
 * Every storage backend the store suite runs against. A backend that needs a service
 * returns a reason to skip when the service is absent (CI sets SIGNET_REQUIRE_* to fail instead).
 */
export interface Backend {
  name: string;
  open(): Promise<{ store: Store; cleanup: () => Promise<void> }>;
}

export const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
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
];

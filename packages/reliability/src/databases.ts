import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import Database from 'better-sqlite3';

/*
 * The two databases every fault scenario runs on: a real SQLite file in a temp directory, and a
 * fresh database on the machine's PostgreSQL (@signet/test-services: absent PostgreSQL skips its
 * scenarios with a printed reason, except under SIGNET_REQUIRE_POSTGRES=1).
 */

/** One database for one scenario. */
export interface TestDatabase {
  /** `SIGNET_DATABASE_URL` for a server on it. */
  url: string;
  /**
   * Makes the database refuse work for `ms`: SQLite by a second connection holding BEGIN
   * EXCLUSIVE; PostgreSQL by closing the database to connections and killing the open ones.
   * Resolves when it is available again.
   */
  unavailableFor(ms: number): Promise<void>;
  drop(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  unavailable: string | null;
  create(): Promise<TestDatabase>;
}

const sqlite: Backend = {
  name: 'sqlite',
  unavailable: null,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'signet-reliability-'));
    const file = join(dir, 'signet.db');
    return {
      url: `sqlite:${file}`,
      async unavailableFor(ms) {
        const other = new Database(file);
        other.exec('BEGIN EXCLUSIVE');
        await new Promise((resolve) => setTimeout(resolve, ms));
        other.exec('ROLLBACK');
        other.close();
      },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  unavailable: postgresUnavailable,
  async create() {
    const db = await createTestDatabase();
    return {
      url: db.url,
      async unavailableFor(ms) {
        await db.control(async (c) => {
          await c.query(`alter database ${db.name} allow_connections false`);
          await c.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [db.name],
          );
          try {
            await new Promise((resolve) => setTimeout(resolve, ms));
          } finally {
            await c.query(`alter database ${db.name} allow_connections true`);
          }
        });
      },
      drop: () => db.drop(),
    };
  },
};

export const BACKENDS: Backend[] = [sqlite, postgres];

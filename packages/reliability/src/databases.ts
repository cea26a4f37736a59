import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

/*
 * The two databases every fault scenario runs on: a real SQLite file in a temp directory, and a
 * fresh database on the machine's PostgreSQL (127.0.0.1:5432), dropped afterwards. Absent
 * PostgreSQL skips its scenarios with a printed reason, except under SIGNET_REQUIRE_POSTGRES=1.
 */

const CANDIDATES = process.env.SIGNET_TEST_POSTGRES_URL
  ? [process.env.SIGNET_TEST_POSTGRES_URL]
  : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];

async function findPostgres(): Promise<{ url: string } | { reason: string }> {
  const reasons: string[] = [];
  for (const url of CANDIDATES) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return { url };
    } catch (error) {
      reasons.push(`${url.replace(/\/\/[^@]*@/, '//')}: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return { reason: reasons.join('; ') };
}

const found = await findPostgres();
const required = process.env.SIGNET_REQUIRE_POSTGRES === '1';
/** Why PostgreSQL scenarios cannot run here, or null when they can. */
export const postgresUnavailable: string | null = 'url' in found ? null : found.reason;
if (postgresUnavailable && required) {
  throw new Error(`SIGNET_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable: ${postgresUnavailable}`);
}
if (postgresUnavailable) {
  console.warn(
    `PostgreSQL reliability scenarios skipped: no PostgreSQL at 127.0.0.1:5432 (${postgresUnavailable})`,
  );
}

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
    if (!('url' in found)) throw new Error(`PostgreSQL unavailable: ${found.reason}`);
    const adminUrl = found.url;
    const name = `signet_rel_${randomBytes(6).toString('hex')}`;
    const control = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    };
    await control((c) => c.query(`create database ${name}`));
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async unavailableFor(ms) {
        await control(async (c) => {
          await c.query(`alter database ${name} allow_connections false`);
          await c.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [name],
          );
          try {
            await new Promise((resolve) => setTimeout(resolve, ms));
          } finally {
            await c.query(`alter database ${name} allow_connections true`);
          }
        });
      },
      async drop() {
        await control((c) => c.query(`drop database if exists ${name} with (force)`));
      },
    };
  },
};

export const BACKENDS: Backend[] = [sqlite, postgres];

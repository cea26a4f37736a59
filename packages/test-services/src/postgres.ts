import { randomBytes } from 'node:crypto';
import pg from 'pg';

/*
 * The machine's PostgreSQL for tests (127.0.0.1:5432, trust auth). Each caller gets a database
 * of its own, dropped afterwards. Absent PostgreSQL skips these tests with a printed reason,
 * except under SIGNET_REQUIRE_POSTGRES=1 (CI), where it is a failure.
 */

const CANDIDATES = process.env.SIGNET_TEST_POSTGRES_URL
  ? [process.env.SIGNET_TEST_POSTGRES_URL]
  : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];

async function findAdminUrl(): Promise<{ url: string } | { reason: string }> {
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

const found = await findAdminUrl();
const POSTGRES_REQUIRED = process.env.SIGNET_REQUIRE_POSTGRES === '1';
/** Why PostgreSQL tests cannot run here, or null when they can. */
export const postgresUnavailable: string | null = 'url' in found ? null : found.reason;
if (postgresUnavailable && !POSTGRES_REQUIRED) {
  console.warn(`PostgreSQL tests skipped: no PostgreSQL at 127.0.0.1:5432 (${postgresUnavailable})`);
}
if (postgresUnavailable && POSTGRES_REQUIRED) {
  throw new Error(`SIGNET_REQUIRE_POSTGRES=1 but PostgreSQL is unavailable: ${postgresUnavailable}`);
}

export interface TestDatabase {
  /** `postgres://…/<name>`: what a server or store connects to. */
  url: string;
  name: string;
  /** Runs `work` on a connection to the machine's admin database, which survives `name`'s outages. */
  control<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

/** A fresh, empty database; `drop` removes it (terminating leftover connections first). */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (!('url' in found)) throw new Error(`PostgreSQL unavailable: ${found.reason}`);
  const adminUrl = found.url;
  const name = `signet_test_${randomBytes(6).toString('hex')}`;
  const control = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  await control((c) => c.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    control,
    drop: () => control((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { EventQuery } from '../src/store/data-reader.ts';
import { eventPageQuery } from '../src/store/kysely/kysely-data-reader.ts';
import { openPostgresStore } from '../src/store/postgres/postgres-store.ts';
import type { Database as Schema } from '../src/store/schema.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';

/*
 * Every filter of the events API reads along its own index (migration 003), in either order and
 * at any cursor depth (on SQLite with no sort step; PostgreSQL may sort the few rows a bitmap
 * scan of a selective filter found, its cheaper plan): the plan of the reader's own query, on 60,000 rows of
 * two apps, 500 users and 20 names. docs/scaling.md has the same plans on 1,000,000 rows.
 */

/** SIGNET_PLAN_ROWS=1000000 gives the plans docs/scaling.md quotes, printed. */
const ROWS = Number(process.env.SIGNET_PLAN_ROWS ?? 60_000);
const PRINT = process.env.SIGNET_PLAN_ROWS !== undefined;
const TIMEOUT_MS = Math.max(30_000, ROWS / 5);
const T0 = 1_790_000_000_000;
const deep = { receivedAt: T0 + 400_000, seq: 40_000 };

/** Each query and the index its plan must use. */
const CASES: [Omit<EventQuery, 'limit'>, string][] = [
  [{}, 'events_app_received'],
  [{ userId: 'u7' }, 'events_app_user_received'],
  [{ name: 'n3' }, 'events_app_name_received'],
  [{ verified: false }, 'events_app_verified_received'],
  [{ from: T0 + 1_000, to: T0 + 90_000 }, 'events_app_received'],
  [{ userId: 'u7', after: deep }, 'events_app_user_received'],
  [{ name: 'n3', order: 'oldest', after: deep }, 'events_app_name_received'],
  [{ order: 'oldest', after: deep, to: T0 + 500_000 }, 'events_app_received'],
];

describe('event query plans: sqlite', () => {
  it(
    'uses the filter’s index for every query, without a sort',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'signet-plans-'));
      try {
        const filename = join(dir, 'signet.db');
        const store = openSqliteStore({ filename });
        await store.migrate();
        await store.close();
        const connection = new Database(filename);
        const insert =
          connection.prepare(`insert into events (app_id, id, type, name, user_id, batch_id, sender,
        verified, received_at, body) values (?, ?, 'track', ?, ?, 'b', ?, ?, ?, '{}')`);
        connection.transaction(() => {
          for (let i = 0; i < ROWS; i++) {
            insert.run(
              i % 3 ? 'app_1' : 'app_2',
              `e${i}`,
              `n${i % 20}`,
              `u${i % 500}`,
              `verified:u${i % 500}`,
              i % 4 ? 1 : 0,
              T0 + i * 10,
            );
          }
        })();
        const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: connection }) });
        for (const [query, index] of CASES) {
          const compiled = eventPageQuery(db, 'app_1', { ...query, limit: 101 }).compile();
          const plan = connection
            .prepare(`explain query plan ${compiled.sql}`)
            .all(...(compiled.parameters as unknown[]))
            .map((row) => (row as { detail: string }).detail)
            .join('\n');
          if (PRINT) console.log(`sqlite ${JSON.stringify(query)}\n${plan}\n`);
          expect(plan, JSON.stringify(query)).toContain(`USING INDEX ${index} `);
          expect(plan, JSON.stringify(query)).not.toContain('TEMP B-TREE');
        }
        await db.destroy();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT_MS,
  );
});

describe.skipIf(postgresUnavailable !== null)('event query plans: postgres', () => {
  it(
    'uses the filter’s index for every query',
    async () => {
      const database = await createTestDatabase();
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      // The drop at the end ends a client still closing: that is the drop, not a failure.
      pool.on('error', () => {});
      const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
      const store = openPostgresStore({ url: database.url, poolSize: 1 });
      try {
        await store.migrate();
        await pool.query(`insert into events (app_id, id, type, name, user_id, batch_id, sender, verified, received_at, body)
        select case when i % 3 = 0 then 'app_2' else 'app_1' end, 'e' || i, 'track', 'n' || (i % 20), 'u' || (i % 500),
          'b', 'verified:u' || (i % 500), case when i % 4 = 0 then 0 else 1 end, ${T0} + i * 10, '{}'
        from generate_series(0, ${ROWS - 1}) i`);
        await pool.query('analyze events');
        for (const [query, index] of CASES) {
          const compiled = eventPageQuery(db, 'app_1', { ...query, limit: 101 }).compile();
          const { rows } = await pool.query(`explain ${compiled.sql}`, compiled.parameters as unknown[]);
          const plan = rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
          if (PRINT) console.log(`postgres ${JSON.stringify(query)}\n${plan}\n`);
          // A filter matching few rows may be read as a bitmap and sorted: still along its index.
          expect(plan, JSON.stringify(query)).toMatch(
            new RegExp(`(Index Scan (Backward )?using|Bitmap Index Scan on) ${index}( |$)`, 'm'),
          );
          expect(plan, JSON.stringify(query)).not.toContain('Seq Scan');
        }
      } finally {
        await store.close();
        await db.destroy();
        await database.drop();
      }
    },
    TIMEOUT_MS,
  );
});

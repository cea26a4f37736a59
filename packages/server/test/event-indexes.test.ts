import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresUnavailable } from '@signet/test-services';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { EventQuery } from '../src/store/data-reader.ts';
import { EVENT_SEQS_PER_BATCH } from '../src/store/event-row.ts';
import { eventPageQuery } from '../src/store/kysely/kysely-data-reader.ts';
import { openPostgresStore } from '../src/store/postgres/postgres-store.ts';
import type { Database as Schema } from '../src/store/schema.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';

/*
 * Every filter of the events API reads along its own index (migrations 003 and 006: user,
 * verified and time on batches, name on events), in either order and at any cursor depth (on
 * SQLite with no sort step; PostgreSQL may sort the few rows a bitmap scan of a selective filter
 * found, its cheaper plan): the plan of the reader's own query, on 1,000,000 events in batches of
 * 5 of two apps, 500 users and 20 names. docs/scaling.md has the same plans on 1,000,000 rows.
 */

/**
 * A million rows by default: PostgreSQL's choice of plan changes with the table's size (past
 * 250,000 rows a join it misjudged read every batch of the app instead of the user's index), so
 * the plans are checked where it matters; about 16 s. SIGNET_PLAN_ROWS=1000000 also prints them
 * (docs/scaling.md quotes them).
 */
const ROWS = Number(process.env.SIGNET_PLAN_ROWS ?? 1_000_000);
const PRINT = process.env.SIGNET_PLAN_ROWS !== undefined;
const TIMEOUT_MS = Math.max(30_000, ROWS / 5);
const T0 = 1_790_000_000_000;
/** Events per batch, each batch received 50 ms after the one before. */
const PER_BATCH = 5;
const BATCHES = ROWS / PER_BATCH;
const deep = { receivedAt: T0 + 400_000, seq: 8_000 * EVENT_SEQS_PER_BATCH + 2 };

/** Each query and the index its plan must use. */
const CASES: [Omit<EventQuery, 'limit'>, string][] = [
  [{}, 'batches_app_received'],
  [{ userId: 'u7' }, 'batches_app_user_received'],
  [{ name: 'n3' }, 'events_app_name_received'],
  [{ verified: false }, 'batches_app_verified_received'],
  [{ from: T0 + 1_000, to: T0 + 90_000 }, 'batches_app_received'],
  [{ userId: 'u7', after: deep }, 'batches_app_user_received'],
  [{ name: 'n3', order: 'oldest', after: deep }, 'events_app_name_received'],
  [{ order: 'oldest', after: deep, to: T0 + 500_000 }, 'batches_app_received'],
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
        const insertBatch = connection.prepare(`insert into batches (seq, app_id, batch_id, user_id, sender,
        verified, received_at, events) values (?, ?, 'b', ?, ?, ?, ?, ${PER_BATCH})`);
        const insertEvent = connection.prepare(`insert into events (seq, app_id, id, type, name, sender,
        received_at, body) values (?, ?, ?, 'track', ?, ?, ?, '{}')`);
        connection.transaction(() => {
          for (let j = 1; j <= BATCHES; j++) {
            const app = j % 3 ? 'app_1' : 'app_2';
            const sender = `verified:u${j % 500}`;
            insertBatch.run(j, app, `u${j % 500}`, sender, j % 4 ? 1 : 0, T0 + j * 50);
            for (let k = 0; k < PER_BATCH; k++) {
              const i = j * PER_BATCH + k;
              insertEvent.run(j * EVENT_SEQS_PER_BATCH + k, app, `e${i}`, `n${i % 20}`, sender, T0 + j * 50);
            }
          }
        })();
        const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: connection }) });
        for (const [query, index] of CASES) {
          const compiled = eventPageQuery(db, 'sqlite', 'app_1', { ...query, limit: 101 }).compile();
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
        await pool.query(`insert into batches (seq, app_id, batch_id, user_id, sender, verified, received_at, events)
        select j, case when j % 3 = 0 then 'app_2' else 'app_1' end, 'b', 'u' || (j % 500), 'verified:u' || (j % 500),
          case when j % 4 = 0 then 0 else 1 end, ${T0} + j * 50, ${PER_BATCH}
        from generate_series(1, ${BATCHES}) j`);
        await pool.query(`insert into events (seq, app_id, id, type, name, sender, received_at, body)
        select b.seq * ${EVENT_SEQS_PER_BATCH} + k, b.app_id, 'e' || (b.seq * ${PER_BATCH} + k), 'track', 'n' || ((b.seq * ${PER_BATCH} + k) % 20),
          b.sender, b.received_at, '{}'
        from batches b, generate_series(0, ${PER_BATCH - 1}) k`);
        await pool.query('analyze batches');
        await pool.query('analyze events');
        for (const [query, index] of CASES) {
          const compiled = eventPageQuery(db, 'postgres', 'app_1', { ...query, limit: 101 }).compile();
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

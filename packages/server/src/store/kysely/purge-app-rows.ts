import type { Kysely } from 'kysely';
import type { PurgedRows } from '../registry-store.ts';
import type { Database } from '../schema.ts';

/** Rows deleted per statement: a few milliseconds of work each. */
export const PURGE_CHUNK = 2_000;
/**
 * Deletes every row a deleted app left (events, batches, profiles, aliases, auth failures and
 * outcome counts), the big tables in chunks of PURGE_CHUNK rows, each chunk its own statement
 * (followed by a pause where the backend needs one), so a purge of millions of events never keeps
 * ingestion waiting. Each chunk starts where the last one ended along an index (keyset):
 * starting from the app's first row each time would make PostgreSQL step over every row already
 * deleted and not yet vacuumed, again and again (measured: 300,000 events took 21 s that way,
 * quadratic). Safe to repeat.
 */
export async function purgeAppRows(
  db: Kysely<Database>,
  appId: string,
  pauses: boolean,
): Promise<PurgedRows> {
  /**
   * With `pauses`, after each chunk the purge waits as long as the chunk took, so it holds the
   * database at most half the time. On SQLite this is what lets ingestion in: the batch writer's
   * connection waits for the lock by polling (busy_timeout), and without a pause the purge's next
   * statement would always take the lock first (measured: one batch held 1.5 s by a
   * 300,000-event purge; with the pauses, 54 ms at most).
   */
  const pauseAfter = async (startedAt: number) => {
    if (!pauses) return;
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, performance.now() - startedAt)));
  };
  const purged: PurgedRows = { events: 0, profiles: 0, aliases: 0, failures: 0, outcomes: 0 };

  // Events along their key (app_id, sender, id), then deleted by primary key: with a subquery
  // instead of the list, PostgreSQL may plan a hash join over the whole events table per chunk.
  let afterEvent: { sender: string; id: string } | null = null;
  for (;;) {
    const startedAt = performance.now();
    const from: { sender: string; id: string } | null = afterEvent;
    const rows: { seq: number; sender: string; id: string }[] = await db
      .selectFrom('events')
      .select(['seq', 'sender', 'id'])
      .where('app_id', '=', appId)
      .$if(from !== null, (q) =>
        q.where((w) => w(w.refTuple('sender', 'id'), '>', w.tuple(from?.sender ?? '', from?.id ?? ''))),
      )
      .orderBy('sender')
      .orderBy('id')
      .limit(PURGE_CHUNK)
      .execute();
    const last = rows.at(-1);
    if (!last) break;
    const deleted = await db
      .deleteFrom('events')
      .where(
        'seq',
        'in',
        rows.map((r) => r.seq),
      )
      .executeTakeFirst();
    purged.events += Number(deleted.numDeletedRows);
    afterEvent = { sender: last.sender, id: last.id };
    if (rows.length < PURGE_CHUNK) break;
    await pauseAfter(startedAt);
  }

  // Batches along (app_id, received_at, seq), the same way.
  let afterBatch = { receivedAt: -1, seq: -1 };
  for (;;) {
    const startedAt = performance.now();
    const from = afterBatch;
    const rows = await db
      .selectFrom('batches')
      .select(['seq', 'received_at'])
      .where('app_id', '=', appId)
      .where((w) => w(w.refTuple('received_at', 'seq'), '>', w.tuple(from.receivedAt, from.seq)))
      .orderBy('received_at')
      .orderBy('seq')
      .limit(PURGE_CHUNK)
      .execute();
    const last = rows.at(-1);
    if (!last) break;
    await db
      .deleteFrom('batches')
      .where(
        'seq',
        'in',
        rows.map((r) => r.seq),
      )
      .execute();
    afterBatch = { receivedAt: Number(last.received_at), seq: Number(last.seq) };
    if (rows.length < PURGE_CHUNK) break;
    await pauseAfter(startedAt);
  }

  // Profiles along their key (app_id, user_id); aliases along (app_id, anonymous_id, …).
  let user: string | null = null;
  for (;;) {
    const startedAt = performance.now();
    const from: string | null = user;
    const rows: { user_id: string }[] = await db
      .selectFrom('users')
      .select('user_id')
      .where('app_id', '=', appId)
      .$if(from !== null, (q) => q.where('user_id', '>', from ?? ''))
      .orderBy('user_id')
      .limit(PURGE_CHUNK)
      .execute();
    if (rows.length === 0) break;
    const ids: string[] = rows.map((r) => r.user_id);
    const deleted = await db
      .deleteFrom('users')
      .where('app_id', '=', appId)
      .where('user_id', 'in', ids)
      .executeTakeFirst();
    purged.profiles += Number(deleted.numDeletedRows);
    user = ids[ids.length - 1] ?? null;
    if (rows.length < PURGE_CHUNK) break;
    await pauseAfter(startedAt);
  }
  let anonymous: string | null = null;
  for (;;) {
    const startedAt = performance.now();
    const from: string | null = anonymous;
    const rows: { anonymous_id: string }[] = await db
      .selectFrom('aliases')
      .select('anonymous_id')
      .distinct()
      .where('app_id', '=', appId)
      .$if(from !== null, (q) => q.where('anonymous_id', '>', from ?? ''))
      .orderBy('anonymous_id')
      .limit(PURGE_CHUNK)
      .execute();
    if (rows.length === 0) break;
    const ids: string[] = rows.map((r) => r.anonymous_id);
    const deleted = await db
      .deleteFrom('aliases')
      .where('app_id', '=', appId)
      .where('anonymous_id', 'in', ids)
      .executeTakeFirst();
    purged.aliases += Number(deleted.numDeletedRows);
    anonymous = ids[ids.length - 1] ?? null;
    if (rows.length < PURGE_CHUNK) break;
    await pauseAfter(startedAt);
  }

  // At most maxFailuresKept rows, and a few outcome counts per hour: one statement each.
  const failures = await db.deleteFrom('auth_failures').where('app_id', '=', appId).executeTakeFirst();
  purged.failures = Number(failures.numDeletedRows);
  const outcomes = await db.deleteFrom('auth_outcomes').where('app_id', '=', appId).executeTakeFirst();
  purged.outcomes = Number(outcomes.numDeletedRows);
  return purged;
}

import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import { EVENT_SEQS_PER_BATCH } from '../event-row.ts';
import type { Database } from '../schema.ts';

/**
 * Batches (`b`) joined to their events (`e`): each batch's events are one range of the events'
 * key, [seq × EVENT_SEQS_PER_BATCH, (seq + 1) × EVENT_SEQS_PER_BATCH), read by the primary key.
 *
 * PostgreSQL cannot know how few rows such a range holds: it guesses 0.5 % of the table per
 * batch, and on a large table then prefers reading every batch of the app over the filter's own
 * index. So there the range is a LATERAL subquery under a LIMIT of the range's size, which never
 * cuts (a batch has at most LIMITS.maxEventsPerBatch events) but bounds the guess. SQLite, which
 * has no LATERAL, plans the plain join along the index. docs/scaling.md shows both plans.
 *
 * @example
 * const page = batchesWithEvents(db, 'sqlite').select(['e.seq', 'e.body', 'b.user_id']).where('b.app_id', '=', 'app_1');
 */
export function batchesWithEvents(db: Kysely<Database>, dialect: DialectName) {
  const plain = db
    .selectFrom('batches as b')
    .innerJoin('events as e', (join) =>
      join
        .on('e.seq', '>=', sql<number>`b.seq * ${sql.lit(EVENT_SEQS_PER_BATCH)}`)
        .on('e.seq', '<', sql<number>`(b.seq + 1) * ${sql.lit(EVENT_SEQS_PER_BATCH)}`),
    );
  if (dialect !== 'postgres') return plain;
  const lateral = db.selectFrom('batches as b').innerJoinLateral(
    (eb) =>
      eb
        .selectFrom('events')
        .selectAll()
        .where('events.seq', '>=', sql<number>`b.seq * ${sql.lit(EVENT_SEQS_PER_BATCH)}`)
        .where('events.seq', '<', sql<number>`(b.seq + 1) * ${sql.lit(EVENT_SEQS_PER_BATCH)}`)
        .limit(EVENT_SEQS_PER_BATCH)
        .as('e'),
    (join) => join.onTrue(),
  );
  // The same tables and columns under the same names: only the join's form differs.
  return lateral as unknown as typeof plain;
}

import { type Kysely, sql } from 'kysely';
import type { EventPosition } from '../data-reader.ts';
import type { DialectName } from '../dialect-name.ts';
import type { EventRetention } from '../event-retention.ts';
import { EVENT_SEQS_PER_BATCH } from '../event-row.ts';
import type { Database } from '../schema.ts';
import { batchesWithEvents } from './batch-events.ts';

/**
 * One bounded delete per call, the same statements on both backends: the oldest events are
 * picked as the events page reads them oldest first (batches along (app_id, received_at, seq),
 * each batch's events as a range of their key), then deleted by their key as a list (a subquery
 * there lets PostgreSQL plan a hash join over the whole events table), and the newest position
 * returned so the next chunk starts after it. Then the batches the chunk emptied go, in the same
 * transaction.
 *
 * @example
 * const retention = kyselyEventRetention(db, 'sqlite');
 * const { deleted, last } = await retention.deleteEventsBefore('app_1', cutoff, 5_000);
 */
export function kyselyEventRetention(db: Kysely<Database>, dialect: DialectName): EventRetention {
  return {
    deleteEventsBefore(appId, before, limit, after) {
      return db.transaction().execute(async (trx) => {
        let picked = batchesWithEvents(trx, dialect)
          .select(['e.seq', 'b.received_at'])
          .where('b.app_id', '=', appId)
          .where('b.received_at', '<', before);
        if (after) {
          const batch = Math.floor(after.seq / EVENT_SEQS_PER_BATCH);
          picked = picked
            .where((e) => e(e.refTuple('b.received_at', 'b.seq'), '>=', e.tuple(after.receivedAt, batch)))
            .where((e) => e(e.refTuple('b.received_at', 'e.seq'), '>', e.tuple(after.receivedAt, after.seq)));
        }
        const rows = await picked
          .orderBy('b.received_at')
          .orderBy('b.seq')
          .orderBy('e.seq')
          .limit(limit)
          .execute();
        const newest = rows.at(-1);
        if (!newest) return { deleted: 0, last: null };
        const deleted = await trx
          .deleteFrom('events')
          .where(
            'seq',
            'in',
            rows.map((r) => r.seq),
          )
          .executeTakeFirst();
        const last = { receivedAt: Number(newest.received_at), seq: Number(newest.seq) };
        await deleteEmptiedBatches(trx, appId, before, after ?? null, last);
        return { deleted: Number(deleted.numDeletedRows), last };
      });
    },
  };
}

/** The app's batches from `after` to `last` (the chunk's range) that no longer have an event. */
async function deleteEmptiedBatches(
  db: Kysely<Database>,
  appId: string,
  before: number,
  after: EventPosition | null,
  last: EventPosition,
): Promise<void> {
  const perBatch = sql.lit(EVENT_SEQS_PER_BATCH);
  let q = db
    .deleteFrom('batches as b')
    .where('b.app_id', '=', appId)
    .where('b.received_at', '<', before)
    .where((e) =>
      e(
        e.refTuple('b.received_at', 'b.seq'),
        '<=',
        e.tuple(last.receivedAt, Math.floor(last.seq / EVENT_SEQS_PER_BATCH)),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('events as e')
            .select('e.seq')
            .where('e.seq', '>=', sql<number>`b.seq * ${perBatch}`)
            .where('e.seq', '<', sql<number>`(b.seq + 1) * ${perBatch}`),
        ),
      ),
    );
  if (after) {
    const batch = Math.floor(after.seq / EVENT_SEQS_PER_BATCH);
    q = q.where((e) => e(e.refTuple('b.received_at', 'b.seq'), '>=', e.tuple(after.receivedAt, batch)));
  }
  await q.execute();
}

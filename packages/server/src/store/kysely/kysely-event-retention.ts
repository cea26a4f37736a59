import type { Kysely } from 'kysely';
import type { EventRetention } from '../event-retention.ts';
import type { Database } from '../schema.ts';

/**
 * One bounded delete per call, the same statement on both backends: the rows are picked by
 * (app_id, received_at, seq) under a LIMIT in a subquery (neither backend has DELETE … LIMIT in
 * common), deleted by their primary key, and their positions returned so the next chunk starts
 * after the newest of them.
 *
 * @example
 * const retention = kyselyEventRetention(db);
 * const { deleted, last } = await retention.deleteEventsBefore('app_1', cutoff, 5_000);
 */
export function kyselyEventRetention(db: Kysely<Database>): EventRetention {
  return {
    async deleteEventsBefore(appId, before, limit, after) {
      const rows = await db
        .deleteFrom('events')
        .where('seq', 'in', (eb) => {
          let picked = eb
            .selectFrom('events')
            .select('seq')
            .where('app_id', '=', appId)
            .where('received_at', '<', before);
          if (after) {
            picked = picked.where((e) =>
              e(e.refTuple('received_at', 'seq'), '>', e.tuple(after.receivedAt, after.seq)),
            );
          }
          return picked.orderBy('received_at').orderBy('seq').limit(limit);
        })
        .returning(['received_at', 'seq'])
        .execute();
      let last: { receivedAt: number; seq: number } | null = null;
      for (const row of rows) {
        const position = { receivedAt: Number(row.received_at), seq: Number(row.seq) };
        if (
          !last ||
          position.receivedAt > last.receivedAt ||
          (position.receivedAt === last.receivedAt && position.seq > last.seq)
        ) {
          last = position;
        }
      }
      return { deleted: rows.length, last };
    },
  };
}

import type { Kysely } from 'kysely';
import type { EventRetention } from '../event-retention.ts';
import type { Database } from '../schema.ts';

/**
 * One bounded delete per call, the same statement on both backends: the rows are picked by
 * (app_id, received_at) under a LIMIT in a subquery (neither backend has DELETE … LIMIT in
 * common), then deleted by their primary key.
 *
 * @example
 * const retention = kyselyEventRetention(db);
 * await retention.deleteEventsBefore('app_1', cutoff, 5_000);
 */
export function kyselyEventRetention(db: Kysely<Database>): EventRetention {
  return {
    async deleteEventsBefore(appId, before, limit) {
      const result = await db
        .deleteFrom('events')
        .where('seq', 'in', (eb) =>
          eb
            .selectFrom('events')
            .select('seq')
            .where('app_id', '=', appId)
            .where('received_at', '<', before)
            .orderBy('received_at')
            .orderBy('seq')
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

import type { JsonValue } from '@signet/protocol';
import type { Kysely } from 'kysely';
import type { DataReader, EventQuery } from '../data-reader.ts';
import type { Database } from '../schema.ts';

/**
 * Stored events and profiles, read the same way on every backend.
 *
 * @example
 * const reader = kyselyDataReader(db);
 * await reader.getUser('app_1', 'alice');
 */
export function kyselyDataReader(db: Kysely<Database>): DataReader {
  return {
    async listEvents(appId, query) {
      const rows = await eventPageQuery(db, appId, query).execute();
      return rows.map((r) => ({
        seq: Number(r.seq),
        body: r.body,
        userId: r.user_id,
        anonymousId: r.anonymous_id,
        receivedAt: Number(r.received_at),
        verified: r.verified === null ? null : r.verified === 1,
        kid: r.kid,
      }));
    },

    async getUser(appId, userId) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!row) return null;
      return {
        userId: row.user_id,
        attributes: JSON.parse(row.attributes) as Record<string, JsonValue>,
        unverifiedAttributes: JSON.parse(row.unverified_attributes) as Record<string, JsonValue>,
        firstSeen: Number(row.first_seen),
        lastSeen: Number(row.last_seen),
      };
    },
  };
}

/**
 * One page of an app's events in (received_at, seq) order. Each filter is an equality or a
 * range on a column of one of migration 003's indexes, so the page is one index range scan.
 *
 * @example
 * const { sql, parameters } = eventPageQuery(db, 'app_1', { userId: 'alice', limit: 100 }).compile();
 */
export function eventPageQuery(db: Kysely<Database>, appId: string, query: EventQuery) {
  const newest = (query.order ?? 'newest') === 'newest';
  const direction = newest ? 'desc' : 'asc';
  let q = db
    .selectFrom('events')
    .select(['seq', 'body', 'user_id', 'anonymous_id', 'received_at', 'verified', 'kid'])
    .where('app_id', '=', appId);
  if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
  if (query.name !== undefined) q = q.where('name', '=', query.name);
  if (query.verified !== undefined) q = q.where('verified', '=', query.verified ? 1 : 0);
  if (query.from !== undefined) q = q.where('received_at', '>=', query.from);
  if (query.to !== undefined) q = q.where('received_at', '<', query.to);
  const after = query.after;
  if (after) {
    // A row-value comparison: both backends read it as one range on the index's tail.
    q = q.where((eb) =>
      eb(eb.refTuple('received_at', 'seq'), newest ? '<' : '>', eb.tuple(after.receivedAt, after.seq)),
    );
  }
  return q.orderBy('received_at', direction).orderBy('seq', direction).limit(query.limit);
}

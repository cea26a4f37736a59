import type { JsonValue } from '@signet/protocol';
import type { Kysely } from 'kysely';
import type { DataReader } from '../data-reader.ts';
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
      let q = db
        .selectFrom('events')
        .select(['body', 'user_id', 'anonymous_id', 'received_at', 'verified'])
        .where('app_id', '=', appId);
      if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
      const rows = await q.orderBy('seq', 'desc').limit(query.limit).execute();
      return rows.map((r) => ({
        body: r.body,
        userId: r.user_id,
        anonymousId: r.anonymous_id,
        receivedAt: Number(r.received_at),
        verified: r.verified === null ? null : r.verified === 1,
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

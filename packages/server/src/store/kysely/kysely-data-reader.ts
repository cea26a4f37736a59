import type { JsonValue } from '@signet/protocol';
import { type Kysely, sql } from 'kysely';
import type { DataReader, EventQuery } from '../data-reader.ts';
import type { DialectName } from '../dialect-name.ts';
import { EVENT_SEQS_PER_BATCH } from '../event-row.ts';
import type { Database } from '../schema.ts';
import { batchesWithEvents } from './batch-events.ts';

/**
 * Stored events and profiles, read the same way on every backend.
 *
 * @example
 * const reader = kyselyDataReader(db, 'sqlite');
 * await reader.getUser('app_1', 'alice');
 */
export function kyselyDataReader(db: Kysely<Database>, dialect: DialectName): DataReader {
  return {
    async listEvents(appId, query) {
      const rows = await eventPageQuery(db, dialect, appId, query).execute();
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
 * One page of an app's events in (received_at, seq) order, along one index range. With a name
 * filter the page walks events along (app_id, name, received_at, seq) and looks each batch up
 * by its key; otherwise it walks the batches along the index of its filter (migration 006) and
 * each batch's events as one range of their key (its seq × EVENT_SEQS_PER_BATCH onwards), which
 * is the same order: an event's seq begins with its batch's.
 *
 * @example
 * const { sql, parameters } = eventPageQuery(db, 'postgres', 'app_1', { userId: 'alice', limit: 100 }).compile();
 */
export function eventPageQuery(db: Kysely<Database>, dialect: DialectName, appId: string, query: EventQuery) {
  return query.name === undefined
    ? pageAlongBatches(db, dialect, appId, query)
    : pageAlongNames(db, appId, query, query.name);
}

const COLUMNS = [
  'e.seq',
  'e.body',
  'b.user_id',
  'b.anonymous_id',
  'e.received_at',
  'b.verified',
  'b.kid',
] as const;

function pageAlongNames(db: Kysely<Database>, appId: string, query: EventQuery, name: string) {
  const newest = (query.order ?? 'newest') === 'newest';
  const direction = newest ? 'desc' : 'asc';
  let q = db
    .selectFrom('events as e')
    .innerJoin('batches as b', (join) =>
      join.on('b.seq', '=', sql<number>`e.seq / ${sql.lit(EVENT_SEQS_PER_BATCH)}`),
    )
    .select(COLUMNS)
    .where('e.app_id', '=', appId)
    .where('e.name', '=', name);
  if (query.userId !== undefined) q = q.where('b.user_id', '=', query.userId);
  if (query.verified !== undefined) q = q.where('b.verified', '=', query.verified ? 1 : 0);
  if (query.from !== undefined) q = q.where('e.received_at', '>=', query.from);
  if (query.to !== undefined) q = q.where('e.received_at', '<', query.to);
  const after = query.after;
  if (after) {
    // A row-value comparison: both backends read it as one range on the index's tail.
    q = q.where((eb) =>
      eb(eb.refTuple('e.received_at', 'e.seq'), newest ? '<' : '>', eb.tuple(after.receivedAt, after.seq)),
    );
  }
  return q.orderBy('e.received_at', direction).orderBy('e.seq', direction).limit(query.limit);
}

function pageAlongBatches(db: Kysely<Database>, dialect: DialectName, appId: string, query: EventQuery) {
  const newest = (query.order ?? 'newest') === 'newest';
  const direction = newest ? 'desc' : 'asc';
  let q = batchesWithEvents(db, dialect).select(COLUMNS).where('b.app_id', '=', appId);
  if (query.userId !== undefined) q = q.where('b.user_id', '=', query.userId);
  if (query.verified !== undefined) q = q.where('b.verified', '=', query.verified ? 1 : 0);
  if (query.from !== undefined) q = q.where('b.received_at', '>=', query.from);
  if (query.to !== undefined) q = q.where('b.received_at', '<', query.to);
  const after = query.after;
  if (after) {
    // The batch holding the cursor's event, or one past it, bounds the index range; the events
    // of that batch past the cursor are kept by the second comparison.
    const batch = Math.floor(after.seq / EVENT_SEQS_PER_BATCH);
    q = q
      .where((eb) =>
        eb(eb.refTuple('b.received_at', 'b.seq'), newest ? '<=' : '>=', eb.tuple(after.receivedAt, batch)),
      )
      .where((eb) =>
        eb(eb.refTuple('b.received_at', 'e.seq'), newest ? '<' : '>', eb.tuple(after.receivedAt, after.seq)),
      );
  }
  return q
    .orderBy('b.received_at', direction)
    .orderBy('b.seq', direction)
    .orderBy('e.seq', direction)
    .limit(query.limit);
}

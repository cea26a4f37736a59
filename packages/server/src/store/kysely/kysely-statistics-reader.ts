import type { AuthOutcome } from '@signet/protocol';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema.ts';
import type { StatisticsReader } from '../statistics-reader.ts';

const MINUTE_MS = 60_000;

/**
 * The dashboard's figures, summed the same way on every backend.
 *
 * @example
 * const statistics = kyselyStatisticsReader(db);
 * await statistics.activity(sinceHour);
 */
export function kyselyStatisticsReader(db: Kysely<Database>): StatisticsReader {
  return {
    async authStats(appId, sinceHour) {
      const rows = await db
        .selectFrom('auth_outcomes')
        .selectAll()
        .where('app_id', '=', appId)
        .where('hour', '>=', sinceHour)
        .orderBy('hour')
        .orderBy('outcome')
        .orderBy('code')
        .orderBy('reason')
        .execute();
      return rows.map((r) => ({
        hour: Number(r.hour),
        outcome: r.outcome as AuthOutcome,
        code: r.code === '' ? null : r.code,
        reason: r.reason === '' ? null : r.reason,
        batches: Number(r.batches),
        events: Number(r.events),
      }));
    },

    async authFailures(appId, limit, code) {
      let q = db.selectFrom('auth_failures').selectAll().where('app_id', '=', appId);
      if (code !== undefined) q = q.where('code', '=', code);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        at: Number(r.at),
        mode: r.mode,
        code: r.code,
        reason: r.reason,
        kid: r.kid,
        subject: r.subject,
        userId: r.user_id,
        sdkName: r.sdk_name,
        sdkVersion: r.sdk_version,
      }));
    },

    async activity(sinceHour) {
      const rows = await db
        .selectFrom('auth_outcomes')
        .select((eb) => [
          'app_id',
          'outcome',
          eb.fn.sum<number | string>('batches').as('batches'),
          eb.fn.sum<number | string>('events').as('events'),
        ])
        .where('hour', '>=', sinceHour)
        .groupBy(['app_id', 'outcome'])
        .orderBy('app_id')
        .orderBy('outcome')
        .execute();
      return rows.map((r) => ({
        appId: r.app_id,
        outcome: r.outcome as AuthOutcome,
        batches: Number(r.batches),
        events: Number(r.events),
      }));
    },

    async eventsPerMinute(appId, since) {
      // Integer division on both backends; a literal divisor, so PostgreSQL sees the same
      // expression in SELECT and GROUP BY.
      const minute = sql<number | string>`received_at / ${sql.lit(MINUTE_MS)}`;
      const rows = await db
        .selectFrom('batches')
        .select((eb) => [minute.as('minute'), eb.fn.sum<number | string>('events').as('events')])
        .where('app_id', '=', appId)
        .where('received_at', '>=', since)
        .groupBy(minute)
        .orderBy(minute)
        .execute();
      return rows.map((r) => ({ minute: Number(r.minute) * MINUTE_MS, events: Number(r.events) }));
    },

    async sdkVersions(appId, since) {
      const rows = await db
        .selectFrom('batches')
        .select((eb) => [
          'sdk_name',
          'sdk_version',
          eb.fn.sum<number | string>('events').as('events'),
          eb.fn.max('received_at').as('last_seen'),
        ])
        .where('app_id', '=', appId)
        .where('received_at', '>=', since)
        .groupBy(['sdk_name', 'sdk_version'])
        .execute();
      return rows
        .map((r) => ({
          name: r.sdk_name,
          version: r.sdk_version,
          events: Number(r.events),
          lastSeen: Number(r.last_seen),
        }))
        .sort((a, b) => b.events - a.events || b.lastSeen - a.lastSeen);
    },
  };
}

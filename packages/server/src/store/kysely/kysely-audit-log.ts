import type { AuditAction, JsonObject } from '@signet/protocol';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit-log.ts';
import type { Database } from '../schema.ts';

const toJson = (value: JsonObject | null) => (value === null ? null : JSON.stringify(value));
const fromJson = (text: string | null) => (text === null ? null : (JSON.parse(text) as JsonObject));

/**
 * The audit log, written and read the same way on every backend.
 *
 * @example
 * const log = kyselyAuditLog(db);
 * await log.listAudit({ appId: 'app_1', limit: 50 });
 */
export function kyselyAuditLog(db: Kysely<Database>): AuditLog {
  return {
    async appendAudit(entry, keepNewest) {
      await db
        .insertInto('admin_audit')
        .values({
          at: entry.at,
          action: entry.action,
          app_id: entry.appId,
          actor: entry.actor,
          client_ip: entry.clientIp,
          before: toJson(entry.before),
          after: toJson(entry.after),
          details: toJson(entry.details),
        })
        .execute();
      if (keepNewest === undefined) return;
      // One statement: everything of this action older than its newest `keepNewest` entries (the
      // subquery is null, so nothing goes, while there are fewer).
      await db
        .deleteFrom('admin_audit')
        .where('action', '=', entry.action)
        .where('id', '<', (eb) =>
          eb
            .selectFrom('admin_audit')
            .select('id')
            .where('action', '=', entry.action)
            .orderBy('id', 'desc')
            .limit(1)
            .offset(keepNewest - 1),
        )
        .execute();
    },

    async listAudit(query) {
      let q = db.selectFrom('admin_audit').selectAll();
      if (query.appId !== undefined) q = q.where('app_id', '=', query.appId);
      if (query.beforeId !== undefined) q = q.where('id', '<', query.beforeId);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
      return rows.map((r) => ({
        id: Number(r.id),
        at: Number(r.at),
        action: r.action as AuditAction,
        appId: r.app_id,
        actor: r.actor,
        clientIp: r.client_ip,
        before: fromJson(r.before),
        after: fromJson(r.after),
        details: fromJson(r.details),
      }));
    },
  };
}

import { type AuditEntry, LIMITS } from '@signet/protocol';
import type { FastifyInstance } from 'fastify';
import type { AuditRow } from '../../store/audit-log.ts';
import { decodeAuditCursor, encodeAuditCursor } from '../audit-cursor.ts';
import { type AdminDeps, appIdParams } from './shared.ts';

interface AuditQuerystring {
  appId?: string;
  limit: number;
  cursor?: string;
}

/** `GET /admin/v1/audit` (SPEC §5): admin changes and logins, newest first, a page at a time. */
export async function adminAuditRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.get<{ Querystring: AuditQuerystring }>(
    '/audit',
    {
      schema: {
        summary: 'The audit log, newest first: every admin change and login, with who, when and from where',
        description:
          "appId keeps one app's entries (also of a deleted app); nextCursor continues the walk, null at the end.",
        tags: ['audit'],
        querystring: {
          type: 'object',
          properties: {
            appId: appIdParams.properties.appId,
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: LIMITS.maxAuditPageSize,
              default: LIMITS.defaultAuditPageSize,
            },
            cursor: { type: 'string', minLength: 1, maxLength: 64 },
          },
        },
      },
    },
    async (request) => {
      const { appId, limit, cursor } = request.query;
      const beforeId = cursor === undefined ? undefined : decodeAuditCursor(cursor);
      // One more than the page tells whether another page follows.
      const rows = await deps.store.listAudit({ appId, limit: limit + 1, beforeId });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        entries: page.map(auditToWire),
        nextCursor: rows.length > limit && last ? encodeAuditCursor(last.id) : null,
      };
    },
  );
}

function auditToWire(row: AuditRow): AuditEntry {
  return {
    id: String(row.id),
    at: new Date(row.at).toISOString(),
    action: row.action,
    appId: row.appId,
    actor: row.actor,
    clientIp: row.clientIp,
    before: row.before,
    after: row.after,
    details: row.details,
  };
}

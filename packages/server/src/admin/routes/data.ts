import { type AuthStatsRow, JWT_ERRORS, type JwtErrorCode, LIMITS } from '@signet/protocol';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.ts';
import { eventToWire, failureToWire, userToWire } from '../../wire.ts';
import { decodeCursor, encodeCursor } from '../event-cursor.ts';
import { exportStream } from '../event-export.ts';
import { type EventFilterQuerystring, eventFilterProperties, eventFilters } from '../event-filters.ts';
import { type AdminDeps, appIdParams, appUserParams, requireApp } from './shared.ts';

const HOUR_MS = 3_600_000;
const MAX_STATS_HOURS = 24 * 31;

const pageSize = {
  type: 'integer',
  minimum: 1,
  maximum: LIMITS.maxEventsPageSize,
  default: LIMITS.defaultEventsPageSize,
} as const;

/** What was stored and what was refused: events, profiles, auth outcomes and failures (SPEC §5). */
export async function adminDataRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.get<{
    Params: { appId: string };
    Querystring: EventFilterQuerystring & { limit: number; cursor?: string };
  }>(
    '/apps/:appId/events',
    {
      schema: {
        summary: 'Events newest first, filtered, one page at a time (follow nextCursor until null)',
        tags: ['data'],
        params: appIdParams,
        querystring: {
          type: 'object',
          properties: {
            ...eventFilterProperties,
            limit: pageSize,
            cursor: { type: 'string', minLength: 1, maxLength: 128 },
          },
        },
      },
    },
    async (request) => {
      const { appId } = request.params;
      const { limit, cursor } = request.query;
      const filters = eventFilters(request.query);
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      await requireApp(deps.store, appId);
      // One row more than asked tells whether another page exists, so the last page says null.
      const rows = await deps.store.listEvents(appId, {
        ...filters,
        limit: limit + 1,
        ...(after ? { after } : {}),
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        events: page.map(eventToWire),
        nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
      };
    },
  );

  app.get<{ Params: { appId: string }; Querystring: EventFilterQuerystring }>(
    '/apps/:appId/events/export',
    {
      schema: {
        summary: 'Every matching event as NDJSON, oldest first, streamed',
        tags: ['data'],
        params: appIdParams,
        querystring: { type: 'object', properties: eventFilterProperties },
      },
    },
    async (request, reply) => {
      const { appId } = request.params;
      const filters = eventFilters(request.query);
      await requireApp(deps.store, appId);
      // The export is of the events received before it started: a busy app cannot keep it going.
      const startedAt = deps.now();
      const to = filters.to === undefined ? startedAt : Math.min(filters.to, startedAt);
      return reply
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${appId}-events.ndjson"`)
        .send(exportStream(deps.store, appId, { ...filters, to }));
    },
  );

  app.get<{ Params: { appId: string; userId: string } }>(
    '/apps/:appId/users/:userId',
    {
      schema: {
        summary: "A user's merged attributes and first/last seen",
        tags: ['data'],
        params: appUserParams,
      },
    },
    async (request) => {
      const { appId, userId } = request.params;
      await requireApp(deps.store, appId);
      const user = await deps.store.getUser(appId, userId);
      if (!user) throw new ApiError('NOT_FOUND', 'unknown_user', 'No data has been stored for this user');
      return userToWire(user);
    },
  );

  app.get<{ Params: { appId: string }; Querystring: { hours: number } }>(
    '/apps/:appId/auth/stats',
    {
      schema: {
        summary: 'Batches and events per hour by authentication outcome, code and reason',
        tags: ['auth'],
        params: appIdParams,
        querystring: {
          type: 'object',
          properties: { hours: { type: 'integer', minimum: 1, maximum: MAX_STATS_HOURS, default: 24 } },
        },
      },
    },
    async (request) => {
      const { appId } = request.params;
      await requireApp(deps.store, appId);
      const { hours } = request.query;
      const since = Math.floor(deps.now() / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
      const rows: AuthStatsRow[] = (await deps.store.authStats(appId, since)).map((r) => ({
        ...r,
        hour: new Date(r.hour).toISOString(),
        code: r.code as JwtErrorCode | null,
      }));
      const totals: Record<string, { batches: number; events: number }> = {};
      for (const r of rows) {
        const t = totals[r.outcome] ?? { batches: 0, events: 0 };
        totals[r.outcome] = { batches: t.batches + r.batches, events: t.events + r.events };
      }
      return { since: new Date(since).toISOString(), hours, totals, rows };
    },
  );

  app.get<{ Params: { appId: string }; Querystring: { limit: number; code?: JwtErrorCode } }>(
    '/apps/:appId/auth/failures',
    {
      schema: {
        summary: 'The newest authentication failures (never the token), optionally of one code',
        tags: ['auth'],
        params: appIdParams,
        querystring: {
          type: 'object',
          properties: { limit: pageSize, code: { type: 'string', enum: Object.keys(JWT_ERRORS) } },
        },
      },
    },
    async (request) => {
      const { appId } = request.params;
      await requireApp(deps.store, appId);
      const rows = await deps.store.authFailures(appId, request.query.limit, request.query.code);
      return { failures: rows.map(failureToWire) };
    },
  );
}

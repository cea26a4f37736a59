import type { AuthOutcome } from '@signet/protocol';
import type { FastifyInstance } from 'fastify';
import { type AdminDeps, appIdParams, requireApp } from './shared.ts';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const OUTCOMES: readonly AuthOutcome[] = ['verified', 'unverified', 'rejected', 'skipped', 'anonymous'];

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Aggregates for the dashboard (SPEC §5 is silent on them): every app's recent traffic, and one
 * app's events per minute and SDK versions. Shares and failure reasons come from `auth/stats`.
 */
export async function adminStatsRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.get<{ Querystring: { hours: number } }>(
    '/activity',
    {
      schema: {
        summary: "Every app's events and batches by authentication outcome over the last hours",
        description:
          'verifiedShare = verified events ÷ events of identified users (verified, unverified, rejected, ' +
          'skipped); null when there were none. Events are counted as received, duplicates included.',
        tags: ['stats'],
        querystring: {
          type: 'object',
          properties: { hours: { type: 'integer', minimum: 1, maximum: 24 * 31, default: 24 } },
        },
      },
    },
    async (request) => {
      const { hours } = request.query;
      const since = Math.floor(deps.now() / HOUR_MS) * HOUR_MS - (hours - 1) * HOUR_MS;
      const byApp = new Map<string, Record<AuthOutcome, { batches: number; events: number }>>();
      for (const row of await deps.store.activity(since)) {
        let totals = byApp.get(row.appId);
        if (!totals) {
          totals = Object.fromEntries(OUTCOMES.map((o) => [o, { batches: 0, events: 0 }])) as Record<
            AuthOutcome,
            { batches: number; events: number }
          >;
          byApp.set(row.appId, totals);
        }
        totals[row.outcome] = { batches: row.batches, events: row.events };
      }
      const apps = [...byApp].map(([appId, totals]) => {
        const identified =
          totals.verified.events + totals.unverified.events + totals.rejected.events + totals.skipped.events;
        return {
          appId,
          events: OUTCOMES.reduce((sum, o) => sum + totals[o].events, 0),
          verifiedShare: identified === 0 ? null : totals.verified.events / identified,
          totals,
        };
      });
      return { since: iso(since), hours, apps };
    },
  );

  app.get<{ Params: { appId: string }; Querystring: { minutes: number; hours: number } }>(
    '/apps/:appId/overview',
    {
      schema: {
        summary: 'Stored events per minute (oldest first, zeros included) and the SDK versions seen',
        tags: ['stats'],
        params: appIdParams,
        querystring: {
          type: 'object',
          properties: {
            minutes: { type: 'integer', minimum: 1, maximum: 24 * 60, default: 60 },
            hours: { type: 'integer', minimum: 1, maximum: 24 * 31, default: 24 },
          },
        },
      },
    },
    async (request) => {
      const { appId } = request.params;
      await requireApp(deps.store, appId);
      const { minutes, hours } = request.query;
      const now = deps.now();
      const firstMinute = Math.floor(now / MINUTE_MS) * MINUTE_MS - (minutes - 1) * MINUTE_MS;
      const counts = new Map(
        (await deps.store.eventsPerMinute(appId, firstMinute)).map((r) => [r.minute, r.events]),
      );
      const perMinute = Array.from({ length: minutes }, (_, i) => {
        const minute = firstMinute + i * MINUTE_MS;
        return { minute: iso(minute), events: counts.get(minute) ?? 0 };
      });
      const sdkSince = now - hours * HOUR_MS;
      const versions = (await deps.store.sdkVersions(appId, sdkSince)).map((v) => ({
        ...v,
        lastSeen: iso(v.lastSeen),
      }));
      return {
        eventsPerMinute: { since: iso(firstMinute), minutes, points: perMinute },
        sdkVersions: { since: iso(sdkSince), hours, versions },
      };
    },
  );
}

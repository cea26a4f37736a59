import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import { requireMetricsToken } from '../metrics-auth.ts';
import type { StoreLifecycle } from '../store/store.ts';

/**
 * `/healthz` (no auth: a load balancer probes it) and `/metrics` for Prometheus, behind a bearer
 * token when one is configured.
 */
export async function healthRoutes(
  app: FastifyInstance,
  deps: { store: StoreLifecycle; metrics: Metrics; metricsToken: string | null },
): Promise<void> {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness and database reachability', tags: ['ops'] } },
    async () => {
      await deps.store.ping();
      return { status: 'ok' };
    },
  );

  app.get(
    '/metrics',
    {
      schema: { summary: 'Prometheus metrics', tags: ['ops'] },
      ...(deps.metricsToken !== null && { onRequest: requireMetricsToken(deps.metricsToken) }),
    },
    async (_request, reply) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );
}

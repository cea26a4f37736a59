import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.ts';
import { NOT_CONFIGURED } from '../../jwks/jwks-providers.ts';
import { type AdminDeps, appIdParams, requireApp } from './shared.ts';

/**
 * The app's identity provider as this instance sees it (SPEC §4.1): the keys fetched, when the
 * set is fetched again, the last fetch error; and "fetch now". Each instance fetches and
 * caches on its own, so two instances may show different fetch times.
 */
export async function adminJwksRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.get<{ Params: { appId: string } }>(
    '/apps/:appId/jwks',
    {
      schema: {
        summary: "The app's identity provider keys as fetched by this instance (never fetches)",
        tags: ['apps'],
        params: appIdParams,
      },
    },
    async (request) => {
      const { appId } = request.params;
      const found = await requireApp(deps.store, appId);
      return deps.registry.jwks.forApp(appId, found.jwt)?.status() ?? NOT_CONFIGURED;
    },
  );

  app.post<{ Params: { appId: string } }>(
    '/apps/:appId/jwks/refresh',
    {
      schema: {
        summary: "Fetch the app's JWKS now (a failed fetch still answers 200, with lastError)",
        tags: ['apps'],
        params: appIdParams,
      },
    },
    async (request) => {
      const { appId } = request.params;
      const found = await requireApp(deps.store, appId);
      const provider = deps.registry.jwks.forApp(appId, found.jwt);
      if (!provider) {
        throw new ApiError(
          'JWKS_NOT_CONFIGURED',
          'no_provider',
          'The app names no identity provider: set jwksUrl or discovery first',
        );
      }
      await provider.fetchNow();
      return provider.status();
    },
  );
}

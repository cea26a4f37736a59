import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.ts';
import { type AdminDeps, appUserParams, requireApp } from './shared.ts';

/** `DELETE /admin/v1/apps/:appId/users/:userId` (SPEC §5): erasure of one user's data. */
export async function adminErasureRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.delete<{ Params: { appId: string; userId: string } }>(
    '/apps/:appId/users/:userId',
    {
      schema: {
        summary: 'Erase a user: their events, profile, aliases and kept failures; answers what was deleted',
        description: 'The audit log records the counts, never the user id.',
        tags: ['data'],
        params: appUserParams,
      },
    },
    async (request) => {
      const { appId, userId } = request.params;
      await requireApp(deps.store, appId);
      const counts = await deps.store.eraseUser(appId, userId);
      if (counts.events + counts.aliases + counts.failures + counts.profile === 0) {
        throw new ApiError('NOT_FOUND', 'unknown_user', 'No data has been stored for this user');
      }
      await deps.audit.record(request, { action: 'user.erased', appId, details: { ...counts } });
      return counts;
    },
  );
}

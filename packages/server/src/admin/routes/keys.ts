import { type KeyCreate, LIMITS } from '@signet/protocol';
import { KeyInvalidError, parsePublicKey } from '@signet/verifier';
import type { FastifyInstance } from 'fastify';
import { ApiError, appNotFound } from '../../errors.ts';
import { keyToWire } from '../../wire.ts';
import { type AdminDeps, appIdParams, requireApp } from './shared.ts';

const kidText = { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength } as const;

/** An app's public keys (SPEC §5): add (PEM or JWK), list, remove. */
export async function adminKeyRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.post<{ Params: { appId: string }; Body: KeyCreate }>(
    '/apps/:appId/keys',
    {
      schema: {
        summary: 'Register a public key (PEM SPKI or JWK)',
        tags: ['keys'],
        params: appIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            pem: { type: 'string', minLength: 1, maxLength: 16_384 },
            jwk: { type: 'object' },
            kid: kidText,
            label: { type: 'string', maxLength: 200 },
          },
        },
      },
    },
    async (request, reply) => {
      const { appId } = request.params;
      await requireApp(deps.store, appId);
      const { pem, jwk, kid, label } = request.body;
      let parsed: ReturnType<typeof parsePublicKey>;
      try {
        parsed = parsePublicKey({ pem, jwk, kid });
      } catch (error) {
        if (error instanceof KeyInvalidError) throw new ApiError('KEY_INVALID', error.reason, error.message);
        throw error;
      }
      const row = { ...parsed, label: label ?? null, createdAt: deps.now(), lastUsedAt: null, useCount: 0 };
      const result = await deps.store.addKey(appId, row, LIMITS.maxKeysPerApp);
      if (result === 'no_app') throw appNotFound();
      if (result === 'limit') {
        throw new ApiError(
          'KEY_LIMIT',
          'too_many_keys',
          `An app has at most ${LIMITS.maxKeysPerApp} keys; remove one first`,
        );
      }
      if (result === 'exists')
        throw new ApiError('KEY_EXISTS', 'duplicate_kid', `The app already has a key with kid "${row.kid}"`);
      deps.registry.invalidate(appId);
      await deps.audit.record(request, {
        action: 'key.added',
        appId,
        details: { kid: row.kid, type: row.type, fingerprint: row.fingerprint, label: row.label },
      });
      return reply.code(201).send(keyToWire(row));
    },
  );

  app.get<{ Params: { appId: string } }>(
    '/apps/:appId/keys',
    { schema: { summary: "List the app's public keys", tags: ['keys'], params: appIdParams } },
    async (request) => {
      const { appId } = request.params;
      await requireApp(deps.store, appId);
      return { keys: (await deps.store.listKeys(appId)).map(keyToWire) };
    },
  );

  app.delete<{ Params: { appId: string; kid: string } }>(
    '/apps/:appId/keys/:kid',
    {
      schema: {
        summary: 'Remove a key (the last key cannot go while the mode is required)',
        tags: ['keys'],
        params: {
          ...appIdParams,
          required: ['appId', 'kid'],
          properties: { ...appIdParams.properties, kid: kidText },
        },
      },
    },
    async (request, reply) => {
      const { appId, kid } = request.params;
      await requireApp(deps.store, appId);
      const result = await deps.store.removeKey(appId, kid, deps.now());
      if (result === 'not_found')
        throw new ApiError('NOT_FOUND', 'unknown_key', `The app has no key with kid "${kid}"`);
      if (result === 'last_key') {
        throw new ApiError(
          'LAST_KEY',
          'last_key_required',
          'This is the last key and the mode is required: add another key or change the mode first',
        );
      }
      deps.registry.invalidate(appId);
      await deps.audit.record(request, { action: 'key.removed', appId, details: { kid } });
      return reply.code(204).send();
    },
  );
}

import { randomBytes } from 'node:crypto';
import {
  type AppUpdate,
  JWT_MODES,
  type JwtSettings,
  type JwtSettingsUpdate,
  LIMITS,
} from '@signet/protocol';
import type { FastifyInstance } from 'fastify';
import { ApiError, appNotFound } from '../../errors.ts';
import { appToWire } from '../../wire.ts';
import { asJson } from '../audit.ts';
import { nextJwtSettings } from '../jwt-settings.ts';
import { type AdminDeps, appIdParams, requireApp } from './shared.ts';

const appName = { type: 'string', minLength: 1, maxLength: 200 } as const;
const nullableText = { type: ['string', 'null'], minLength: 1, maxLength: 1024 } as const;

/** Apps and their JWT settings (SPEC §5). */
export async function adminAppRoutes(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.post<{ Body: { name: string } }>(
    '/apps',
    {
      schema: {
        summary: 'Create an app (JWT mode starts as disabled)',
        tags: ['apps'],
        body: {
          type: 'object',
          required: ['name'],
          properties: { name: appName },
        },
      },
    },
    async (request, reply) => {
      const now = deps.now();
      const row = {
        id: `app_${randomBytes(8).toString('hex')}`,
        name: request.body.name.trim() || request.body.name,
        jwt: {
          mode: 'disabled',
          audience: null,
          issuer: null,
          clockToleranceSeconds: LIMITS.defaultClockToleranceSeconds,
          maxTokenLifetimeSeconds: LIMITS.defaultMaxTokenLifetimeSeconds,
          jwksUrl: null,
          discovery: false,
          userIdClaim: 'sub',
        } satisfies JwtSettings,
        createdAt: now,
        updatedAt: now,
        retentionDays: null,
      };
      await deps.store.createApp(row);
      await deps.audit.record(request, { action: 'app.created', appId: row.id, after: { name: row.name } });
      return reply.code(201).send(appToWire(row));
    },
  );

  app.get('/apps', { schema: { summary: 'List apps', tags: ['apps'] } }, async () => ({
    apps: (await deps.store.listApps()).map(appToWire),
  }));

  app.get<{ Params: { appId: string } }>(
    '/apps/:appId',
    { schema: { summary: 'One app', tags: ['apps'], params: appIdParams } },
    async (request) => {
      return appToWire(await requireApp(deps.store, request.params.appId));
    },
  );

  app.patch<{ Params: { appId: string }; Body: AppUpdate }>(
    '/apps/:appId',
    {
      schema: {
        summary: 'Rename an app or set how long its events are kept (retentionDays 1–3650, null = forever)',
        tags: ['apps'],
        params: appIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            name: appName,
            retentionDays: {
              type: ['integer', 'null'],
              minimum: LIMITS.minRetentionDays,
              maximum: LIMITS.maxRetentionDays,
            },
          },
        },
      },
    },
    async (request) => {
      const { appId } = request.params;
      const { name, retentionDays } = request.body;
      const current = await requireApp(deps.store, appId);
      const updated = await deps.store.updateApp(
        appId,
        { ...(name !== undefined && { name: name.trim() || name }), retentionDays },
        deps.now(),
      );
      if (!updated) throw appNotFound();
      deps.registry.invalidate(appId);
      if (updated.name !== current.name) {
        await deps.audit.record(request, {
          action: 'app.renamed',
          appId,
          before: { name: current.name },
          after: { name: updated.name },
        });
      }
      if (updated.retentionDays !== current.retentionDays) {
        await deps.audit.record(request, {
          action: 'app.retention_changed',
          appId,
          before: { retentionDays: current.retentionDays },
          after: { retentionDays: updated.retentionDays },
        });
      }
      return appToWire(updated);
    },
  );

  app.delete<{ Params: { appId: string }; Querystring: { confirm?: string } }>(
    '/apps/:appId',
    {
      schema: {
        summary: 'Delete an app and everything of it (keys, settings, events, profiles, counters)',
        description: 'confirm must repeat the app id. Afterwards its ingestion URL answers 404.',
        tags: ['apps'],
        params: appIdParams,
        querystring: {
          type: 'object',
          properties: { confirm: { type: 'string', maxLength: LIMITS.maxIdLength } },
        },
      },
    },
    async (request, reply) => {
      const { appId } = request.params;
      const current = await requireApp(deps.store, appId);
      if (request.query.confirm !== appId) {
        throw new ApiError(
          'INVALID_REQUEST',
          'confirm_mismatch',
          'Deleting an app needs ?confirm= with the app id, so that no app is deleted by mistake',
          [{ pointer: '/confirm', message: 'must equal the app id' }],
        );
      }
      const purged = await deps.store.deleteApp(appId, deps.now());
      if (!purged) throw appNotFound();
      deps.registry.invalidate(appId);
      await deps.audit.record(request, {
        action: 'app.deleted',
        appId,
        before: { name: current.name, retentionDays: current.retentionDays },
        details: { ...purged },
      });
      return reply.code(204).send();
    },
  );

  app.put<{ Params: { appId: string }; Body: JwtSettingsUpdate }>(
    '/apps/:appId/jwt',
    {
      schema: {
        summary: 'Set the JWT mode and checks; omitted fields keep their value, null clears',
        tags: ['apps'],
        params: appIdParams,
        body: {
          type: 'object',
          required: ['mode'],
          additionalProperties: false,
          properties: {
            mode: { type: 'string', enum: [...JWT_MODES] },
            audience: nullableText,
            issuer: nullableText,
            clockToleranceSeconds: { type: 'integer', minimum: 0, maximum: LIMITS.maxClockToleranceSeconds },
            maxTokenLifetimeSeconds: {
              type: ['integer', 'null'],
              minimum: 1,
              maximum: LIMITS.maxTokenLifetimeSeconds,
            },
            jwksUrl: { type: ['string', 'null'], minLength: 1, maxLength: 2048 },
            discovery: { type: 'boolean' },
            userIdClaim: { type: ['string', 'null'], minLength: 1, maxLength: LIMITS.maxIdLength },
          },
        },
      },
    },
    async (request) => {
      const { appId } = request.params;
      const current = await requireApp(deps.store, appId);
      const jwt = nextJwtSettings(current.jwt, request.body, deps.registry.jwks.allowPrivateNetwork);
      const result = await deps.store.updateJwtSettings(appId, jwt, deps.now());
      if (result === 'no_app') throw appNotFound();
      if (result === 'no_keys') {
        throw new ApiError(
          'NO_KEYS',
          'no_keys_registered',
          'Register a public key or name an identity provider (jwksUrl or discovery) before setting the mode to required',
        );
      }
      deps.registry.invalidate(appId);
      await deps.audit.record(request, {
        action: 'jwt.changed',
        appId,
        before: asJson(current.jwt),
        after: asJson(result.jwt),
      });
      return result.jwt;
    },
  );
}

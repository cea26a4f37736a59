import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { LIMITS } from '@signet/protocol';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { AdminAudit } from './admin/audit.ts';
import { requireAdmin } from './admin/auth.ts';
import { adminAppRoutes } from './admin/routes/apps.ts';
import { adminAuditRoutes } from './admin/routes/audit.ts';
import { adminDataRoutes } from './admin/routes/data.ts';
import { adminErasureRoutes } from './admin/routes/erasure.ts';
import { adminJwksRoutes } from './admin/routes/jwks.ts';
import { adminKeyRoutes } from './admin/routes/keys.ts';
import { adminSessionRoutes, adminWhoAmIRoutes } from './admin/routes/session.ts';
import { adminStatsRoutes } from './admin/routes/stats.ts';
import { AdminSessions } from './admin/sessions.ts';
import { createAdminThrottle } from './admin/throttle.ts';
import type { AdminTokenCheck } from './admin/token.ts';
import { AppRegistry } from './auth/app-registry.ts';
import { checkConfig, DEFAULT_CONFIG, type ServerConfig } from './config.ts';
import { ApiError } from './errors.ts';
import { answerClientError, answerFrameworkError } from './http-layer-errors.ts';
import { INGEST_CORS } from './ingest-cors.ts';
import { JwksProviders } from './jwks/jwks-providers.ts';
import { createMetrics } from './metrics.ts';
import { createRateLimits } from './rate-limits.ts';
import { requestId } from './request-id.ts';
import { requestTimeoutOptions } from './request-timeout.ts';
import { dashboardRoutes, defaultDashboardDir } from './routes/dashboard.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { StorageUnavailableError } from './store/storage-unavailable.ts';
import type { Store } from './store/store.ts';
import { validatorCompiler } from './validation.ts';

export interface BuildAppOptions {
  store: Store;
  adminToken: AdminTokenCheck;
  config?: Partial<ServerConfig>;
  /** Fastify logger options; false (the default) for tests. */
  logger?: FastifyServerOptions['logger'];
  /** Injectable clock, in ms. */
  now?: () => number;
  /** The built dashboard's folder; null serves a placeholder at `/`. Default: the one this package ships. */
  dashboardDir?: string | null;
}

const SESSION_TTL_MS = 12 * 3_600_000;

/**
 * Builds the Fastify app: ingestion, admin API, health, metrics, docs and the dashboard page.
 * Listening is the caller's job (main.ts), so tests can use `inject()` or a real port.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const config = checkConfig({ ...DEFAULT_CONFIG, ...options.config });
  const now = options.now ?? Date.now;
  const { store } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: config.trustProxy,
    // genReqId reads x-request-id itself, keeping it only when it is a short, safe id.
    requestIdHeader: false,
    genReqId: requestId,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    ...requestTimeoutOptions(config.requestTimeoutMs),
    // An id is at most 128 characters, 256 UTF-16 units once decoded: a longer segment is a 414.
    routerOptions: { maxParamLength: LIMITS.maxIdLength * 2 },
  });

  app.setValidatorCompiler(validatorCompiler);
  // Every body Signet reads is JSON; anything else is a 415, not a string to validate.
  app.removeContentTypeParser('text/plain');

  const metrics = createMetrics();
  const jwks = new JwksProviders({
    limits: { allowPrivateNetwork: config.jwksAllowPrivateNetwork },
    now,
    onFetch(appId, outcome, keys) {
      metrics.jwksFetches.inc({ app_id: appId, outcome });
      metrics.jwksKeys.set({ app_id: appId }, keys);
    },
  });
  const stopGroupMetrics = store.onGroupWritten((group) => {
    metrics.groupRecords.observe(group.records);
    metrics.groupSeconds.observe(group.seconds);
    if (group.commitSeconds !== null) metrics.commitSeconds.observe(group.commitSeconds);
  });
  app.addHook('onClose', async () => stopGroupMetrics());
  const registry = new AppRegistry(store, config.tokenCacheSize, config.changeCheckMs, jwks);
  await registry.start((error) => app.log.warn({ err: error }, 'app change check failed'));
  app.addHook('onClose', () => registry.stop());
  // Finishes app deletions a restart cut short; in the background, as it may take a while.
  const purging = store
    .purgeDeletedApps()
    .catch((error) => app.log.warn({ err: error }, 'purge of deleted apps failed'));
  app.addHook('onClose', async () => {
    await purging;
  });
  const rateLimits = await createRateLimits(app, {
    appPerMinute: config.rateLimitAppPerMinute,
    clientPerMinute: config.rateLimitClientPerMinute,
    redisUrl: config.redisUrl,
  });
  // After createRateLimits: the throttle counts in the same store (memory, or the same Redis).
  const adminThrottle = createAdminThrottle(app);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      method: request.method,
      status: String(reply.statusCode),
    });
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = toApiError(error, request.url.startsWith('/v1/'), config.retryAfterSeconds);
    if (answer.status >= 500 && answer.code !== 'STORAGE_UNAVAILABLE')
      request.log.error({ err: error }, 'request failed');
    if (answer.code === 'STORAGE_UNAVAILABLE')
      request.log.warn({ err: error.message }, 'storage unavailable');
    return reply.code(answer.status).headers(answer.headers).send(answer.toBody());
  });
  app.setNotFoundHandler((_request, reply) => {
    // The path is not repeated: it can be long, or carry what the client should not have sent.
    const error = new ApiError('NOT_FOUND', 'unknown_route', 'No route matches this method and path');
    return reply.code(error.status).send(error.toBody());
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Signet', version: '0.1.0', description: 'Verified ingestion and the admin API.' },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const sessions = await AdminSessions.create(store, options.adminToken, { ttlMs: SESSION_TTL_MS, now });
  const audit = new AdminAudit(store, now);
  const sessionDeps = { adminToken: options.adminToken, sessions, throttle: adminThrottle, audit };

  await app.register(
    async (ingestion) => {
      await ingestion.register(cors, INGEST_CORS);
      await ingestion.register(ingestRoutes, { store, registry, metrics, rateLimits, now });
    },
    { prefix: '/v1/apps' },
  );
  // Cookies only where the dashboard's session is read or set: ingestion never parses them.
  await app.register(async (adminApi) => {
    await adminApi.register(cookie);
    await adminApi.register(adminSessionRoutes, { prefix: '/admin/v1', ...sessionDeps });
    await adminApi.register(
      async (admin) => {
        admin.addHook('onRequest', requireAdmin(options.adminToken, sessions, adminThrottle, audit));
        const deps = { store, registry, now, audit };
        await admin.register(adminWhoAmIRoutes, sessionDeps);
        await admin.register(adminAppRoutes, deps);
        await admin.register(adminKeyRoutes, deps);
        await admin.register(adminJwksRoutes, deps);
        await admin.register(adminDataRoutes, deps);
        await admin.register(adminStatsRoutes, deps);
        await admin.register(adminAuditRoutes, deps);
        await admin.register(adminErasureRoutes, deps);
      },
      { prefix: '/admin/v1' },
    );
  });
  await app.register(healthRoutes, { store, metrics, metricsToken: config.metricsToken });
  await app.register(dashboardRoutes, {
    dir: options.dashboardDir === undefined ? defaultDashboardDir() : options.dashboardDir,
  });
  return app;
}

/** Every failure as one registry error: the status and body the client sees. */
function toApiError(error: FastifyError, ingestion: boolean, retryAfterSeconds: number): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StorageUnavailableError) {
    return new ApiError(
      'STORAGE_UNAVAILABLE',
      'database_unavailable',
      'The database is unavailable; nothing was stored. Retry later.',
      undefined,
      { 'retry-after': String(retryAfterSeconds) },
    );
  }
  const invalid = ingestion ? 'INVALID_BATCH' : 'INVALID_REQUEST';
  if (error.validation) {
    const details = error.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string }).missingProperty;
      return {
        pointer: missing === undefined ? v.instancePath : `${v.instancePath}/${missing}`,
        message: v.message ?? 'is invalid',
      };
    });
    return new ApiError(invalid, 'invalid_field', `Invalid request: ${error.message}`, details);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ingestion
        ? new ApiError(
            'BATCH_TOO_LARGE',
            'body_too_large',
            `The body is larger than ${LIMITS.maxBodyBytes / 1024} KiB; send smaller batches`,
          )
        : new ApiError('INVALID_REQUEST', 'body_too_large', 'The body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(
        'UNSUPPORTED_MEDIA_TYPE',
        'not_json',
        'Send the body as Content-Type: application/json',
      );
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    // A fixed message: a parser's own message may quote the body.
    return new ApiError(invalid, 'invalid_json', 'The body could not be read as JSON');
  }
  return new ApiError('INTERNAL_ERROR', 'unexpected', 'Unexpected server error');
}

import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { ApiError, type ReasonOf } from './errors.ts';

export interface RateLimits {
  /** Counts the request against its client address; throws 429 past the limit. */
  checkClient(request: FastifyRequest): Promise<void>;
  /**
   * Counts the request against its app; throws 429 past the limit. Called only for a batch about
   * to be stored, so junk and forged tokens never use up an app's limit (SPEC §3).
   */
  checkApp(request: FastifyRequest): Promise<void>;
}

/**
 * Per-app and per-client-address limits on ingestion, on @fastify/rate-limit: counted in memory
 * per instance, or in Redis and so shared by every instance when `redisUrl` is set. A Redis
 * outage lets requests through rather than refusing data. 0 turns a limit off.
 */
export async function createRateLimits(
  app: FastifyInstance,
  limits: { appPerMinute: number; clientPerMinute: number; redisUrl?: string | null },
): Promise<RateLimits> {
  let redis: Redis | undefined;
  if (limits.redisUrl) {
    redis = new Redis(limits.redisUrl, {
      connectTimeout: 1_000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    redis.on('error', (error) => app.log.warn({ err: error.message }, 'rate-limit redis error'));
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });
  }
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    nameSpace: 'signet-rl:',
    ...(redis && { redis }),
  });
  const perApp =
    limits.appPerMinute > 0
      ? app.createRateLimit({
          max: limits.appPerMinute,
          timeWindow: 60_000,
          keyGenerator: (req) => `app:${(req.params as { appId?: string }).appId ?? ''}`,
        })
      : null;
  const perClient =
    limits.clientPerMinute > 0
      ? app.createRateLimit({
          max: limits.clientPerMinute,
          timeWindow: 60_000,
          keyGenerator: (req) => `ip:${req.ip}`,
        })
      : null;

  const enforce = async (
    limiter: Limiter | null,
    reason: ReasonOf<'RATE_LIMITED'>,
    what: string,
    request: FastifyRequest,
  ) => {
    if (!limiter) return;
    const limit = await limiter(request);
    if (!limit.isAllowed && limit.isExceeded) {
      const retryAfter = String(Math.max(1, limit.ttlInSeconds));
      throw new ApiError('RATE_LIMITED', reason, `Too many requests for ${what}; retry later`, undefined, {
        'retry-after': retryAfter,
      });
    }
  };
  return {
    checkClient: (request) => enforce(perClient, 'client_limit', 'this client address', request),
    checkApp: (request) => enforce(perApp, 'app_limit', 'this app', request),
  };
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

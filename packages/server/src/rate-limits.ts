import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { ApiError } from './errors.ts';

export interface RateLimits {
  /** Counts the request against its app and its client address; throws 429 past either limit. */
  check(request: FastifyRequest): Promise<void>;
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

  return {
    async check(request) {
      for (const [limiter, reason, what] of [
        [perClient, 'client_limit', 'this client address'],
        [perApp, 'app_limit', 'this app'],
      ] as const) {
        if (!limiter) continue;
        const limit = await limiter(request);
        if (!limit.isAllowed && limit.isExceeded) {
          const retryAfter = String(Math.max(1, limit.ttlInSeconds));
          throw new ApiError(
            'RATE_LIMITED',
            reason,
            `Too many requests for ${what}; retry later`,
            undefined,
            {
              'retry-after': retryAfter,
            },
          );
        }
      }
    },
  };
}

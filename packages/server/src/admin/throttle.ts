import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';

/** Wrong admin tokens (Bearer or login) allowed per client address per window (SPEC §5). */
export const ADMIN_FAILURES_PER_MINUTE = 10;
const WINDOW_MS = 60_000;

export interface AdminThrottle {
  /** Throws 429 `admin_failures` while the address has used up its failures; counts nothing. */
  check(request: FastifyRequest): Promise<void>;
  /** Counts one wrong admin token from the request's address. */
  fail(request: FastifyRequest): Promise<void>;
}

/**
 * Counts wrong admin tokens per client address, in the store of createRateLimits' plugin (which
 * must be registered first): in memory per instance, or in Redis, shared by every instance, when
 * `SIGNET_REDIS_URL` is set. Callers check before comparing a token, so a throttled address is
 * refused even with the right one and cannot learn whether a guess was right.
 */
export function createAdminThrottle(app: FastifyInstance): AdminThrottle {
  const failures = app.createRateLimit({
    max: ADMIN_FAILURES_PER_MINUTE,
    timeWindow: WINDOW_MS,
    keyGenerator: (req) => `admin-failures:${req.ip}`,
  });
  return {
    async check(request) {
      const state = await failures(request, { increment: false });
      // `remaining` is 0 once the window holds the maximum of failures; a Redis outage reads 0 failures.
      if (state.isAllowed || state.remaining > 0) return;
      throw new ApiError(
        'RATE_LIMITED',
        'admin_failures',
        'Too many wrong admin tokens from this address; retry later',
        undefined,
        { 'retry-after': String(Math.max(1, state.ttlInSeconds)) },
      );
    },
    async fail(request) {
      await failures(request);
    },
  };
}

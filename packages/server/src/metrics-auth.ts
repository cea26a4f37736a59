import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

/**
 * onRequest hook for `/metrics` when SIGNET_METRICS_TOKEN is set: `Authorization: Bearer <it>`,
 * compared in constant time.
 */
export function requireMetricsToken(token: string) {
  const expected = sha256(token);
  const headers = { 'www-authenticate': 'Bearer realm="signet-metrics"' };
  return async (request: FastifyRequest): Promise<void> => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1]) {
      throw new ApiError(
        'METRICS_UNAUTHORIZED',
        'missing',
        '/metrics needs Authorization: Bearer <metrics token>',
        undefined,
        headers,
      );
    }
    // Hashing first makes both sides 32 bytes, so timingSafeEqual never sees unequal lengths.
    if (!timingSafeEqual(sha256(match[1]), expected)) {
      throw new ApiError(
        'METRICS_UNAUTHORIZED',
        'invalid',
        'The metrics token is not valid',
        undefined,
        headers,
      );
    }
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

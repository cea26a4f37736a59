import type { FastifyRequest } from 'fastify';
import type { AdminTokenCheck } from './admin-token.ts';
import { ApiError } from './errors.ts';

/** onRequest hook for the admin API: a Bearer admin token, compared in constant time. */
export function requireAdmin(check: AdminTokenCheck) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    const headers = { 'www-authenticate': 'Bearer realm="signet-admin"' };
    if (!match?.[1]) {
      throw new ApiError(
        'ADMIN_UNAUTHORIZED',
        'missing',
        'The admin API needs Authorization: Bearer <admin token>',
        undefined,
        headers,
      );
    }
    if (!check.matches(match[1])) {
      throw new ApiError('ADMIN_UNAUTHORIZED', 'invalid', 'The admin token is not valid', undefined, headers);
    }
  };
}

import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { type AdminAudit, setActor, tokenActor } from './audit.ts';
import { type AdminSessions, checkCsrf, SESSION_COOKIE } from './sessions.ts';
import type { AdminThrottle } from './throttle.ts';
import type { AdminTokenCheck } from './token.ts';

/**
 * onRequest hook for the admin API: a Bearer admin token (scripts), compared in constant time,
 * or the dashboard's session cookie, whose writes must also pass the CSRF rule. Wrong tokens are
 * counted per client address (a missing one is no guess); a session cookie is not throttled, as
 * it cannot be guessed and an expired one is no attack.
 */
export function requireAdmin(
  check: AdminTokenCheck,
  sessions: AdminSessions,
  throttle: AdminThrottle,
  audit: AdminAudit,
) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const headers = { 'www-authenticate': 'Bearer realm="signet-admin"' };
    const cookie = request.cookies[SESSION_COOKIE];
    if (header === undefined && cookie !== undefined) {
      if (!(await sessions.isActive(cookie))) {
        throw new ApiError(
          'ADMIN_UNAUTHORIZED',
          'invalid',
          'The dashboard session has expired or is not valid; log in again',
          undefined,
          headers,
        );
      }
      checkCsrf(request);
      setActor(request, sessions.actorOf(cookie));
      return;
    }
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw new ApiError(
        'ADMIN_UNAUTHORIZED',
        'missing',
        'The admin API needs Authorization: Bearer <admin token>',
        undefined,
        headers,
      );
    }
    await throttle.check(request);
    if (!check.matches(match[1])) {
      await throttle.fail(request);
      await audit.record(request, {
        action: 'admin.login_failed',
        actor: tokenActor(match[1]),
        details: { via: 'token' },
      });
      throw new ApiError('ADMIN_UNAUTHORIZED', 'invalid', 'The admin token is not valid', undefined, headers);
    }
    setActor(request, tokenActor(match[1]));
  };
}

import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors.ts';
import { type AdminAudit, tokenActor } from '../audit.ts';
import { type AdminSessions, checkCsrf, SESSION_COOKIE } from '../sessions.ts';
import type { AdminThrottle } from '../throttle.ts';
import type { AdminTokenCheck } from '../token.ts';

export interface SessionDeps {
  adminToken: AdminTokenCheck;
  sessions: AdminSessions;
  throttle: AdminThrottle;
  audit: AdminAudit;
}

const sessionAnswer = {
  type: 'object',
  properties: {
    via: { type: 'string', enum: ['session', 'token'] },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

/** Log in with the admin token (a cookie comes back) and log out; open to the unauthenticated. */
export async function adminSessionRoutes(app: FastifyInstance, deps: SessionDeps): Promise<void> {
  app.post<{ Body: { token: string } }>(
    '/session',
    {
      schema: {
        summary: 'Log in to the dashboard: the admin token in, an httpOnly SameSite=Strict cookie out',
        description: 'Needs the X-Signet-CSRF header. Scripts can skip this and send the Bearer token.',
        tags: ['session'],
        body: {
          type: 'object',
          required: ['token'],
          additionalProperties: false,
          properties: { token: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
        response: { 200: sessionAnswer },
      },
    },
    async (request, reply) => {
      checkCsrf(request);
      await deps.throttle.check(request);
      if (!deps.adminToken.matches(request.body.token)) {
        await deps.throttle.fail(request);
        await deps.audit.record(request, {
          action: 'admin.login_failed',
          actor: tokenActor(request.body.token),
          details: { via: 'session' },
        });
        throw new ApiError('ADMIN_UNAUTHORIZED', 'invalid', 'The admin token is not valid');
      }
      const session = await deps.sessions.issue();
      await deps.audit.record(request, { action: 'admin.login', actor: session.actor });
      deps.sessions.setCookie(reply, request, session);
      return reply
        .header('cache-control', 'no-store')
        .send({ via: 'session', expiresAt: new Date(session.expiresAt).toISOString() });
    },
  );

  app.delete(
    '/session',
    {
      schema: {
        summary: 'Log out of the dashboard: the session ends on the server and the cookie is cleared',
        tags: ['session'],
      },
    },
    async (request, reply) => {
      checkCsrf(request);
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie !== undefined) {
        const active = await deps.sessions.isActive(cookie);
        await deps.sessions.end(cookie);
        if (active) {
          await deps.audit.record(request, { action: 'admin.logout', actor: deps.sessions.actorOf(cookie) });
        }
      }
      deps.sessions.clearCookie(reply, request);
      return reply.code(204).send();
    },
  );
}

/** `GET /admin/v1/session`, behind the admin check: who is asking and until when. */
export async function adminWhoAmIRoutes(app: FastifyInstance, deps: SessionDeps): Promise<void> {
  app.get(
    '/session',
    {
      schema: {
        summary: 'The current admin credential: the dashboard session (with its expiry) or the token',
        tags: ['session'],
        response: { 200: sessionAnswer },
      },
    },
    async (request) => {
      const cookie =
        request.headers.authorization === undefined ? request.cookies[SESSION_COOKIE] : undefined;
      const expiresAt = cookie === undefined ? null : deps.sessions.expiryOf(cookie);
      return {
        via: expiresAt === null ? 'token' : 'session',
        expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      };
    },
  );
}

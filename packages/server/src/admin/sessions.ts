import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
// The cookie plugin's types add request.cookies and reply.setCookie to Fastify's.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import type { RegistryStore } from '../store/registry-store.ts';
import { sessionActor } from './audit.ts';
import type { AdminTokenCheck } from './token.ts';

const SECRET_SETTING = 'admin_session_secret';

/** The dashboard's session cookie: sent only to the admin API, never readable by scripts. */
export const SESSION_COOKIE = 'signet_session';
export const SESSION_PATH = '/admin/v1';
/** The header a cookie-authenticated write must carry; a cross-site form or image cannot set it. */
export const CSRF_HEADER = 'x-signet-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Dashboard sessions: a signed cookie `<expiresAtMs>.<nonce>.<hmac>` plus a record in the
 * database (SHA-256 of the nonce, never the cookie), so any instance sharing the database can
 * check one, and logging out on any of them ends it everywhere. A session also ends at its
 * expiry, and when the admin token changes (the MAC's key is bound to it).
 *
 * @example
 * const sessions = await AdminSessions.create(store, adminToken, { ttlMs: 12 * 3_600_000, now: Date.now });
 * const { value, expiresAt } = await sessions.issue();
 * await sessions.isActive(value); // true until expiresAt or sessions.end(value)
 */
export class AdminSessions {
  private constructor(
    private readonly store: RegistryStore,
    private readonly key: Buffer,
    readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** Reads (or creates, first writer wins) the shared secret and binds it to the admin token. */
  static async create(
    store: RegistryStore,
    adminToken: AdminTokenCheck,
    options: { ttlMs: number; now: () => number },
  ): Promise<AdminSessions> {
    const secret = await store.putSettingIfAbsent(SECRET_SETTING, randomBytes(32).toString('hex'));
    return new AdminSessions(
      store,
      adminToken.deriveKey(Buffer.from(secret, 'hex')),
      options.ttlMs,
      options.now,
    );
  }

  /** A new session, recorded; expired records are purged here, as logins are rare. */
  async issue(): Promise<{ value: string; expiresAt: number; actor: string }> {
    const now = this.now();
    const expiresAt = now + this.ttlMs;
    const nonce = randomBytes(16).toString('base64url');
    await this.store.purgeExpiredAdminSessions(now);
    await this.store.createAdminSession(idHash(nonce), now, expiresAt);
    const body = `${expiresAt}.${nonce}`;
    return { value: `${body}.${this.mac(body)}`, expiresAt, actor: sessionActor(idHash(nonce)) };
  }

  /** How the audit log names the session of a genuine cookie (`session:unknown` otherwise). */
  actorOf(value: string): string {
    const signed = this.parse(value);
    return signed ? sessionActor(idHash(signed.nonce)) : 'session:unknown';
  }

  /** The session's expiry when `value` is genuine and unexpired, else null (ended or not: see isActive). */
  expiryOf(value: string): number | null {
    const signed = this.parse(value);
    return signed && signed.expiresAt > this.now() ? signed.expiresAt : null;
  }

  /** True when `value` is genuine, unexpired and its session has not been ended. */
  async isActive(value: string): Promise<boolean> {
    const signed = this.parse(value);
    if (!signed || signed.expiresAt <= this.now()) return false;
    return this.store.adminSessionActive(idHash(signed.nonce), this.now());
  }

  /** Ends the session on every instance; only a genuine cookie can end one. */
  async end(value: string): Promise<void> {
    const signed = this.parse(value);
    if (signed) await this.store.deleteAdminSession(idHash(signed.nonce));
  }

  setCookie(reply: FastifyReply, request: FastifyRequest, session: { value: string }): void {
    reply.setCookie(SESSION_COOKIE, session.value, {
      path: SESSION_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      maxAge: Math.floor(this.ttlMs / 1000),
    });
  }

  clearCookie(reply: FastifyReply, request: FastifyRequest): void {
    reply.clearCookie(SESSION_COOKIE, {
      path: SESSION_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
    });
  }

  /** The cookie's expiry and nonce when its MAC is ours, whatever the expiry. */
  private parse(value: string): { expiresAt: number; nonce: string } | null {
    const parts = value.split('.');
    if (parts.length !== 3) return null;
    const [expires, nonce, mac] = parts as [string, string, string];
    const expected = Buffer.from(this.mac(`${expires}.${nonce}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const expiresAt = Number(expires);
    return Number.isSafeInteger(expiresAt) ? { expiresAt, nonce } : null;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** What the database keeps of a session: the SHA-256 of its nonce, useless as a cookie. */
function idHash(nonce: string): string {
  return createHash('sha256').update(nonce).digest('hex');
}

/**
 * CSRF rule for requests that a cookie authenticates (or that create or end a session):
 * a write must carry `X-Signet-CSRF` (a cross-site form cannot, and a cross-site fetch with it
 * needs a CORS preflight the server never grants), and an `Origin`, when sent, must be ours.
 */
export function checkCsrf(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method)) return;
  if (!request.headers[CSRF_HEADER]) {
    throw new ApiError(
      'CSRF_REJECTED',
      'csrf_header_missing',
      `A change made with the dashboard session needs the ${CSRF_HEADER} header`,
    );
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `${request.protocol}://${request.host}`) {
    throw new ApiError('CSRF_REJECTED', 'origin_mismatch', 'The request comes from another origin');
  }
}

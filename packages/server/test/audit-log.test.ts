import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BackendServer, startOn } from './backend-server.ts';
import { BACKENDS } from './backends.ts';
import { ADMIN_TOKEN, keyPair } from './helpers.ts';

/*
 * The audit log (SPEC §5): every admin change and every admin login, with time, action, app,
 * actor (never the secret), client address and before/after; read newest first through a
 * cursor. On each backend, through the real routes.
 */

const actorOf = (token: string) => `token:${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;
const T0 = Date.parse('2026-12-01T10:00:00Z');

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`audit log: ${backend.name}`, () => {
    let server: BackendServer;
    let clock: number;

    beforeEach(async () => {
      clock = T0;
      server = await startOn(backend, { now: () => clock++ });
    });
    afterEach(() => server.close());

    const audit = async (query = '') => {
      const res = await server.admin('GET', `/admin/v1/audit${query}`);
      expect(res.status).toBe(200);
      return res.body as { entries: any[]; nextCursor: string | null };
    };

    it('records every admin change with who, when, where and what changed', async () => {
      const appId = (await server.admin('POST', '/admin/v1/apps', { name: 'Shop' })).body.id;
      await server.admin('PATCH', `/admin/v1/apps/${appId}`, { name: 'Shop EU', retentionDays: 90 });
      // Nothing changed, nothing recorded.
      await server.admin('PATCH', `/admin/v1/apps/${appId}`, { name: 'Shop EU' });
      const key = await keyPair();
      const kid = (await server.admin('POST', `/admin/v1/apps/${appId}/keys`, { pem: key.publicPem })).body
        .kid;
      await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'optional', audience: 'shop' });
      await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'disabled' });
      expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/${kid}`)).status).toBe(204);
      // Refused changes are not changes.
      await server.admin('PATCH', `/admin/v1/apps/${appId}`, { retentionDays: 0 });
      await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'required' });

      const { entries, nextCursor } = await audit();
      expect(nextCursor).toBeNull();
      expect(entries.map((e) => e.action)).toEqual([
        'key.removed',
        'jwt.changed',
        'jwt.changed',
        'key.added',
        'app.retention_changed',
        'app.renamed',
        'app.created',
      ]);
      for (const entry of entries) {
        expect(entry).toMatchObject({ appId, actor: actorOf(ADMIN_TOKEN), clientIp: '127.0.0.1' });
        expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(T0);
      }
      expect(entries[6]).toMatchObject({ before: null, after: { name: 'Shop' } });
      expect(entries[5]).toMatchObject({ before: { name: 'Shop' }, after: { name: 'Shop EU' } });
      expect(entries[4]).toMatchObject({ before: { retentionDays: null }, after: { retentionDays: 90 } });
      expect(entries[3].details).toMatchObject({ kid, type: 'EC P-256' });
      expect(entries[2].before).toMatchObject({ mode: 'disabled', audience: null });
      expect(entries[2].after).toMatchObject({ mode: 'optional', audience: 'shop' });
      expect(entries[1].before).toMatchObject({ mode: 'optional', audience: 'shop' });
      expect(entries[1].after).toMatchObject({ mode: 'disabled', audience: 'shop' });
      expect(entries[0].details).toEqual({ kid });
      expect(JSON.stringify(entries)).not.toContain(ADMIN_TOKEN);
    });

    it('records dashboard logins, logouts and wrong tokens, naming the credential, never the secret', async () => {
      const wrong = 'wrong-admin-token-that-someone-tried';
      const badBearer = await server.admin('GET', '/admin/v1/apps', undefined, {
        authorization: `Bearer ${wrong}`,
      });
      expect(badBearer.status).toBe(401);
      const login = (token: string) =>
        server.app.inject({
          method: 'POST',
          url: '/admin/v1/session',
          headers: { 'x-signet-csrf': '1' },
          payload: { token },
        });
      expect((await login(wrong)).statusCode).toBe(401);
      const ok = await login(ADMIN_TOKEN);
      expect(ok.statusCode).toBe(200);
      const cookie = `signet_session=${ok.cookies.find((c) => c.name === 'signet_session')?.value}`;
      const created = await server.app.inject({
        method: 'POST',
        url: '/admin/v1/apps',
        headers: { cookie, 'x-signet-csrf': '1' },
        payload: { name: 'From the dashboard' },
      });
      expect(created.statusCode).toBe(201);
      const out = await server.app.inject({
        method: 'DELETE',
        url: '/admin/v1/session',
        headers: { cookie, 'x-signet-csrf': '1' },
      });
      expect(out.statusCode).toBe(204);
      // A second logout with the ended cookie ends nothing and records nothing.
      await server.app.inject({
        method: 'DELETE',
        url: '/admin/v1/session',
        headers: { cookie, 'x-signet-csrf': '1' },
      });

      const { entries } = await audit();
      expect(entries.map((e) => [e.action, e.details])).toEqual([
        ['admin.logout', null],
        ['app.created', null],
        ['admin.login', null],
        ['admin.login_failed', { via: 'session' }],
        ['admin.login_failed', { via: 'token' }],
      ]);
      const session = entries[2].actor as string;
      expect(session).toMatch(/^session:[0-9a-f]{8}$/);
      expect(entries[1].actor).toBe(session);
      expect(entries[0].actor).toBe(session);
      expect(entries[3].actor).toBe(actorOf(wrong));
      expect(entries[4].actor).toBe(actorOf(wrong));
      for (const entry of entries) expect(entry.clientIp).toBe('127.0.0.1');
      const text = JSON.stringify(entries);
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(ADMIN_TOKEN);
      expect(text).not.toContain(cookie.split('=')[1]);
    });

    it('records failed logins no faster than the throttle lets them through', async () => {
      const tries = [];
      for (let i = 0; i < 15; i++) {
        tries.push(
          (await server.admin('GET', '/admin/v1/apps', undefined, { authorization: `Bearer guess-${i}` }))
            .status,
        );
      }
      expect(tries.filter((s) => s === 401)).toHaveLength(10);
      expect(tries.filter((s) => s === 429)).toHaveLength(5);
      // Read through another instance: the log is in the database, shared.
      const other = await server.another();
      const { entries } = (await other.admin('GET', '/admin/v1/audit')).body;
      expect(entries.filter((e: any) => e.action === 'admin.login_failed')).toHaveLength(10);
    });

    it('pages newest first through a cursor, per app or all, and refuses a bad cursor or limit', async () => {
      const a = (await server.admin('POST', '/admin/v1/apps', { name: 'A' })).body.id;
      const b = (await server.admin('POST', '/admin/v1/apps', { name: 'B' })).body.id;
      for (let i = 1; i <= 4; i++) {
        await server.admin('PATCH', `/admin/v1/apps/${i % 2 ? a : b}`, { retentionDays: i });
      }
      const walked: any[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { entries: any[]; nextCursor: string | null } = await audit(
          `?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        walked.push(...page.entries);
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(walked).toEqual((await audit()).entries);
      expect(walked.map((e) => e.after.retentionDays ?? e.after.name)).toEqual([4, 3, 2, 1, 'B', 'A']);

      const ofA = await audit(`?appId=${a}&limit=1`);
      expect(ofA.entries[0]).toMatchObject({ appId: a, after: { retentionDays: 3 } });
      const rest = await audit(`?appId=${a}&cursor=${ofA.nextCursor}`);
      expect(rest.entries.map((e) => e.appId)).toEqual([a, a]);
      expect(rest.nextCursor).toBeNull();

      const valid = ofA.nextCursor as string;
      for (const query of [
        '?cursor=nonsense',
        `?cursor=${valid}x`,
        `?cursor=${Buffer.from('a1.0').toString('base64url')}`,
        `?cursor=${Buffer.from('a1.-5').toString('base64url')}`,
        `?cursor=${Buffer.from('v1.1.2').toString('base64url')}`,
        '?limit=0',
        '?limit=1001',
        '?limit=ten',
      ]) {
        const res = await server.admin('GET', `/admin/v1/audit${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error).toMatchObject({
          type: 'request',
          code: 'INVALID_REQUEST',
          reason: 'invalid_field',
        });
        expect(JSON.stringify(res.body)).not.toContain('nonsense');
      }
    });

    it('needs the admin token', async () => {
      const res = await server.app.inject({ method: 'GET', url: '/admin/v1/audit' });
      expect(res.statusCode).toBe(401);
    });
  });
}

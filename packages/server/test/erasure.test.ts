import { randomUUID } from 'node:crypto';
import type { BatchEvent } from '@signet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BackendServer, startOn } from './backend-server.ts';
import { BACKENDS } from './backends.ts';
import { ADMIN_TOKEN, batchFor, type KeyPair, keyPair, signToken } from './helpers.ts';

/*
 * Erasure (SPEC §5): DELETE …/users/:userId removes the user's events (verified and claimed),
 * profile (both attribute sets), aliases and kept failures, answers the counts, and afterwards no
 * endpoint returns anything of the user. Another user's data stays whole. On each backend.
 */
for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`erasure: ${backend.name}`, () => {
    let server: BackendServer;
    let key: KeyPair;
    let appId: string;

    const now = () => new Date().toISOString();
    const track = (name: string): BatchEvent => ({ id: randomUUID(), type: 'track', name, timestamp: now() });
    const send = async (
      user: { id: string } | { anonymousId: string },
      events: BatchEvent[],
      token?: string,
    ) => {
      const res = await server.ingest(
        appId,
        { ...batchFor(user, 0), events },
        token ? { authorization: `Bearer ${token}` } : {},
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    const everything = async () => {
      const events = (await server.admin('GET', `/admin/v1/apps/${appId}/events?limit=1000`)).body.events;
      const failures = (await server.admin('GET', `/admin/v1/apps/${appId}/auth/failures?limit=1000`)).body
        .failures;
      const exported = await server.app.inject({
        method: 'GET',
        url: `/admin/v1/apps/${appId}/events/export`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(exported.statusCode).toBe(200);
      return { events, failures, exported: exported.payload };
    };
    beforeEach(async () => {
      server = await startOn(backend);
      key = await keyPair();
      appId = (await server.admin('POST', '/admin/v1/apps', { name: 'Shop' })).body.id;
      await server.admin('POST', `/admin/v1/apps/${appId}/keys`, { pem: key.publicPem });
      await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'optional' });

      const alice = await signToken(key, { sub: 'alice' });
      // Anonymous first, then alice signs in: the alias links anon-1 to her.
      await send({ anonymousId: 'anon-1' }, [track('Viewed')]);
      await send(
        { id: 'alice' },
        [
          track('Signed in'),
          { id: randomUUID(), type: 'alias', anonymousId: 'anon-1', timestamp: now() },
          {
            id: randomUUID(),
            type: 'attributes',
            attributes: { email: 'alice@example.com' },
            timestamp: now(),
          },
        ],
        alice,
      );
      // Claimed without a token (unverified attributes), and with a token that failed (kept failure).
      await send({ id: 'alice' }, [
        {
          id: randomUUID(),
          type: 'attributes',
          attributes: { email: 'claimed@example.com' },
          timestamp: now(),
        },
      ]);
      await send(
        { id: 'alice' },
        [track('Expired')],
        await signToken(key, { sub: 'alice' }, { ttlSeconds: -600 }),
      );
      // Alice's token sent as mallory's: a failure whose subject is alice.
      await send({ id: 'mallory' }, [track('Borrowed')], alice);
      await send({ id: 'bob' }, [track('Bob was here')], await signToken(key, { sub: 'bob' }));
    });
    afterEach(() => server.close());

    it("deletes the user's events, profile, aliases and failures and answers the counts", async () => {
      const before = await everything();
      expect(before.events.filter((e: any) => e.userId === 'alice')).toHaveLength(5);
      expect(before.exported).toContain('alice@example.com');

      const erased = await server.admin('DELETE', `/admin/v1/apps/${appId}/users/alice`);
      expect(erased.status).toBe(200);
      expect(erased.body).toEqual({ events: 5, aliases: 1, failures: 3, profile: 1 });

      expect((await server.admin('GET', `/admin/v1/apps/${appId}/users/alice`)).status).toBe(404);
      expect((await server.admin('GET', `/admin/v1/apps/${appId}/events?userId=alice`)).body.events).toEqual(
        [],
      );
      const after = await everything();
      const text = JSON.stringify(after);
      expect(text).not.toContain('alice');
      expect(text).not.toContain('claimed@example.com');
      // Everyone else's data is whole: bob, mallory and the anonymous visit.
      expect(after.events.map((e: any) => String(e.userId)).sort()).toEqual(['bob', 'mallory', 'null']);
      expect(after.failures).toHaveLength(0);
      expect((await server.admin('GET', `/admin/v1/apps/${appId}/users/bob`)).status).toBe(200);
      expect(after.exported.trim().split('\n')).toHaveLength(3);

      // The audit entry has the counts and not the user.
      const audit = (await server.admin('GET', `/admin/v1/audit?appId=${appId}&limit=1`)).body.entries[0];
      expect(audit).toMatchObject({
        action: 'user.erased',
        appId,
        details: { events: 5, aliases: 1, failures: 3, profile: 1 },
      });
      expect(JSON.stringify(audit)).not.toContain('alice');
    });

    it('answers 404 for a user with nothing stored, a second erasure and an unknown app; nothing changes', async () => {
      const before = await everything();
      const unknown = await server.admin('DELETE', `/admin/v1/apps/${appId}/users/nobody`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatchObject({
        type: 'request',
        code: 'NOT_FOUND',
        reason: 'unknown_user',
      });
      const noApp = await server.admin('DELETE', '/admin/v1/apps/app_nope/users/alice');
      expect(noApp.status).toBe(404);
      expect(noApp.body.error).toMatchObject({ code: 'APP_NOT_FOUND', reason: 'unknown_app' });
      expect(await everything()).toEqual(before);

      expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/users/bob`)).body).toEqual({
        events: 1,
        aliases: 0,
        failures: 0,
        profile: 1,
      });
      expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/users/bob`)).status).toBe(404);
      const audit = (await server.admin('GET', `/admin/v1/audit?appId=${appId}`)).body.entries;
      expect(audit.filter((e: any) => e.action === 'user.erased')).toHaveLength(1);
    });
  });
}

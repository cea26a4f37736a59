import { randomUUID } from 'node:crypto';
import type { BatchEvent } from '@signet/protocol';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { BACKENDS } from './backends.ts';
import { ADMIN_TOKEN, batchFor, type KeyPair, keyPair, nowSeconds, signToken } from './helpers.ts';

/*
 * What an anonymous, unverified or other verified sender can do to a verified user's data
 * (SPEC §3): nothing. Each attack first claims the id of Alice's next event, then Alice sends
 * it with her valid token. Through the real ingestion route, on each backend.
 */

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`a verified user's data: ${backend.name}`, () => {
    let app: FastifyInstance;
    let cleanup: () => Promise<void>;
    let key: KeyPair;
    let mallory: string;

    const admin = async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(body !== undefined && { payload: body as object }),
      });
      return { status: res.statusCode, body: res.json() };
    };
    const newApp = async (mode: 'optional' | 'required') => {
      const appId = (await admin('POST', '/admin/v1/apps', { name: 'Shop' })).body.id as string;
      await admin('POST', `/admin/v1/apps/${appId}/keys`, { pem: key.publicPem });
      await admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode });
      return appId;
    };
    const send = async (appId: string, batch: unknown, token?: string) => {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/apps/${appId}/batch`,
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        payload: JSON.stringify(batch),
      });
      return { status: res.statusCode, body: res.json() };
    };
    const alice = () => signToken(key, { sub: 'alice' });
    const batchOf = (user: { id: string } | { anonymousId: string }, events: BatchEvent[]) => ({
      ...batchFor(user, 0),
      events,
    });
    const track = (id: string, name: string): BatchEvent => ({
      id,
      type: 'track',
      name,
      timestamp: new Date().toISOString(),
    });
    const attributes = (id: string, values: Record<string, string>): BatchEvent => ({
      id,
      type: 'attributes',
      timestamp: new Date().toISOString(),
      attributes: values,
    });
    const aliceEvents = async (appId: string) =>
      (await admin('GET', `/admin/v1/apps/${appId}/events?userId=alice`)).body.events as {
        id: string;
        name?: string;
        verified: boolean | null;
      }[];

    beforeAll(async () => {
      const opened = await backend.open();
      await opened.store.migrate();
      cleanup = opened.cleanup;
      app = await buildApp({
        store: opened.store,
        adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
        config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0 },
        dashboardDir: null,
      });
      key = await keyPair('ES256');
      mallory = await signToken(key, { sub: 'mallory' });
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    it('an anonymous batch, another verified user or an unverified batch cannot pre-claim an event id', async () => {
      const appId = await newApp('optional');
      const [x1, x2, x3] = [randomUUID(), randomUUID(), randomUUID()];
      // Each answer is what a fresh id gets: nothing says whether Alice used it.
      const claims = [
        await send(appId, batchOf({ anonymousId: randomUUID() }, [track(x1, 'Junk')])),
        await send(appId, batchOf({ id: 'mallory' }, [track(x2, 'Junk')]), mallory),
        await send(appId, batchOf({ id: 'alice' }, [track(x3, 'Junk')])),
      ];
      for (const claim of claims)
        expect(claim).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 0 } });
      expect(claims[2]?.body.authWarning).toEqual({ code: 'TOKEN_NOT_AVAILABLE', reason: 'missing' });

      const mine = batchOf({ id: 'alice' }, [track(x1, 'Paid'), track(x2, 'Paid'), track(x3, 'Paid')]);
      const token = await alice();
      expect(await send(appId, mine, token)).toEqual({ status: 200, body: { accepted: 3, duplicates: 0 } });
      // Alice's SDK re-sending the same batch (a lost answer) stores nothing twice.
      expect(await send(appId, mine, token)).toEqual({ status: 200, body: { accepted: 0, duplicates: 3 } });

      const stored = await aliceEvents(appId);
      const verified = stored.filter((e) => e.verified === true);
      expect(verified.map((e) => e.id).sort()).toEqual([x1, x2, x3].sort());
      expect(verified.every((e) => e.name === 'Paid')).toBe(true);
    });

    it('a pre-claimed attributes event id still updates the verified profile', async () => {
      const appId = await newApp('required');
      const y = randomUUID();
      const junk = batchOf({ anonymousId: randomUUID() }, [attributes(y, { email: 'attacker@example.com' })]);
      expect((await send(appId, junk)).status).toBe(200);
      const other = batchOf({ id: 'mallory' }, [attributes(y, { email: 'attacker@example.com' })]);
      expect((await send(appId, other, mallory)).status).toBe(200);
      const mine = batchOf({ id: 'alice' }, [attributes(y, { email: 'alice@example.com' })]);
      expect(await send(appId, mine, await alice())).toEqual({
        status: 200,
        body: { accepted: 1, duplicates: 0 },
      });
      const profile = await admin('GET', `/admin/v1/apps/${appId}/users/alice`);
      expect(profile.body.attributes).toEqual({ email: 'alice@example.com' });
    });

    it('unverified attributes are kept apart: only verified batches change the profile', async () => {
      const appId = await newApp('optional');
      const verified = batchOf({ id: 'alice' }, [attributes(randomUUID(), { email: 'alice@example.com' })]);
      expect((await send(appId, verified, await alice())).body).toEqual({ accepted: 1, duplicates: 0 });
      // No token, then Mallory's token claimed for alice: both stored (optional mode), unverified.
      const forged = [
        await send(
          appId,
          batchOf({ id: 'alice' }, [attributes(randomUUID(), { email: 'attacker@example.com' })]),
        ),
        await send(appId, batchOf({ id: 'alice' }, [attributes(randomUUID(), { plan: 'free' })]), mallory),
      ];
      expect(forged.map((f) => f.body.authWarning?.code)).toEqual([
        'TOKEN_NOT_AVAILABLE',
        'IDENTIFIER_MISMATCH',
      ]);
      const profile = await admin('GET', `/admin/v1/apps/${appId}/users/alice`);
      expect(profile.status).toBe(200);
      expect(profile.body.attributes).toEqual({ email: 'alice@example.com' });
      expect(profile.body.unverifiedAttributes).toEqual({ email: 'attacker@example.com', plan: 'free' });
    });

    it('tokens live 30 days at most by default: exp 1e20 and a far exp without iat are refused', async () => {
      const appId = await newApp('required');
      const settings = (await admin('GET', `/admin/v1/apps/${appId}`)).body.jwt;
      expect(settings.maxTokenLifetimeSeconds).toBe(30 * 86_400);
      const now = nowSeconds();
      const cases: [claims: Record<string, unknown>, status: number][] = [
        [{ sub: 'alice', iat: now, exp: 1e20 }, 401],
        [{ sub: 'alice', exp: 1e20 }, 401],
        [{ sub: 'alice', exp: now + 31 * 86_400 }, 401],
        [{ sub: 'alice', iat: now, exp: now + 30 * 86_400 + 1 }, 401],
        [{ sub: 'alice', iat: now, exp: now + 30 * 86_400 }, 200],
        [{ sub: 'alice', exp: now + 3600 }, 200],
      ];
      for (const [claims, status] of cases) {
        const res = await send(appId, batchFor({ id: 'alice' }, 1), await signExactly(key, claims));
        expect({ claims, status: res.status }).toEqual({ claims, status });
        if (status === 401)
          expect(res.body.error).toMatchObject({
            code: 'TIME_CONSTRAINT_FAILURE',
            reason: 'lifetime_too_long',
          });
      }
      // At most one year; null puts the default back.
      const put = (max: number | null) =>
        admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'required', maxTokenLifetimeSeconds: max });
      expect((await put(365 * 86_400)).body.maxTokenLifetimeSeconds).toBe(365 * 86_400);
      expect((await put(365 * 86_400 + 1)).status).toBe(400);
      expect((await put(null)).body.maxTokenLifetimeSeconds).toBe(30 * 86_400);
    });
  });
}

/** A token with exactly these claims (signToken always adds `iat`). */
function signExactly(key: KeyPair, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: 'JWT' }).sign(key.privateKey);
}

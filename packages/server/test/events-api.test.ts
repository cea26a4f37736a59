import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/admin/event-cursor.ts';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { BACKENDS } from './backends.ts';
import { ADMIN_TOKEN, batchFor, type KeyPair, keyPair, signToken } from './helpers.ts';

/*
 * GET /admin/v1/apps/:appId/events and …/events/export (SPEC §5) through the real routes on each
 * backend: filters, cursor paging that stays exact while events arrive, the export's order and
 * format, and the 400/404 answers (standard error body, nothing of the request repeated).
 */

interface WireEvent {
  id: string;
  name?: string;
  userId: string | null;
  verified: boolean | null;
  receivedAt: string;
  properties?: Record<string, unknown>;
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`events API: ${backend.name}`, () => {
    let app: FastifyInstance;
    let cleanup: () => Promise<void>;
    let key: KeyPair;
    let appId: string;
    let clock = Date.parse('2026-11-28T09:00:00.000Z');

    const get = async (url: string) => {
      const res = await app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      return { status: res.statusCode, headers: res.headers, payload: res.payload };
    };
    const list = async (query: string) => {
      const res = await get(`/admin/v1/apps/${appId}/events?${query}`);
      expect(res.status, res.payload).toBe(200);
      return JSON.parse(res.payload) as { events: WireEvent[]; nextCursor: string | null };
    };
    const send = async (user: { id: string } | { anonymousId: string }, names: string[], token?: string) => {
      const batch = batchFor(
        user,
        0,
        names.map((name) => ({ type: 'track' as const, name })),
      );
      const res = await app.inject({
        method: 'POST',
        url: `/v1/apps/${appId}/batch`,
        headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
        payload: JSON.stringify(batch),
      });
      expect(res.statusCode, res.payload).toBe(200);
      clock += 1_000;
    };
    /** Follows nextCursor to the end; `during` runs between pages. */
    const walk = async (query: string, during?: () => Promise<void>) => {
      const seen: WireEvent[] = [];
      let cursor: string | null = null;
      do {
        const page = await list(`${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        seen.push(...page.events);
        cursor = page.nextCursor;
        if (cursor) await during?.();
      } while (cursor);
      return seen;
    };

    beforeAll(async () => {
      const opened = await backend.open();
      await opened.store.migrate();
      cleanup = opened.cleanup;
      app = await buildApp({
        store: opened.store,
        adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
        config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0 },
        dashboardDir: null,
        now: () => clock,
      });
      key = await keyPair();
      const created = await app.inject({
        method: 'POST',
        url: '/admin/v1/apps',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'Shop' },
      });
      appId = created.json().id;
      for (const [method, url, payload] of [
        ['POST', `/admin/v1/apps/${appId}/keys`, { pem: key.publicPem }],
        ['PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'optional' }],
      ] as const) {
        const res = await app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          payload,
        });
        expect(res.statusCode, res.payload).toBeLessThan(300);
      }
      const forger = await keyPair();
      const token = (k: KeyPair, sub: string) => signToken(k, { sub }, { now: clock });
      await send({ id: 'alice' }, ['Viewed', 'Added to cart'], await token(key, 'alice')); // 09:00:00
      await send({ id: 'bob' }, ['Viewed'], await token(forger, 'bob')); // 09:00:01, unverified
      await send({ anonymousId: randomUUID() }, ['Viewed']); // 09:00:02
      await send({ id: 'alice' }, ['Bought'], await token(key, 'alice')); // 09:00:03
    });
    afterAll(() => cleanup());

    it('answers events newest first, as sent plus userId, receivedAt and verified, with nextCursor null at the end', async () => {
      const page = await list('');
      expect(page.nextCursor).toBeNull();
      expect(page.events.map((e) => [e.name, e.userId, e.verified, e.receivedAt])).toEqual([
        ['Bought', 'alice', true, '2026-11-28T09:00:03.000Z'],
        ['Viewed', null, null, '2026-11-28T09:00:02.000Z'],
        ['Viewed', 'bob', false, '2026-11-28T09:00:01.000Z'],
        ['Added to cart', 'alice', true, '2026-11-28T09:00:00.000Z'],
        ['Viewed', 'alice', true, '2026-11-28T09:00:00.000Z'],
      ]);
      expect(page.events[0]).toMatchObject({
        type: 'track',
        timestamp: expect.any(String),
        id: expect.any(String),
      });
    });

    it('filters by userId, name, verified and from/to on receivedAt', async () => {
      const names = async (query: string) => (await list(query)).events.map((e) => `${e.name}/${e.userId}`);
      expect(await names('userId=alice')).toEqual(['Bought/alice', 'Added to cart/alice', 'Viewed/alice']);
      expect(await names('name=Viewed')).toEqual(['Viewed/null', 'Viewed/bob', 'Viewed/alice']);
      expect(await names('verified=false')).toEqual(['Viewed/bob']);
      expect(await names('verified=true&name=Viewed')).toEqual(['Viewed/alice']);
      expect(await names('from=2026-11-28T09:00:01Z&to=2026-11-28T09:00:03Z')).toEqual([
        'Viewed/null',
        'Viewed/bob',
      ]);
      expect(await names('from=2026-11-28T10:00:01%2B01:00')).toEqual([
        'Bought/alice',
        'Viewed/null',
        'Viewed/bob',
      ]);
      expect(await names('to=2026-11-28')).toEqual([]);
    });

    it('pages with limit and nextCursor, each event exactly once, while new events arrive during the walk', async () => {
      const everything = (await list('limit=1000')).events.map((e) => e.id);
      const first = await list('limit=2');
      expect(first.events).toHaveLength(2);
      expect(first.nextCursor).toEqual(expect.any(String));
      const alice = await signToken(key, { sub: 'alice' }, { now: clock });
      const seen = await walk('limit=2', () => send({ id: 'alice' }, ['Arrived during the walk'], alice));
      expect(seen.map((e) => e.id)).toEqual(everything);
      expect((await walk('limit=1&userId=alice')).map((e) => e.name)).toEqual(
        (await list('userId=alice')).events.map((e) => e.name),
      );
    });

    it('exports NDJSON oldest first with the same filters', async () => {
      const res = await get(`/admin/v1/apps/${appId}/events/export?userId=alice`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = res.payload
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as WireEvent);
      const newest = (await list('userId=alice&limit=1000')).events;
      expect(lines).toEqual([...newest].reverse());
      expect(res.payload.endsWith('\n')).toBe(true);
      const none = await get(`/admin/v1/apps/${appId}/events/export?name=Nothing`);
      expect(none.status).toBe(200);
      expect(none.payload).toBe('');
    });

    it('refuses a bad cursor, a bad date, a bad limit or verified with 400, and an unknown app with 404, echoing nothing', async () => {
      const valid = (await list('limit=1')).nextCursor as string;
      const position = decodeCursor(valid);
      const bad = [
        'cursor=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
        `cursor=${valid.slice(0, -2)}`,
        `cursor=${valid}AA`,
        `cursor=${Buffer.from(`v1.${position.receivedAt}.-1`).toString('base64url')}`,
        `cursor=${Buffer.from(`v2.${position.receivedAt}.${position.seq}`).toString('base64url')}`,
        `cursor=${Buffer.from('v1.99999999999999999999.1').toString('base64url')}`,
        'from=%3Cscript%3E',
        'from=2026-02-30',
        'to=2026-11-28T25:00:00Z',
        'from=2026-11-28T09:00:00', // no zone: no instant
        'from=2026-11-29&to=2026-11-28',
        'limit=0',
        'limit=1001',
        'verified=maybe',
      ];
      for (const query of bad) {
        for (const path of ['events', 'events/export']) {
          if (path === 'events/export' && (query.startsWith('cursor') || query.startsWith('limit'))) continue;
          const res = await get(`/admin/v1/apps/${appId}/${path}?${query}`);
          expect(res.status, `${path}?${query}`).toBe(400);
          const body = JSON.parse(res.payload);
          expect(body.error).toMatchObject({
            type: 'request',
            code: 'INVALID_REQUEST',
            reason: 'invalid_field',
          });
          expect(res.payload).not.toContain('script');
          expect(res.payload).not.toContain('2026-02-30');
          expect(res.payload).not.toContain('maybe');
        }
      }
      expect(encodeCursor(position)).toBe(valid);
      for (const path of ['events', 'events/export']) {
        const res = await get(`/admin/v1/apps/app_nobody/${path}`);
        expect(res.status).toBe(404);
        expect(JSON.parse(res.payload).error).toMatchObject({ code: 'APP_NOT_FOUND', reason: 'unknown_app' });
      }
    });
  });
}

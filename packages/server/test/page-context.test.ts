import { randomUUID } from 'node:crypto';
import type { Batch } from '@signet/protocol';
import { LIMITS } from '@signet/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import type { Store } from '../src/store/store.ts';
import { BACKENDS } from './backends.ts';
import { ADMIN_TOKEN } from './helpers.ts';

// SPEC §6.1 on the server: `page` events, and a `context` object on any event, validated,
// stored with the event and returned by the admin API, on every storage backend.

const CONTEXT = {
  library: { name: 'signet-web', version: '0.1.0' },
  locale: 'nl-NL',
  timezone: 'Europe/Amsterdam',
  userAgent: 'Mozilla/5.0 (test)',
  page: {
    url: 'https://shop.test/teas?utm_source=news',
    path: '/teas',
    referrer: '',
    title: 'Teas',
    search: '?utm_source=news',
  },
  screen: { width: 390, height: 844 },
  campaign: { source: 'news' },
  // Not a field Signet's SDKs fill: any JSON is kept, as Segment keeps custom context.
  app: { build: 412, flags: ['a', 'b'] },
};

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`page events and context: ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let app: FastifyInstance;
    let appId: string;

    beforeAll(async () => {
      ({ store, cleanup } = await backend.open());
      await store.migrate();
      app = await buildApp({
        store,
        adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
        config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0 },
      });
      const created = await app.inject({
        method: 'POST',
        url: '/admin/v1/apps',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'Pages' },
      });
      appId = created.json().id;
    });
    afterAll(async () => {
      await app?.close();
      await cleanup?.();
    });

    const send = async (events: object[], user: Batch['user'] = { anonymousId: randomUUID() }) => {
      const timestamp = new Date().toISOString();
      const res = await app.inject({
        method: 'POST',
        url: `/v1/apps/${appId}/batch`,
        headers: { 'content-type': 'application/json' },
        payload: {
          batchId: randomUUID(),
          sdk: { name: 'signet-web', version: '0.1.0' },
          user,
          events: events.map((e) => ({ id: randomUUID(), timestamp, ...e })),
        },
      });
      return { status: res.statusCode, body: res.json() };
    };
    const stored = async (userId: string) =>
      (
        await app.inject({
          method: 'GET',
          url: `/admin/v1/apps/${appId}/events?userId=${userId}`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        })
      ).json().events as Record<string, unknown>[];

    it('stores page events, named or not, and any event’s context, returned as sent', async () => {
      const user = `u-${randomUUID()}`;
      const res = await send(
        [
          { type: 'page', name: 'Teas', properties: { path: '/teas' }, context: CONTEXT },
          { type: 'page', context: CONTEXT },
          { type: 'track', name: 'Viewed', context: CONTEXT },
          { type: 'attributes', attributes: { plan: 'pro' }, context: CONTEXT },
          { type: 'alias', anonymousId: randomUUID(), context: CONTEXT },
        ],
        { id: user },
      );
      expect(res).toEqual({ status: 200, body: { accepted: 5, duplicates: 0 } });
      const events = await stored(user);
      expect(events.map((e) => e.type).sort()).toEqual(['alias', 'attributes', 'page', 'page', 'track']);
      for (const event of events) expect(event.context).toEqual(CONTEXT);
      const pages = events.filter((e) => e.type === 'page');
      expect(pages.find((e) => e.name === 'Teas')).toMatchObject({ properties: { path: '/teas' } });
      expect(pages.find((e) => e.name === undefined)).not.toHaveProperty('properties');
    });

    it('refuses a bad page name and a context that is not an object, each by its pointer', async () => {
      const res = await send([
        { type: 'page', name: '' },
        { type: 'page', name: 'x'.repeat(LIMITS.maxEventNameLength + 1) },
        { type: 'page', properties: [1] },
        { type: 'track', name: 'A', context: 'web' },
        { type: 'page', context: [1] },
      ]);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_BATCH', reason: 'invalid_field' });
      const pointers = (res.body.error.details as { pointer: string }[]).map((d) => d.pointer);
      // Ajv stops at the first bad event; each shape below is also refused alone.
      expect(pointers[0]).toBe('/events/0/name');
      for (const [event, pointer] of [
        [{ type: 'page', name: 'x'.repeat(LIMITS.maxEventNameLength + 1) }, '/events/0/name'],
        [{ type: 'page', properties: [1] }, '/events/0/properties'],
        [{ type: 'track', name: 'A', context: 'web' }, '/events/0/context'],
        [{ type: 'page', context: [1] }, '/events/0/context'],
      ] as const) {
        const alone = await send([event]);
        expect(alone.status, pointer).toBe(400);
        expect(alone.body.error.details, JSON.stringify(event)).toContainEqual(
          expect.objectContaining({ pointer }),
        );
      }
    });

    it('counts the context in the 32 KiB of an event and in its 64 levels', async () => {
      const half = 'x'.repeat(LIMITS.maxEventBytes / 2);
      const big = await send([{ type: 'page', properties: { half }, context: { half } }]);
      expect(big.status).toBe(400);
      expect(big.body.error).toMatchObject({ reason: 'event_too_large' });
      expect(big.body.error.details).toEqual([
        { pointer: '/events/0', message: expect.stringContaining('32768') },
      ]);

      // context {} is level 1, like properties: 63 more levels make 64, the most there may be.
      const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
      const deep = await send([{ type: 'track', name: 'A', context: { deep: nested(64) } }]);
      expect(deep.status).toBe(400);
      expect(deep.body.error.details).toEqual([
        { pointer: '/events/0', message: expect.stringContaining('64 levels') },
      ]);
      expect((await send([{ type: 'track', name: 'A', context: { deep: nested(63) } }])).status).toBe(200);
    });
  });
}

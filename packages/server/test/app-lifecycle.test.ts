import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BackendInstance, type BackendServer, startOn } from './backend-server.ts';
import { BACKENDS, POSTGRES } from './backends.ts';
import { batchFor, type KeyPair, keyPair, signToken } from './helpers.ts';

/** Stores a verified batch, an alias, a profile and a kept failure for the app. */
async function fill(server: BackendInstance, appId: string, key: KeyPair): Promise<void> {
  await server.admin('POST', `/admin/v1/apps/${appId}/keys`, { pem: key.publicPem });
  await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'optional' });
  const batch = batchFor({ id: 'alice' }, 3, [
    { type: 'alias', anonymousId: 'anon-1' },
    { type: 'attributes', attributes: { plan: 'pro' } },
  ]);
  const token = await signToken(key, { sub: 'alice' });
  const sent = await server.ingest(appId, batch, { authorization: `Bearer ${token}` });
  expect(sent.body).toEqual({ accepted: 5, duplicates: 0 });
  const expired = await signToken(key, { sub: 'bob' }, { ttlSeconds: -600 });
  const late = await server.ingest(appId, batchFor({ id: 'bob' }, 1), { authorization: `Bearer ${expired}` });
  expect(late.status).toBe(200);
}

/*
 * An app's life through the admin API (SPEC §5): rename, retention, delete. On each backend,
 * through the real routes; every refusal leaves the app as it was.
 */
for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(`app lifecycle: ${backend.name}`, () => {
    let server: BackendServer;
    let appId: string;

    beforeEach(async () => {
      server = await startOn(backend);
      const created = await server.admin('POST', '/admin/v1/apps', { name: 'Shop' });
      expect(created.body.retentionDays).toBeNull();
      appId = created.body.id;
    });
    afterEach(() => server.close());

    describe('PATCH /admin/v1/apps/:appId', () => {
      it('renames the app and sets its retention, each field on its own', async () => {
        const renamed = await server.admin('PATCH', `/admin/v1/apps/${appId}`, { name: '  Shop EU ' });
        expect(renamed.status).toBe(200);
        expect(renamed.body).toMatchObject({ id: appId, name: 'Shop EU', retentionDays: null });

        const kept = await server.admin('PATCH', `/admin/v1/apps/${appId}`, { retentionDays: 30 });
        expect(kept.body).toMatchObject({ name: 'Shop EU', retentionDays: 30 });
        expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body).toEqual(kept.body);
        expect((await server.admin('GET', '/admin/v1/apps')).body.apps).toEqual([kept.body]);

        for (const days of [1, 3650, null]) {
          const set = await server.admin('PATCH', `/admin/v1/apps/${appId}`, { retentionDays: days });
          expect(set.status).toBe(200);
          expect(set.body.retentionDays).toBe(days);
        }
        expect((await server.store.getApp(appId))?.retentionDays).toBeNull();
      });

      it('refuses a retention out of 1–3650, a wrong type or an unknown field: 400, nothing changed', async () => {
        await server.admin('PATCH', `/admin/v1/apps/${appId}`, { retentionDays: 90 });
        const before = await server.admin('GET', `/admin/v1/apps/${appId}`);
        for (const body of [
          { retentionDays: 0 },
          { retentionDays: 4000 },
          { retentionDays: -1 },
          { retentionDays: 1.5 },
          { retentionDays: '30' },
          { name: '' },
          { name: 'x'.repeat(201) },
          { name: 'New', mode: 'required' },
          { name: 'New', retentionDays: 0 },
        ]) {
          const res = await server.admin('PATCH', `/admin/v1/apps/${appId}`, body);
          expect(res.status, JSON.stringify(body)).toBe(400);
          expect(res.body.error).toMatchObject({
            type: 'request',
            code: 'INVALID_REQUEST',
            reason: 'invalid_field',
          });
        }
        expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body).toEqual(before.body);
      });

      it('answers 404 APP_NOT_FOUND for an unknown app', async () => {
        const res = await server.admin('PATCH', '/admin/v1/apps/app_nope', { name: 'x' });
        expect(res.status).toBe(404);
        expect(res.body.error).toMatchObject({ code: 'APP_NOT_FOUND', reason: 'unknown_app' });
      });
    });

    describe('DELETE /admin/v1/apps/:appId', () => {
      let key: KeyPair;
      let otherApp: string;

      beforeEach(async () => {
        key = await keyPair();
        await fill(server, appId, key);
        otherApp = (await server.admin('POST', '/admin/v1/apps', { name: 'Other' })).body.id;
        await fill(server, otherApp, key);
      });

      /** Everything the store holds of an app, read through the store itself. */
      const holdings = async (id: string) => ({
        app: await server.store.getApp(id),
        keys: (await server.store.listKeys(id)).length,
        events: (await server.store.listEvents(id, { limit: 1000 })).length,
        alice: await server.store.getUser(id, 'alice'),
        bob: await server.store.getUser(id, 'bob'),
        failures: (await server.store.authFailures(id, 1000)).length,
        outcomes: (await server.store.authStats(id, 0)).length,
      });

      it('refuses without ?confirm= or with another id: 400, nothing deleted', async () => {
        const before = await holdings(appId);
        expect(before).toMatchObject({ keys: 1, events: 6, failures: 1 });
        for (const query of ['', '?confirm=', `?confirm=${otherApp}`, `?confirm=${appId.toUpperCase()}`]) {
          const res = await server.admin('DELETE', `/admin/v1/apps/${appId}${query}`);
          expect(res.status, query).toBe(400);
          expect(res.body.error).toMatchObject({
            type: 'request',
            code: 'INVALID_REQUEST',
            reason: 'confirm_mismatch',
          });
        }
        expect(await holdings(appId)).toEqual(before);
        expect((await server.ingest(appId, batchFor({ anonymousId: 'a' }, 1))).status).toBe(200);
      });

      it('answers 404 for an unknown app', async () => {
        const res = await server.admin('DELETE', '/admin/v1/apps/app_nope?confirm=app_nope');
        expect(res.status).toBe(404);
        expect(res.body.error).toMatchObject({ code: 'APP_NOT_FOUND', reason: 'unknown_app' });
      });

      it('deletes the app and everything of it; its ingestion URL answers 404; other apps stay whole', async () => {
        // The app is cached by ingestion before it goes.
        expect((await server.ingest(appId, batchFor({ anonymousId: 'a' }, 1))).status).toBe(200);
        const other = await holdings(otherApp);

        const res = await server.admin('DELETE', `/admin/v1/apps/${appId}?confirm=${appId}`);
        expect(res.status).toBe(204);
        expect(res.body).toBe('');

        expect(await holdings(appId)).toEqual({
          app: null,
          keys: 0,
          events: 0,
          alice: null,
          bob: null,
          failures: 0,
          outcomes: 0,
        });
        expect(await holdings(otherApp)).toEqual(other);
        expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).status).toBe(404);
        expect((await server.admin('GET', '/admin/v1/apps')).body.apps.map((a: any) => a.id)).toEqual([
          otherApp,
        ]);
        const ingest = await server.ingest(appId, batchFor({ anonymousId: 'a' }, 1));
        expect(ingest.status).toBe(404);
        expect(ingest.body.error).toMatchObject({ code: 'APP_NOT_FOUND', reason: 'unknown_app' });
        expect((await server.admin('DELETE', `/admin/v1/apps/${appId}?confirm=${appId}`)).status).toBe(404);

        // The audit log outlives the app.
        const audit = (await server.admin('GET', `/admin/v1/audit?appId=${appId}&limit=1`)).body.entries[0];
        expect(audit).toMatchObject({
          action: 'app.deleted',
          appId,
          before: { name: 'Shop', retentionDays: null },
          details: { events: 7, profiles: 2, aliases: 1, failures: 1 },
        });
      });
    });
  });
}

describe.skipIf(POSTGRES.unavailable !== null)('app deletion across instances on one PostgreSQL', () => {
  it('an app deleted on A answers 404 at once on B, which had it cached', async () => {
    const a = await startOn(POSTGRES);
    try {
      const b = await a.another();
      const appId = (await a.admin('POST', '/admin/v1/apps', { name: 'Shared' })).body.id;
      const batch = () => ({ ...batchFor({ anonymousId: randomUUID() }, 1) });
      expect((await b.ingest(appId, batch())).status).toBe(200);
      expect((await a.admin('DELETE', `/admin/v1/apps/${appId}?confirm=${appId}`)).status).toBe(204);
      const started = Date.now();
      await vi.waitFor(
        async () => {
          expect((await b.ingest(appId, batch())).status).toBe(404);
        },
        { timeout: 5_000, interval: 20 },
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await b.admin('GET', `/admin/v1/apps/${appId}/events`)).status).toBe(404);
      expect(await a.store.listEvents(appId, { limit: 10 })).toEqual([]);
    } finally {
      await a.close();
    }
  });
});

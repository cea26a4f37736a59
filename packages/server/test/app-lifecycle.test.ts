import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BackendServer, startOn } from './backend-server.ts';
import { BACKENDS } from './backends.ts';

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
  });
}

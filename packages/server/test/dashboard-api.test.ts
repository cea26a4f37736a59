import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import {
  ADMIN_TOKEN,
  appWithKey,
  batchFor,
  keyPair,
  signToken,
  startServer,
  type TestServer,
  tempDir,
} from './helpers.ts';

let server: TestServer;
let clock = Date.parse('2025-06-01T12:30:10Z');
afterEach(() => server?.close());

async function start() {
  clock = Date.parse('2025-06-01T12:30:10Z');
  server = await startServer({}, { now: () => clock });
}

const bearer = async (key: Awaited<ReturnType<typeof keyPair>>, sub: string) => ({
  authorization: `Bearer ${await signToken(key, { sub }, { now: clock })}`,
});

describe('GET /admin/v1/activity', () => {
  it("sums every app's events by outcome over the window, with the verified share", async () => {
    await start();
    const key = await keyPair();
    const forger = await keyPair();
    const { appId } = await appWithKey(server, key, 'optional');
    const quiet = (await server.admin('POST', '/admin/v1/apps', { name: 'Quiet' })).body.id;

    await server.ingest(appId, batchFor({ id: 'u1' }, 3), await bearer(key, 'u1'));
    await server.ingest(appId, batchFor({ id: 'u1' }, 1), await bearer(forger, 'u1'));
    await server.ingest(appId, batchFor({ anonymousId: 'a1' }, 2));
    clock -= 25 * 3_600_000; // older than the window: not counted
    await server.ingest(appId, batchFor({ id: 'u1' }, 7), await bearer(key, 'u1'));
    clock += 25 * 3_600_000;

    const res = await server.admin('GET', '/admin/v1/activity?hours=24');
    expect(res.status).toBe(200);
    expect(res.body.since).toBe('2025-05-31T13:00:00.000Z');
    expect(res.body.apps).toHaveLength(1);
    const [row] = res.body.apps;
    expect(row).toMatchObject({ appId, events: 6, verifiedShare: 0.75 });
    expect(row.totals.verified).toEqual({ batches: 1, events: 3 });
    expect(row.totals.unverified).toEqual({ batches: 1, events: 1 });
    expect(row.totals.anonymous).toEqual({ batches: 1, events: 2 });
    expect(row.totals.rejected).toEqual({ batches: 0, events: 0 });
    expect(res.body.apps.find((a: { appId: string }) => a.appId === quiet)).toBeUndefined();

    const week = await server.admin('GET', '/admin/v1/activity?hours=168');
    expect(week.body.apps[0].events).toBe(13);
  });

  it('counts rejected batches and gives no share without identified traffic', async () => {
    await start();
    const key = await keyPair();
    const { appId } = await appWithKey(server, key, 'required');
    await server.ingest(appId, batchFor({ id: 'u1' }, 2));
    const other = (await server.admin('POST', '/admin/v1/apps', { name: 'Anon' })).body.id;
    await server.ingest(other, batchFor({ anonymousId: 'a' }, 4));
    const apps = (await server.admin('GET', '/admin/v1/activity')).body.apps;
    const byId = Object.fromEntries(apps.map((a: { appId: string }) => [a.appId, a]));
    expect(byId[appId]).toMatchObject({ events: 2, verifiedShare: 0 });
    expect(byId[appId].totals.rejected).toEqual({ batches: 1, events: 2 });
    expect(byId[other]).toMatchObject({ events: 4, verifiedShare: null });
  });
});

describe('GET /admin/v1/apps/:appId/overview', () => {
  it('gives events per minute with zeros filled, and SDK versions by events', async () => {
    await start();
    const app = (await server.admin('POST', '/admin/v1/apps', { name: 'Shop' })).body.id;
    const send = (n: number, version: string) =>
      server.ingest(app, { ...batchFor({ anonymousId: 'a' }, n), sdk: { name: 'signet-web', version } });
    await send(2, '1.0.0');
    clock -= 120_000;
    await send(4, '0.9.0');
    await send(1, '1.0.0');
    clock += 120_000;

    const res = await server.admin('GET', `/admin/v1/apps/${app}/overview?minutes=5`);
    expect(res.status).toBe(200);
    expect(res.body.eventsPerMinute.points).toEqual([
      { minute: '2025-06-01T12:26:00.000Z', events: 0 },
      { minute: '2025-06-01T12:27:00.000Z', events: 0 },
      { minute: '2025-06-01T12:28:00.000Z', events: 5 },
      { minute: '2025-06-01T12:29:00.000Z', events: 0 },
      { minute: '2025-06-01T12:30:00.000Z', events: 2 },
    ]);
    expect(res.body.sdkVersions.versions).toEqual([
      { name: 'signet-web', version: '0.9.0', events: 4, lastSeen: '2025-06-01T12:28:10.000Z' },
      { name: 'signet-web', version: '1.0.0', events: 3, lastSeen: '2025-06-01T12:30:10.000Z' },
    ]);
    expect((await server.admin('GET', '/admin/v1/apps/app_nope/overview')).status).toBe(404);
    expect((await server.admin('GET', `/admin/v1/apps/${app}/overview?minutes=0`)).status).toBe(400);
  });
});

describe('GET /admin/v1/apps/:appId/auth/failures?code=', () => {
  it('filters the newest failures by code', async () => {
    await start();
    const key = await keyPair();
    const { appId } = await appWithKey(server, key, 'required');
    await server.ingest(appId, batchFor({ id: 'u1' }));
    await server.ingest(appId, batchFor({ id: 'u1' }), await bearer(key, 'someone-else'));
    await server.ingest(appId, batchFor({ id: 'u2' }));
    const all = await server.admin('GET', `/admin/v1/apps/${appId}/auth/failures`);
    expect(all.body.failures.map((f: { code: string }) => f.code)).toEqual([
      'TOKEN_NOT_AVAILABLE',
      'IDENTIFIER_MISMATCH',
      'TOKEN_NOT_AVAILABLE',
    ]);
    const one = await server.admin('GET', `/admin/v1/apps/${appId}/auth/failures?code=IDENTIFIER_MISMATCH`);
    expect(one.body.failures).toHaveLength(1);
    expect(one.body.failures[0]).toMatchObject({ subject: 'someone-else', userId: 'u1' });
    const bad = await server.admin('GET', `/admin/v1/apps/${appId}/auth/failures?code=NOPE`);
    expect(bad.status).toBe(400);
  });
});

describe('OpenAPI', () => {
  it('documents the session and aggregate endpoints', async () => {
    await start();
    const doc = (await server.app.inject({ url: '/docs/json' })).json();
    for (const path of [
      '/admin/v1/session',
      '/admin/v1/activity',
      '/admin/v1/apps/{appId}/overview',
      '/admin/v1/apps/{appId}/auth/failures',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(Object.keys(doc.paths['/admin/v1/session']).sort()).toEqual(['delete', 'get', 'post']);
  });
});

describe('the dashboard at /', () => {
  async function appServing(dir: string | null) {
    const { dir: dbDir, cleanup } = tempDir();
    const store = openSqliteStore({ filename: join(dbDir, 'signet.db') });
    await store.migrate();
    const app = await buildApp({
      store,
      adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
      dashboardDir: dir,
    });
    return {
      app,
      close: async () => {
        await app.close();
        await store.close();
        cleanup();
      },
    };
  }

  it('serves the built files with a strict CSP, and keeps JSON 404s for unknown paths', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Signet dashboard</title>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    const served = await appServing(dir);
    try {
      const page = await served.app.inject({ url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Signet dashboard');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      const asset = await served.app.inject({ url: '/assets/index-abc123.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
      const missing = await served.app.inject({ url: '/nothing.js' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('NOT_FOUND');
    } finally {
      await served.close();
      cleanup();
    }
  });

  it('serves a placeholder that says how to build when there is no build', async () => {
    const served = await appServing(null);
    try {
      const page = await served.app.inject({ url: '/' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('npm run build');
    } finally {
      await served.close();
    }
  });
});

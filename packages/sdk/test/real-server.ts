import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminTokenCheck, buildApp, openStore, type ServerConfig } from '@signet/server';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';

const ADMIN = 'sdk-test-admin-token-0123456789';

/** A real Signet server on a real SQLite file, listening on 127.0.0.1 (port 0). */
export async function realServer(
  config: Partial<ServerConfig> = {},
  options: { sqliteBusyTimeoutMs?: number } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'signet-sdk-'));
  const dbPath = join(dir, 'signet.db');
  const store = openStore(`sqlite:${dbPath}`, options);
  await store.migrate();
  const app = await buildApp({
    store,
    adminToken: AdminTokenCheck.forToken(ADMIN),
    config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0, ...config },
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await app.inject({
      method: method as 'GET',
      url: path,
      headers: { authorization: `Bearer ${ADMIN}` },
      ...(body !== undefined && { payload: body as object }),
    });
    return { status: res.statusCode, body: res.payload === '' ? null : res.json() };
  };
  return {
    app,
    dir,
    /** The SQLite file, for a second connection that takes the write lock as another process would. */
    dbPath,
    admin,
    /** Call before `listen` to add test routes. */
    async listen(): Promise<string> {
      return app.listen({ port: 0, host: '127.0.0.1' });
    },
    /** An app in the given mode with one registered ES256 key; `sign` makes real user tokens. */
    async createApp(mode: 'disabled' | 'optional' | 'required' = 'required') {
      const appId = (await admin('POST', '/admin/v1/apps', { name: 'SDK test' })).body.id as string;
      const register = async () => {
        const pair = await generateKeyPair('ES256', { extractable: true });
        const added = await admin('POST', `/admin/v1/apps/${appId}/keys`, {
          pem: await exportSPKI(pair.publicKey),
        });
        if (added.status !== 201) throw new Error(JSON.stringify(added.body));
        return { ...pair, kid: added.body.kid as string };
      };
      let key = await register();
      await admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode });
      const stranger = await generateKeyPair('ES256');
      /** Registers a new key and removes the old one on the server; `sign` then uses the new key. */
      const rotateKey = async () => {
        const old = key;
        key = await register();
        const removed = await admin('DELETE', `/admin/v1/apps/${appId}/keys/${encodeURIComponent(old.kid)}`);
        if (removed.status >= 300) throw new Error(JSON.stringify(removed.body));
      };
      const sign = (sub: string, ttlSeconds = 900, options: { unregisteredKey?: boolean } = {}) => {
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ sub, iat: now, exp: now + ttlSeconds })
          .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
          .sign(options.unregisteredKey ? stranger.privateKey : key.privateKey);
      };
      const events = async (userId?: string) =>
        (
          await admin(
            'GET',
            `/admin/v1/apps/${appId}/events?limit=1000${userId ? `&userId=${encodeURIComponent(userId)}` : ''}`,
          )
        ).body.events as {
          id: string;
          name?: string;
          type: string;
          sessionId?: string;
          userId: string | null;
          verified: boolean | null;
        }[];
      const failures = async () =>
        (await admin('GET', `/admin/v1/apps/${appId}/auth/failures?limit=1000`)).body.failures as {
          code: string;
          reason: string;
        }[];
      return { appId, sign, rotateKey, events, failures };
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A local port with nothing listening: connecting to it fails like a network outage. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

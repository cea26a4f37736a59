import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminTokenCheck, buildApp, openStore } from '@signet/server';
import Database from 'better-sqlite3';
import { exportSPKI, generateKeyPair } from 'jose';
import { ADMIN_TOKEN } from './reliability-server.ts';

const PROTOTYPES = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
};

/** The own property names of the built-in prototypes, to detect pollution. */
export function prototypeSnapshot(): string {
  return JSON.stringify(
    Object.entries(PROTOTYPES).map(([name, proto]) => [
      name,
      Object.getOwnPropertyNames(proto).sort(),
      Object.getPrototypeOf(proto) === (name === 'Object' ? null : Object.prototype),
    ]),
  );
}

/**
 * One real server app on a real SQLite file, driven through Fastify's inject (no port) so that
 * thousands of fuzz cases run in seconds. Two apps: `open` (JWT disabled: anything valid is
 * stored) and `strict` (JWT required, one ES256 key, whose private key is in `key`).
 *
 * @example
 * const target = await fuzzTarget();
 * const res = await target.post(target.openAppId, Buffer.from('{'));
 */
export async function fuzzTarget() {
  const dir = mkdtempSync(join(tmpdir(), 'signet-fuzz-'));
  const file = join(dir, 'signet.db');
  const store = openStore(`sqlite:${file}`);
  await store.migrate();
  const app = await buildApp({
    store,
    adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
    config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0 },
  });
  const admin = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
    const res = await app.inject({
      method,
      url: `/admin/v1${url}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      ...(payload && { payload }),
    });
    return res.json();
  };
  const openAppId = (await admin('POST', '/apps', { name: 'fuzz-open' })).id as string;
  const strictAppId = (await admin('POST', '/apps', { name: 'fuzz-strict' })).id as string;
  const key = await generateKeyPair('ES256', { extractable: true });
  const kid = (await admin('POST', `/apps/${strictAppId}/keys`, { pem: await exportSPKI(key.publicKey) }))
    .kid as string;
  await admin('PUT', `/apps/${strictAppId}/jwt`, { mode: 'required' });
  const reader = new Database(file, { readonly: true });
  const countIds = reader.prepare(
    'select count(*) as n from events where app_id = ? and id in (select value from json_each(?))',
  );
  const countAll = reader.prepare('select count(*) as n from events');
  return {
    app,
    openAppId,
    strictAppId,
    key,
    kid,
    /** Posts raw bytes (or text) as a batch with the given headers. */
    async post(appId: string, payload: string | Buffer, headers: Record<string, string> = {}) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/apps/${encodeURIComponent(appId)}/batch`,
        headers: { 'content-type': 'application/json', ...headers },
        payload,
      });
      return { status: res.statusCode, body: res.body, headers: res.headers };
    },
    /** How many of these event ids the app has stored. */
    storedOf(appId: string, ids: readonly string[]): number {
      return (countIds.get(appId, JSON.stringify(ids)) as { n: number }).n;
    },
    storedTotal(): number {
      return (countAll.get() as { n: number }).n;
    },
    async healthy(): Promise<boolean> {
      return (await app.inject({ url: '/healthz' })).statusCode === 200;
    },
    async close() {
      reader.close();
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type FuzzTarget = Awaited<ReturnType<typeof fuzzTarget>>;

/** Cases per fuzz property: 1,000 in `npm test`, 20,000 in `npm run soak`. */
export const FUZZ_RUNS = Number(process.env.SIGNET_FUZZ_RUNS ?? 1_000);

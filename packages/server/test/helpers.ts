import { sign as cryptoSign, KeyObject, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Batch, BatchEvent } from '@signet/protocol';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import type { ServerConfig } from '../src/config.ts';
import { EVENT_SEQS_PER_BATCH } from '../src/store/event-row.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghij';

/** SQL counting the event rows stored for a batch id ($1): each batch's events are one range of their key. */
export const EVENTS_OF_BATCH = `select count(*)::int as n from batches b
  join events e on e.seq >= b.seq * ${EVENT_SEQS_PER_BATCH} and e.seq < (b.seq + 1) * ${EVENT_SEQS_PER_BATCH}
  where b.batch_id = $1`;

/** A fresh directory for a real SQLite file, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServer {
  app: FastifyInstance;
  store: Store;
  dbPath: string;
  /** Admin API call with the admin token. */
  admin: (
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
  ) => Promise<{ status: number; body: any }>;
  /** Posts a batch (object or raw string) with optional headers. */
  ingest: (
    appId: string,
    batch: unknown,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close: () => Promise<void>;
}

/** A real app on a real SQLite file; requests through Fastify's inject (no port). */
export async function startServer(
  config: Partial<ServerConfig> = {},
  options: { now?: () => number; busyTimeoutMs?: number } = {},
): Promise<TestServer> {
  const { dir, cleanup } = tempDir();
  const dbPath = join(dir, 'signet.db');
  const store = openSqliteStore({ filename: dbPath, busyTimeoutMs: options.busyTimeoutMs ?? 1000 });
  await store.migrate();
  const app = await buildApp({
    store,
    adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
    config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0, ...config },
    ...(options.now && { now: options.now }),
  });
  const parse = (payload: string) => {
    try {
      return JSON.parse(payload);
    } catch {
      return payload;
    }
  };
  return {
    app,
    store,
    dbPath,
    async admin(method, url, body) {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        ...(body !== undefined && { payload: body as object }),
      });
      return { status: res.statusCode, body: parse(res.payload) };
    },
    async ingest(appId, batch, headers = {}) {
      const payload = typeof batch === 'string' ? batch : JSON.stringify(batch);
      const res = await app.inject({
        method: 'POST',
        url: `/v1/apps/${appId}/batch`,
        headers: { 'content-type': 'application/json', ...headers },
        payload,
      });
      return { status: res.statusCode, body: parse(res.payload), headers: res.headers };
    },
    async close() {
      await app.close();
      await store.close();
      cleanup();
    },
  };
}

export type Alg = 'ES256' | 'RS256' | 'PS256' | 'EdDSA' | 'ES384' | 'ES512';

/** A real key pair; `publicPem` is what an app registers. */
export async function keyPair(alg: Alg = 'ES256') {
  const pair = await generateKeyPair(alg, {
    extractable: true,
    ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}),
  });
  return { alg, ...pair, publicPem: await exportSPKI(pair.publicKey) };
}
export type KeyPair = Awaited<ReturnType<typeof keyPair>>;

/** Signs a user token the way an app backend would. */
export async function signToken(
  key: KeyPair,
  claims: JWTPayload & { sub?: string },
  options: { kid?: string; ttlSeconds?: number; now?: number; header?: Record<string, unknown> } = {},
): Promise<string> {
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({ iat: now, exp: now + (options.ttlSeconds ?? 900), ...claims }).setProtectedHeader(
    {
      alg: key.alg,
      typ: 'JWT',
      ...(options.kid && { kid: options.kid }),
      ...options.header,
    },
  );
  return jwt.sign(key.privateKey);
}

/** A valid batch of `count` track events for one user. */
export function batchFor(user: Batch['user'], count = 2, extra: Partial<BatchEvent>[] = []): Batch {
  const now = new Date().toISOString();
  const events: BatchEvent[] = Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    type: 'track',
    name: `Event ${i}`,
    timestamp: now,
    properties: { i },
  }));
  for (const e of extra) events.push({ id: randomUUID(), timestamp: now, ...e } as BatchEvent);
  return { batchId: randomUUID(), sentAt: now, sdk: { name: 'signet-test', version: '1.0.0' }, user, events };
}

/** Creates an app with one registered key and the given mode; returns its id and kid. */
export async function appWithKey(
  server: TestServer,
  key: KeyPair,
  mode: 'disabled' | 'optional' | 'required' = 'required',
) {
  const created = await server.admin('POST', '/admin/v1/apps', { name: 'Test app' });
  const appId = created.body.id as string;
  const added = await server.admin('POST', `/admin/v1/apps/${appId}/keys`, {
    pem: key.publicPem,
    label: 'main',
  });
  if (added.status !== 201) throw new Error(`key not added: ${JSON.stringify(added.body)}`);
  const set = await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode });
  if (set.status !== 200) throw new Error(`mode not set: ${JSON.stringify(set.body)}`);
  return { appId, kid: added.body.kid as string };
}

/** How many events the app has stored, read through the admin API. */
export async function storedCount(server: TestServer, appId: string): Promise<number> {
  const res = await server.admin('GET', `/admin/v1/apps/${appId}/events?limit=1000`);
  return (res.body.events as unknown[]).length;
}

export const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
export const json = (value: unknown) => b64(JSON.stringify(value));
export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const privateKeyObject = (k: KeyPair) => KeyObject.from(k.privateKey as never);

/** Builds a compact JWS by hand, as an attacker would: any header, any payload bytes (ES256). */
export function handSigned(header: object | string, payload: object | string, key: KeyObject): string {
  const encode = (part: object | string) => (typeof part === 'string' ? b64(part) : json(part));
  const input = `${encode(header)}.${encode(payload)}`;
  const signature = cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64(signature)}`;
}

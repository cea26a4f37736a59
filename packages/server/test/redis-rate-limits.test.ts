import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { ADMIN_TOKEN, batchFor, tempDir } from './helpers.ts';

const REDIS_URL = process.env.SIGNET_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisUnavailable(): Promise<string | null> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    client.disconnect();
  }
}

const unavailable = await redisUnavailable();
if (unavailable && process.env.SIGNET_REQUIRE_REDIS === '1')
  throw new Error(`SIGNET_REQUIRE_REDIS=1 but Redis is unavailable: ${unavailable}`);
if (unavailable) console.warn(`Redis rate-limit tests skipped: no Redis at ${REDIS_URL} (${unavailable})`);

/** Two instances on one database and one Redis: the app's limit is shared, not per instance. */
describe.skipIf(unavailable !== null)('rate limits shared through Redis', () => {
  const { dir, cleanup } = tempDir();
  const stores: Store[] = [];
  const apps: Awaited<ReturnType<typeof buildApp>>[] = [];
  let appId: string;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const store = openSqliteStore({ filename: join(dir, 'signet.db') });
      await store.migrate();
      stores.push(store);
      apps.push(
        await buildApp({
          store,
          adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
          config: { rateLimitAppPerMinute: 3, rateLimitClientPerMinute: 0, redisUrl: REDIS_URL },
        }),
      );
    }
    const created = await apps[0]?.inject({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { name: 'limited' },
    });
    appId = created?.json().id;
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const store of stores) await store.close();
    cleanup();
  });

  it('counts requests to either instance against one limit', async () => {
    const send = async (i: number) =>
      (
        await apps[i]?.inject({
          method: 'POST',
          url: `/v1/apps/${appId}/batch`,
          headers: { 'content-type': 'application/json' },
          payload: batchFor({ anonymousId: 'a' }, 1),
        })
      )?.statusCode;
    expect([await send(0), await send(1), await send(0), await send(1)]).toEqual([200, 200, 200, 429]);
  });

  it('counts wrong admin tokens sent to either instance against one address', async () => {
    // A fresh address per run: Redis keeps the count for a minute, across test runs too.
    const from = `10.${[0, 0, 0].map(() => Math.floor(Math.random() * 250) + 1).join('.')}`;
    const admin = async (i: number, token: string) =>
      (
        await apps[i]?.inject({
          url: '/admin/v1/apps',
          remoteAddress: from,
          headers: { authorization: `Bearer ${token}` },
        })
      )?.statusCode;
    for (let i = 0; i < 10; i++) expect(await admin(i % 2, 'wrong-token')).toBe(401);
    // Each instance saw 5 failures: only a shared count reaches the limit of 10.
    expect(await admin(0, 'wrong-token')).toBe(429);
    expect(await admin(1, ADMIN_TOKEN)).toBe(429);
  });
});

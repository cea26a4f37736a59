import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  appWithKey,
  batchFor,
  keyPair,
  signToken,
  startServer,
  storedCount,
  type TestServer,
} from './helpers.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a failing database', () => {
  it('answers 503 STORAGE_UNAVAILABLE with Retry-After, stores nothing, and recovers by itself', async () => {
    server = await startServer({ retryAfterSeconds: 7 }, { busyTimeoutMs: 50 });
    const key = await keyPair();
    const { appId } = await appWithKey(server, key, 'required');
    const headers = { authorization: `Bearer ${await signToken(key, { sub: 'u' })}` };

    // A real second connection takes the write lock, as another process would.
    const other = new Database(server.dbPath);
    other.exec('BEGIN EXCLUSIVE');
    const batch = batchFor({ id: 'u' }, 3);
    const res = await server.ingest(appId, batch, headers);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body.error).toMatchObject({
      type: 'server',
      code: 'STORAGE_UNAVAILABLE',
      reason: 'database_unavailable',
    });
    other.exec('ROLLBACK');
    other.close();

    expect(await storedCount(server, appId)).toBe(0);
    const retry = await server.ingest(appId, batch, headers);
    expect(retry.body).toEqual({ accepted: 3, duplicates: 0 });
    expect((await server.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('answers a corrupted row with 500 INTERNAL_ERROR without details, and keeps serving', async () => {
    server = await startServer();
    const key = await keyPair();
    const { appId } = await appWithKey(server, key, 'required');
    const db = new Database(server.dbPath);
    db.prepare('update app_keys set algorithms = ? where app_id = ?').run('{not json', appId);
    db.close();
    const res = await server.ingest(appId, batchFor({ id: 'u' }), {
      authorization: `Bearer ${await signToken(key, { sub: 'u' })}`,
    });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      error: {
        type: 'server',
        code: 'INTERNAL_ERROR',
        reason: 'unexpected',
        message: 'Unexpected server error',
      },
    });
    expect((await server.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('rate limits', () => {
  it('limits a client address with 429 RATE_LIMITED and Retry-After', async () => {
    server = await startServer({ rateLimitClientPerMinute: 3 });
    const { appId } = await appWithKey(server, await keyPair(), 'disabled');
    const statuses: number[] = [];
    let last: Awaited<ReturnType<TestServer['ingest']>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await server.ingest(appId, batchFor({ id: 'u' }, 1));
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.body.error).toMatchObject({ type: 'request', code: 'RATE_LIMITED', reason: 'client_limit' });
    expect(await storedCount(server, appId)).toBe(3);
  });

  it('limits an app across clients', async () => {
    server = await startServer({ rateLimitAppPerMinute: 2 });
    const { appId } = await appWithKey(server, await keyPair(), 'disabled');
    const from = (ip: string) =>
      server?.app.inject({
        method: 'POST',
        url: `/v1/apps/${appId}/batch`,
        remoteAddress: ip,
        headers: { 'content-type': 'application/json' },
        payload: batchFor({ id: 'u' }, 1),
      });
    expect((await from('10.0.0.1'))?.statusCode).toBe(200);
    expect((await from('10.0.0.2'))?.statusCode).toBe(200);
    const third = await from('10.0.0.3');
    expect(third?.statusCode).toBe(429);
    expect(third?.json().error.reason).toBe('app_limit');
  });
});

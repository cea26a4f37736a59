import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appWithKey,
  batchFor,
  type KeyPair,
  keyPair,
  signToken,
  startServer,
  storedCount,
  type TestServer,
} from './helpers.ts';

// The whole loop over a real socket on 127.0.0.1: Node's HTTP parser, not inject().
let server: TestServer;
let base: string;
let key: KeyPair;
let appId: string;

beforeAll(async () => {
  server = await startServer();
  key = await keyPair('ES256');
  ({ appId } = await appWithKey(server, key, 'required'));
  base = await server.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => server.close());

const post = (token: string, body: unknown) =>
  fetch(`${base}/v1/apps/${appId}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

describe('over a real port', () => {
  it('stores a verified batch and answers with a request id', async () => {
    const res = await post(await signToken(key, { sub: 'user-1' }), batchFor({ id: 'user-1' }, 20));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await res.json()).toEqual({ accepted: 20, duplicates: 0 });
  });

  it('refuses a token over 8 KiB as DECRYPTION_FAILED malformed', async () => {
    const res = await post(`${'a'.repeat(9 * 1024)}.b.c`, batchFor({ id: 'user-1' }));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: 'DECRYPTION_FAILED',
      reason: 'malformed',
    });
  });

  it('answers a 64 KiB token, beyond the HTTP header limit, with 431 HEADERS_TOO_LARGE in our error shape', async () => {
    const before = await storedCount(server, appId);
    const res = await post('a'.repeat(64 * 1024), batchFor({ id: 'user-1' }));
    expect(res.status).toBe(431);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      type: 'request',
      code: 'HEADERS_TOO_LARGE',
    });
    expect(await storedCount(server, appId)).toBe(before);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

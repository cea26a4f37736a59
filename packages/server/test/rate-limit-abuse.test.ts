import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
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

/*
 * SPEC §3: requests refused as bad input or bad token never use up the app's rate limit, only
 * the client's, so whoever knows an app id cannot lock its users out with junk or forged tokens.
 */

const ATTACKER = '203.0.113.66';
const USER = '198.51.100.7';

let server: TestServer;
afterEach(() => server?.close());

function post(appId: string, from: string, options: Omit<InjectOptions, 'method' | 'url'>) {
  return server.app.inject({
    method: 'POST',
    url: `/v1/apps/${appId}/batch`,
    remoteAddress: from,
    ...options,
  });
}

function validBatch(appId: string, from: string, token: string) {
  return post(appId, from, {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    payload: batchFor({ id: 'user-1' }, 1),
  });
}

/** Each kind of junk, with the status it must be refused with. */
function junk(
  attackerKey: KeyPair,
): Record<string, { status: number; send: (appId: string) => Promise<number> }> {
  const json = { 'content-type': 'application/json' };
  return {
    'bad JSON': {
      status: 400,
      send: async (id) => (await post(id, ATTACKER, { headers: json, payload: '{"events": [' })).statusCode,
    },
    'an invalid batch': {
      status: 400,
      send: async (id) =>
        (await post(id, ATTACKER, { headers: json, payload: { ...batchFor({ id: 'user-1' }), batchId: 7 } }))
          .statusCode,
    },
    'an oversize body': {
      status: 413,
      send: async (id) =>
        (await post(id, ATTACKER, { headers: json, payload: `{"pad":"${'x'.repeat(600_000)}"}` })).statusCode,
    },
    'another content type': {
      status: 415,
      send: async (id) =>
        (await post(id, ATTACKER, { headers: { 'content-type': 'text/plain' }, payload: 'hello' }))
          .statusCode,
    },
    'a forged token': {
      status: 401,
      send: async (id) =>
        (await validBatch(id, ATTACKER, await signToken(attackerKey, { sub: 'user-1' }))).statusCode,
    },
  };
}

describe('the app rate limit counts only batches that are stored', () => {
  it('lets a real user through after 21 refused requests of each kind from one address', async () => {
    server = await startServer({ rateLimitAppPerMinute: 20, rateLimitClientPerMinute: 0 });
    const key = await keyPair();
    const { appId } = await appWithKey(server, key, 'required');
    for (const [what, { status, send }] of Object.entries(junk(await keyPair()))) {
      const statuses = new Set<number>();
      for (let i = 0; i < 21; i++) statuses.add(await send(appId));
      expect([...statuses], what).toEqual([status]);
    }

    // 105 refused requests later, the app's whole limit is still there for its users.
    const token = await signToken(key, { sub: 'user-1' });
    const first = await validBatch(appId, USER, token);
    expect(first.statusCode).toBe(200);
    for (let i = 1; i < 20; i++) expect((await validBatch(appId, USER, token)).statusCode).toBe(200);
    const over = await validBatch(appId, USER, token);
    expect(over.statusCode).toBe(429);
    expect(over.json().error).toMatchObject({ code: 'RATE_LIMITED', reason: 'app_limit' });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(await storedCount(server, appId)).toBe(20);
  });

  it('counts batches stored unverified in optional mode (a 200 with authWarning)', async () => {
    server = await startServer({ rateLimitAppPerMinute: 20, rateLimitClientPerMinute: 0 });
    const { appId } = await appWithKey(server, await keyPair(), 'optional');
    const forged = await signToken(await keyPair(), { sub: 'user-1' });
    for (let i = 0; i < 20; i++) {
      const res = await validBatch(appId, ATTACKER, forged);
      expect(res.statusCode).toBe(200);
      expect(res.json().authWarning).toMatchObject({ code: 'INVALID_SIGNATURE' });
    }
    const over = await validBatch(appId, USER, forged);
    expect(over.statusCode).toBe(429);
    expect(over.json().error.reason).toBe('app_limit');
  });

  it('still counts refused requests against the client address that sent them', async () => {
    server = await startServer({ rateLimitAppPerMinute: 20, rateLimitClientPerMinute: 5 });
    const key = await keyPair();
    const { appId } = await appWithKey(server, key, 'required');
    const kinds = Object.values(junk(await keyPair()));
    for (const { status, send } of kinds) expect(await send(appId)).toBe(status);
    const token = await signToken(key, { sub: 'user-1' });
    const blocked = await validBatch(appId, ATTACKER, token);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.reason).toBe('client_limit');
    expect((await validBatch(appId, USER, token)).statusCode).toBe(200);
  });
});

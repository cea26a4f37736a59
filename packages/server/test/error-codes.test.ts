import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { JWT_ERROR_STATUS, JWT_ERRORS, REQUEST_ERRORS } from '@signet/protocol';
import { createTokenVerifier } from '@signet/verifier';
import Database from 'better-sqlite3';
import { exportPKCS8 } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../src/config.ts';
import {
  ADMIN_TOKEN,
  appWithKey,
  batchFor,
  handSigned,
  type KeyPair,
  keyPair,
  nowSeconds,
  privateKeyObject,
  signToken,
  startServer,
  type TestServer,
} from './helpers.ts';

/*
 * One test per row of docs/errors.md: every (code, reason) in the registry is produced by a
 * real request and answered with the registry's status and type. A row without a scenario
 * fails, so a new code cannot ship untested.
 */

interface Observed {
  status: number;
  error: { type: string; code: string; reason: string };
}

let server: TestServer;
let key: KeyPair;
let attacker: KeyPair;
let appId: string;
let kid: string;

beforeAll(async () => {
  server = await startServer();
  key = await keyPair('ES256');
  attacker = await keyPair('ES256');
  ({ appId, kid } = await appWithKey(server, key, 'required'));
  await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
    mode: 'required',
    audience: 'shop',
    issuer: 'https://shop.example',
    maxTokenLifetimeSeconds: 3600,
  });
});
afterAll(() => server.close());

const good = { aud: 'shop', iss: 'https://shop.example' };
const METRICS_TOKEN = 'metrics-0123456789abcdef0123456789abcdef';

async function send(token: string | null, user = 'user-1'): Promise<Observed> {
  const res = await server.ingest(
    appId,
    batchFor({ id: user }),
    token === null ? {} : { authorization: `Bearer ${token}` },
  );
  return { status: res.status, error: res.body.error };
}
const withToken = async (claims: Record<string, unknown>, options: Parameters<typeof signToken>[2] = {}) =>
  send(await signToken(key, { sub: 'user-1', ...good, ...claims }, options));

/** A scenario on its own server, for rows that need other settings. */
async function onFreshServer(
  config: Partial<ServerConfig>,
  run: (s: TestServer) => Promise<Observed>,
): Promise<Observed> {
  const fresh = await startServer(config, { busyTimeoutMs: 50 });
  try {
    return await run(fresh);
  } finally {
    await fresh.close();
  }
}

const observe = (res: { status: number; body: { error: Observed['error'] } }): Observed => ({
  status: res.status,
  error: res.body.error,
});

const jwtScenarios: Record<string, () => Promise<Observed>> = {
  'TOKEN_NOT_AVAILABLE/missing': () => send(null),
  'DECRYPTION_FAILED/malformed': () => send('not.a.jwt'),
  'HEADER_TYPE_INCOMPATIBLE/algorithm_not_allowed': () =>
    send(
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`,
    ),
  'HEADER_TYPE_INCOMPATIBLE/typ_invalid': () => withToken({}, { header: { typ: 'JOSE' } }),
  'HEADER_TYPE_INCOMPATIBLE/crit_unsupported': () =>
    send(
      handSigned(
        { alg: 'ES256', crit: ['b64'], b64: true },
        { sub: 'user-1', exp: nowSeconds() + 60 },
        privateKeyObject(key),
      ),
    ),
  'INVALID_SIGNATURE/signature_invalid': async () =>
    send(await signToken(attacker, { sub: 'user-1', ...good })),
  'INVALID_SIGNATURE/key_not_found': () => withToken({}, { kid: 'retired-key' }),
  'INVALID_SIGNATURE/no_keys_registered': () =>
    // Required mode cannot be set without a key, so this shows in optional mode's warning.
    onFreshServer({}, async (s) => {
      const app = (await s.admin('POST', '/admin/v1/apps', { name: 'No keys' })).body.id;
      await s.admin('PUT', `/admin/v1/apps/${app}/jwt`, { mode: 'optional' });
      const res = await s.ingest(app, batchFor({ id: 'user-1' }), {
        authorization: `Bearer ${await signToken(key, { sub: 'user-1' })}`,
      });
      return { status: JWT_ERROR_STATUS, error: { type: 'jwt', ...res.body.authWarning } };
    }),
  'PAYLOAD_CONTENT_MISSING/exp_missing': () => withToken({ exp: undefined }),
  'PAYLOAD_CONTENT_MISSING/sub_missing': () =>
    send(handSigned({ alg: 'ES256', kid }, { ...good, exp: nowSeconds() + 60 }, privateKeyObject(key))),
  'PAYLOAD_CONTENT_MISSING/claim_invalid': () => withToken({ sub: 42 }),
  'PAYLOAD_CONTENT_MISSING/audience_mismatch': () => withToken({ aud: 'another-app' }),
  'PAYLOAD_CONTENT_MISSING/issuer_mismatch': () => withToken({ iss: 'https://evil.example' }),
  'TIME_CONSTRAINT_FAILURE/expired': () => withToken({}, { now: Date.now() - 7_200_000, ttlSeconds: 600 }),
  'TIME_CONSTRAINT_FAILURE/not_yet_valid': () => withToken({ nbf: nowSeconds() + 3600 }),
  'TIME_CONSTRAINT_FAILURE/issued_in_future': () =>
    withToken({ iat: nowSeconds() + 600, exp: nowSeconds() + 1200 }),
  'TIME_CONSTRAINT_FAILURE/lifetime_too_long': () => withToken({}, { ttlSeconds: 7200 }),
  'IDENTIFIER_MISMATCH/subject_mismatch': () => withToken({ sub: 'user-2' }),
  'UNKNOWN/jwks_unavailable': () =>
    // A provider that never answered: a closed port on 127.0.0.1 (allowed for this server only).
    onFreshServer({ jwksAllowPrivateNetwork: true }, async (s) => {
      const closed = createNetServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const app = (await s.admin('POST', '/admin/v1/apps', { name: 'IdP down' })).body.id;
      await s.admin('PUT', `/admin/v1/apps/${app}/jwt`, {
        mode: 'required',
        issuer: 'https://shop.example',
        jwksUrl: `http://127.0.0.1:${port}/jwks`,
      });
      return observe(
        await s.ingest(app, batchFor({ id: 'user-1' }), {
          authorization: `Bearer ${await signToken(key, { sub: 'user-1', ...good })}`,
        }),
      );
    }),
  'UNKNOWN/unknown': async () => {
    // No request can reach this honestly: it is the verifier's answer to a fault of its own
    // (here, an unusable clock), which the route answers like any other failure.
    const verifier = createTokenVerifier({
      keys: [],
      settings: { audience: null, issuer: null, clockToleranceSeconds: 60, maxTokenLifetimeSeconds: null },
    });
    const result = await verifier.verify(await signToken(key, { sub: 'u' }), { now: new Date(Number.NaN) });
    return {
      status: JWT_ERROR_STATUS,
      error: { type: 'jwt', ...(result.ok ? { code: 'OK', reason: 'ok' } : result) },
    };
  },
};

const requestScenarios: Record<string, () => Promise<Observed>> = {
  'INVALID_BATCH/invalid_json': async () => observe(await server.ingest(appId, '{"events": [')),
  'INVALID_BATCH/invalid_field': async () =>
    observe(await server.ingest(appId, { ...batchFor({ id: 'u' }), batchId: 7 })),
  'INVALID_BATCH/event_too_large': async () =>
    observe(
      await server.ingest(
        appId,
        batchFor({ id: 'u' }, 0, [{ type: 'track', name: 'Big', properties: { x: 'y'.repeat(40_000) } }]),
      ),
    ),
  'UNSUPPORTED_MEDIA_TYPE/not_json': async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: `/v1/apps/${appId}/batch`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=b',
    });
    return { status: res.statusCode, error: res.json().error };
  },
  'BATCH_TOO_LARGE/body_too_large': async () =>
    observe(
      await server.ingest(
        appId,
        batchFor({ id: 'u' }, 0, [{ type: 'track', name: 'Big', properties: { x: 'y'.repeat(600_000) } }]),
      ),
    ),
  'BATCH_TOO_LARGE/too_many_events': async () =>
    observe(await server.ingest(appId, batchFor({ id: 'u' }, 501))),
  'APP_NOT_FOUND/unknown_app': async () => observe(await server.ingest('app_unknown', batchFor({ id: 'u' }))),
  'RATE_LIMITED/app_limit': () =>
    onFreshServer({ rateLimitAppPerMinute: 1 }, async (s) => {
      const app = (await s.admin('POST', '/admin/v1/apps', { name: 'x' })).body.id;
      await s.ingest(app, batchFor({ anonymousId: 'a' }));
      return observe(await s.ingest(app, batchFor({ anonymousId: 'a' })));
    }),
  'RATE_LIMITED/client_limit': () =>
    onFreshServer({ rateLimitClientPerMinute: 1 }, async (s) => {
      await s.ingest('app_unknown', batchFor({ anonymousId: 'a' }));
      return observe(await s.ingest('app_unknown', batchFor({ anonymousId: 'a' })));
    }),
  'RATE_LIMITED/admin_failures': () =>
    onFreshServer({}, async (s) => {
      const wrong = { url: '/admin/v1/apps', headers: { authorization: 'Bearer wrong-token' } };
      for (let i = 0; i < 10; i++) await s.app.inject(wrong);
      const res = await s.app.inject(wrong);
      return { status: res.statusCode, error: res.json().error };
    }),
  'REQUEST_TIMEOUT/request_timeout': () =>
    onFreshServer({ requestTimeoutMs: 1_000 }, async (s) => {
      await s.app.listen({ port: 0, host: '127.0.0.1' });
      const socket = connect((s.app.server.address() as AddressInfo).port, '127.0.0.1');
      // Headers and one byte of the 100,000 promised, then nothing.
      socket.write(
        `POST /v1/apps/${appId}/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          'Content-Length: 100000\r\n\r\n{',
      );
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(socket, 'close');
      const [head = '', body = ''] = Buffer.concat(chunks).toString().split('\r\n\r\n');
      return { status: Number(head.split(' ')[1]), error: JSON.parse(body).error };
    }),
  'URI_TOO_LONG/uri_too_long': async () => {
    const res = await server.app.inject({ method: 'POST', url: `/v1/apps/${'q'.repeat(12_000)}/batch` });
    return { status: res.statusCode, error: res.json().error };
  },
  'HEADERS_TOO_LARGE/headers_too_large': () =>
    onFreshServer({}, async (s) => {
      const base = await s.app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${base}/healthz`, { headers: { 'x-padding': 'p'.repeat(20_000) } });
      return { status: res.status, error: ((await res.json()) as Observed).error };
    }),
  'ADMIN_UNAUTHORIZED/missing': async () => {
    const res = await server.app.inject({ url: '/admin/v1/apps' });
    return { status: res.statusCode, error: res.json().error };
  },
  'ADMIN_UNAUTHORIZED/invalid': async () => {
    const res = await server.app.inject({
      url: '/admin/v1/apps',
      headers: { authorization: 'Bearer wrong-token' },
    });
    return { status: res.statusCode, error: res.json().error };
  },
  'METRICS_UNAUTHORIZED/missing': () =>
    onFreshServer({ metricsToken: METRICS_TOKEN }, async (s) => {
      const res = await s.app.inject({ url: '/metrics' });
      return { status: res.statusCode, error: res.json().error };
    }),
  'METRICS_UNAUTHORIZED/invalid': () =>
    onFreshServer({ metricsToken: METRICS_TOKEN }, async (s) => {
      const res = await s.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token' } });
      return { status: res.statusCode, error: res.json().error };
    }),
  'CSRF_REJECTED/csrf_header_missing': async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { cookie: await sessionCookie() },
      payload: { name: 'Forged' },
    });
    return { status: res.statusCode, error: res.json().error };
  },
  'CSRF_REJECTED/origin_mismatch': async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { cookie: await sessionCookie(), 'x-signet-csrf': '1', origin: 'https://evil.example' },
      payload: { name: 'Forged' },
    });
    return { status: res.statusCode, error: res.json().error };
  },
  'INVALID_REQUEST/invalid_json': async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/admin/v1/apps',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    return { status: res.statusCode, error: res.json().error };
  },
  'INVALID_REQUEST/invalid_field': async () =>
    observe(await server.admin('POST', '/admin/v1/apps', { name: '' })),
  'INVALID_REQUEST/body_too_large': async () =>
    observe(await server.admin('POST', '/admin/v1/apps', { name: 'n'.repeat(1_100_000) })),
  'INVALID_REQUEST/confirm_mismatch': async () =>
    observe(await server.admin('DELETE', `/admin/v1/apps/${appId}?confirm=app_other`)),
  'NOT_FOUND/unknown_route': async () => observe(await server.admin('GET', '/admin/v1/nothing-here')),
  'NOT_FOUND/unknown_user': async () =>
    observe(await server.admin('GET', `/admin/v1/apps/${appId}/users/nobody`)),
  'NOT_FOUND/unknown_key': async () =>
    observe(await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/nope`)),
  'KEY_INVALID/private_key': async () => observe(await addKey({ pem: await exportPKCS8(key.privateKey) })),
  'KEY_INVALID/symmetric_key': async () => observe(await addKey({ jwk: { kty: 'oct', k: 'AAAA' } })),
  'KEY_INVALID/weak_key': async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    return observe(await addKey({ pem: weak }));
  },
  'KEY_INVALID/unsupported_key': async () => {
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' });
    return observe(await addKey({ pem: x25519 }));
  },
  'KEY_INVALID/malformed': async () => observe(await addKey({ pem: 'hello' })),
  'KEY_LIMIT/too_many_keys': () =>
    onFreshServer({}, async (s) => {
      const app = (await s.admin('POST', '/admin/v1/apps', { name: 'x' })).body.id;
      for (let i = 0; i < 5; i++)
        await s.admin('POST', `/admin/v1/apps/${app}/keys`, { pem: (await keyPair()).publicPem });
      return observe(
        await s.admin('POST', `/admin/v1/apps/${app}/keys`, { pem: (await keyPair()).publicPem }),
      );
    }),
  'KEY_EXISTS/duplicate_kid': async () => observe(await addKey({ pem: key.publicPem })),
  'LAST_KEY/last_key_required': async () =>
    observe(await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/${kid}`)),
  'NO_KEYS/no_keys_registered': async () => {
    const app = (await server.admin('POST', '/admin/v1/apps', { name: 'Keyless' })).body.id;
    return observe(await server.admin('PUT', `/admin/v1/apps/${app}/jwt`, { mode: 'required' }));
  },
  'JWKS_URL_INVALID/not_https': async () =>
    observe(
      await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
        mode: 'required',
        issuer: 'https://idp.example.com/',
        jwksUrl: 'http://idp.example.com/jwks',
      }),
    ),
  'JWKS_URL_INVALID/private_address': async () =>
    observe(
      await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
        mode: 'required',
        issuer: 'https://idp.example.com/',
        jwksUrl: 'https://169.254.169.254/latest/meta-data/',
      }),
    ),
  'JWKS_URL_INVALID/malformed_url': async () =>
    observe(
      await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
        mode: 'required',
        issuer: 'https://idp.example.com/',
        jwksUrl: 'https://user:password@idp.example.com/jwks',
      }),
    ),
  'JWKS_NOT_CONFIGURED/no_provider': async () =>
    observe(await server.admin('POST', `/admin/v1/apps/${appId}/jwks/refresh`)),
  'STORAGE_UNAVAILABLE/database_unavailable': () =>
    onFreshServer({}, async (s) => {
      const app = (await s.admin('POST', '/admin/v1/apps', { name: 'x' })).body.id;
      const lock = new Database(s.dbPath);
      lock.exec('BEGIN EXCLUSIVE');
      try {
        return observe(await s.ingest(app, batchFor({ anonymousId: 'a' })));
      } finally {
        lock.exec('ROLLBACK');
        lock.close();
      }
    }),
  'INTERNAL_ERROR/unexpected': () =>
    onFreshServer({}, async (s) => {
      const app = (await s.admin('POST', '/admin/v1/apps', { name: 'x' })).body.id;
      const db = new Database(s.dbPath);
      db.prepare('update apps set clock_tolerance_seconds = 9999 where id = ?').run(app);
      db.close();
      return observe(await s.ingest(app, batchFor({ anonymousId: 'a' })));
    }),
};

/** Logs in as the dashboard does and returns the session cookie to send back. */
async function sessionCookie(): Promise<string> {
  const res = await server.app.inject({
    method: 'POST',
    url: '/admin/v1/session',
    headers: { 'x-signet-csrf': '1' },
    payload: { token: ADMIN_TOKEN },
  });
  const cookie = res.cookies.find((c) => c.name === 'signet_session');
  if (!cookie) throw new Error(`no session cookie: ${res.payload}`);
  return `${cookie.name}=${cookie.value}`;
}

function addKey(body: object) {
  return server.admin('POST', `/admin/v1/apps/${appId}/keys`, body);
}

describe('every JWT error row', () => {
  for (const [code, reasons] of Object.entries(JWT_ERRORS)) {
    for (const reason of reasons) {
      it(`${code} / ${reason}`, async () => {
        const scenario = jwtScenarios[`${code}/${reason}`];
        expect(scenario, 'a scenario for this row').toBeDefined();
        const observed = await scenario?.();
        expect(observed?.status).toBe(JWT_ERROR_STATUS);
        expect(observed?.error).toMatchObject({ type: 'jwt', code, reason });
      });
    }
  }
});

describe('every request and server error row', () => {
  for (const [code, entry] of Object.entries(REQUEST_ERRORS)) {
    for (const reason of entry.reasons) {
      it(`${entry.status} ${code} / ${reason}`, async () => {
        const scenario = requestScenarios[`${code}/${reason}`];
        expect(scenario, 'a scenario for this row').toBeDefined();
        const observed = await scenario?.();
        expect(observed?.status).toBe(entry.status);
        expect(observed?.error).toMatchObject({ type: entry.type, code, reason });
      });
    }
  }
});

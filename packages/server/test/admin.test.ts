import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, exportPKCS8 } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appWithKey, batchFor, keyPair, startServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(() => server.close());

async function newApp(): Promise<string> {
  const res = await server.admin('POST', '/admin/v1/apps', { name: 'Shop' });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('admin token', () => {
  for (const [what, headers] of [
    ['missing', {}],
    ['wrong', { authorization: 'Bearer not-the-admin-token' }],
    ['another scheme', { authorization: 'Basic dGVzdDp0ZXN0' }],
  ] as const) {
    it(`refuses a ${what} token with 401 ADMIN_UNAUTHORIZED`, async () => {
      const res = await server.app.inject({ method: 'GET', url: '/admin/v1/apps', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toContain('Bearer');
      expect(res.json().error).toMatchObject({ type: 'request', code: 'ADMIN_UNAUTHORIZED' });
    });
  }

  it('protects every admin route, including writes', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/admin/v1/apps', payload: { name: 'x' } });
    expect(res.statusCode).toBe(401);
    expect((await server.admin('GET', '/admin/v1/apps')).body.apps).toEqual([]);
  });
});

describe('apps and JWT settings', () => {
  it('creates, lists and reads an app, mode disabled by default', async () => {
    const id = await newApp();
    const one = await server.admin('GET', `/admin/v1/apps/${id}`);
    expect(one.body).toMatchObject({
      id,
      name: 'Shop',
      jwt: {
        mode: 'disabled',
        audience: null,
        issuer: null,
        clockToleranceSeconds: 60,
        maxTokenLifetimeSeconds: 30 * 86_400,
      },
    });
    expect(Date.parse(one.body.createdAt)).not.toBeNaN();
    expect((await server.admin('GET', '/admin/v1/apps')).body.apps).toEqual([one.body]);
    expect((await server.admin('GET', '/admin/v1/apps/app_nope')).status).toBe(404);
  });

  it('sets the mode and checks; omitted fields keep their value', async () => {
    const key = await keyPair();
    const { appId } = await appWithKey(server, key, 'optional');
    const set = await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
      mode: 'required',
      audience: 'shop',
      clockToleranceSeconds: 30,
      maxTokenLifetimeSeconds: 3600,
    });
    expect(set.body).toEqual({
      mode: 'required',
      audience: 'shop',
      issuer: null,
      clockToleranceSeconds: 30,
      maxTokenLifetimeSeconds: 3600,
      jwksUrl: null,
      discovery: false,
      userIdClaim: 'sub',
    });
    const again = await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
      mode: 'optional',
      audience: null,
    });
    expect(again.body).toMatchObject({ mode: 'optional', audience: null, clockToleranceSeconds: 30 });
  });

  it('refuses invalid settings with 400 INVALID_REQUEST and field pointers', async () => {
    const id = await newApp();
    const res = await server.admin('PUT', `/admin/v1/apps/${id}/jwt`, {
      mode: 'strict',
      clockToleranceSeconds: 301,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_REQUEST', reason: 'invalid_field' });
    expect(res.body.error.details.map((d: { pointer: string }) => d.pointer)).toEqual(
      expect.arrayContaining(['/mode', '/clockToleranceSeconds']),
    );
  });

  it('refuses mode required while the app has no key (409 NO_KEYS)', async () => {
    const id = await newApp();
    const res = await server.admin('PUT', `/admin/v1/apps/${id}/jwt`, { mode: 'required' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'NO_KEYS', reason: 'no_keys_registered' });
  });
});

describe('keys', () => {
  it('registers a PEM and a JWK key with kid, type, fingerprint; thumbprint kid by default', async () => {
    const id = await newApp();
    const ec = await keyPair('ES256');
    const pem = await server.admin('POST', `/admin/v1/apps/${id}/keys`, { pem: ec.publicPem, label: 'prod' });
    expect(pem.status).toBe(201);
    expect(pem.body).toMatchObject({
      type: 'EC P-256',
      algorithms: ['ES256'],
      label: 'prod',
      useCount: 0,
      lastUsedAt: null,
    });
    expect(pem.body.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pem.body.fingerprint).toMatch(/^[0-9a-f]{64}$/);

    const rsa = await keyPair('RS256');
    const jwk = await server.admin('POST', `/admin/v1/apps/${id}/keys`, {
      jwk: await exportJWK(rsa.publicKey),
      kid: 'rsa-2026',
    });
    expect(jwk.status).toBe(201);
    expect(jwk.body).toMatchObject({ kid: 'rsa-2026', type: 'RSA 2048' });

    const list = await server.admin('GET', `/admin/v1/apps/${id}/keys`);
    expect(list.body.keys.map((k: { kid: string }) => k.kid)).toEqual([pem.body.kid, 'rsa-2026']);
  });

  it('refuses private, symmetric, weak, unsupported and malformed keys with their reason', async () => {
    const id = await newApp();
    const ec = await keyPair('ES256');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const cases: [string, object, string][] = [
      ['private PEM', { pem: await exportPKCS8(ec.privateKey) }, 'private_key'],
      ['private JWK', { jwk: await exportJWK(ec.privateKey) }, 'private_key'],
      ['symmetric JWK', { jwk: { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQ' } }, 'symmetric_key'],
      ['RSA 1024', { pem: weak.publicKey.export({ type: 'spki', format: 'pem' }) }, 'weak_key'],
      ['secp256k1', { pem: k1.publicKey.export({ type: 'spki', format: 'pem' }) }, 'unsupported_key'],
      ['garbage', { pem: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }, 'malformed'],
      ['neither pem nor jwk', { label: 'x' }, 'malformed'],
    ];
    for (const [what, body, reason] of cases) {
      const res = await server.admin('POST', `/admin/v1/apps/${id}/keys`, body);
      expect(res.status, what).toBe(400);
      expect(res.body.error, what).toMatchObject({ type: 'request', code: 'KEY_INVALID', reason });
      expect(JSON.stringify(res.body), what).not.toContain('PRIVATE');
    }
    expect((await server.admin('GET', `/admin/v1/apps/${id}/keys`)).body.keys).toEqual([]);
  });

  it('allows at most 5 keys (409 KEY_LIMIT) and no duplicate kid (409 KEY_EXISTS)', async () => {
    const id = await newApp();
    const first = await keyPair('ES256');
    for (let i = 0; i < 5; i++) {
      const k = i === 0 ? first : await keyPair('ES256');
      expect((await server.admin('POST', `/admin/v1/apps/${id}/keys`, { pem: k.publicPem })).status).toBe(
        201,
      );
    }
    const sixth = await server.admin('POST', `/admin/v1/apps/${id}/keys`, {
      pem: (await keyPair('ES256')).publicPem,
    });
    expect(sixth.status).toBe(409);
    expect(sixth.body.error).toMatchObject({ code: 'KEY_LIMIT', reason: 'too_many_keys' });

    const other = await newApp();
    await server.admin('POST', `/admin/v1/apps/${other}/keys`, { pem: first.publicPem });
    const dup = await server.admin('POST', `/admin/v1/apps/${other}/keys`, { pem: first.publicPem });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'KEY_EXISTS', reason: 'duplicate_kid' });
  });

  it('refuses to remove the last key while required (409 LAST_KEY), allows it otherwise', async () => {
    const key = await keyPair();
    const { appId, kid } = await appWithKey(server, key, 'required');
    const refused = await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/${kid}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'LAST_KEY', reason: 'last_key_required' });

    const second = await server.admin('POST', `/admin/v1/apps/${appId}/keys`, {
      pem: (await keyPair()).publicPem,
    });
    expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/${kid}`)).status).toBe(204);
    expect((await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'optional' })).status).toBe(200);
    expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/${second.body.kid}`)).status).toBe(
      204,
    );

    const missing = await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'NOT_FOUND', reason: 'unknown_key' });
  });
});

describe('service routes', () => {
  it('/healthz answers without auth', async () => {
    const res = await server.app.inject({ url: '/healthz' });
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/metrics exposes request, outcome and verification metrics', async () => {
    await server.app.inject({ url: '/healthz' });
    const res = await server.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    for (const name of [
      'signet_http_requests_total',
      'signet_auth_outcomes_total',
      'signet_batch_events',
      'signet_token_verification_seconds',
    ]) {
      expect(res.payload).toContain(name);
    }
  });

  it("/metrics shows the ingestion writer's groups: records per group, time held, commit time", async () => {
    const created = await server.admin('POST', '/admin/v1/apps', { name: 'Metrics app' });
    const appId = created.body.id as string;
    const sent = await Promise.all(
      ['m1', 'm2', 'm3'].map((id) => server.ingest(appId, batchFor({ anonymousId: id }, 2))),
    );
    expect(sent.map((r) => r.status)).toEqual([200, 200, 200]);
    const text = (await server.app.inject({ url: '/metrics' })).payload;
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    // Every batch was in exactly one group (app creation wrote no batch).
    expect(value('signet_store_group_records_sum')).toBe(3);
    const groups = value('signet_store_group_records_count');
    expect(groups).toBeGreaterThanOrEqual(1);
    expect(value('signet_store_group_seconds_count')).toBe(groups);
    expect(value('signet_store_commit_seconds_count')).toBe(groups);
    expect(value('signet_store_group_seconds_sum')).toBeGreaterThan(0);
    expect(value('signet_store_commit_seconds_sum')).toBeLessThanOrEqual(
      value('signet_store_group_seconds_sum'),
    );
  });

  it('/docs serves an OpenAPI document generated from the routes', async () => {
    const res = await server.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/apps/{appId}/batch',
        '/admin/v1/apps',
        '/admin/v1/apps/{appId}/keys/{kid}',
      ]),
    );
    expect((await server.app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('/ serves the dashboard page and unknown routes get 404 NOT_FOUND', async () => {
    const page = await server.app.inject({ url: '/' });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.payload).toContain('Signet');
    const missing = await server.app.inject({ url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'NOT_FOUND', reason: 'unknown_route' });
  });
});

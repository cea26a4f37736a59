import { createHmac, generateKeyPairSync, KeyObject, sign as nodeSign, randomUUID } from 'node:crypto';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { b64, batchFor, json, startServer, type TestServer } from './helpers.ts';
import {
  idToken,
  type ProviderKey,
  providerKey,
  startTestProvider,
  type TestProvider,
} from './jwks-test-provider.ts';

/*
 * Tokens from an app's identity provider, end to end through ingestion (SPEC §4.1): a real
 * server on a real SQLite file, a real HTTP provider of ours on 127.0.0.1 (so the server runs
 * with SIGNET_JWKS_ALLOW_PRIVATE_NETWORK=1), real keys and signatures.
 */

let server: TestServer;
let idp: TestProvider;
let offset = 0;
const now = () => Date.now() + offset;
let main: ProviderKey;
let ISSUER: string;
const AUDIENCE = 'shop-client';

async function providerApp(settings: Record<string, unknown> = {}, mode = 'required') {
  const created = await server.admin('POST', '/admin/v1/apps', { name: 'IdP app' });
  const appId = created.body.id as string;
  const set = await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
    mode,
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: `${idp.url}/jwks`,
    ...settings,
  });
  expect(set.status).toBe(200);
  return appId;
}

const tokenFor = (
  key: ProviderKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
) => idToken(key, { iss: ISSUER, aud: AUDIENCE, sub: 'alice', ...claims }, header, now());

async function send(appId: string, token: string, userId = 'alice') {
  return server.ingest(appId, batchFor({ id: userId }, 1), { authorization: `Bearer ${token}` });
}

function expectRefused(answer: { status: number; body: any }, code: string, reason: string) {
  expect({
    status: answer.status,
    code: answer.body?.error?.code,
    reason: answer.body?.error?.reason,
  }).toEqual({
    status: 401,
    code,
    reason,
  });
}

beforeAll(async () => {
  main = await providerKey('RS256', 'main-2026');
});

beforeEach(async () => {
  offset = 0;
  idp = await startTestProvider();
  ISSUER = `${idp.url}/`;
  idp.json('/jwks', { keys: [main.jwk] });
  server = await startServer({ jwksAllowPrivateNetwork: true }, { now });
});

afterEach(async () => {
  await server.close();
  await idp.close();
});

describe('a provider token', () => {
  it('is verified with the fetched key, and the provider is asked once', async () => {
    const appId = await providerApp();
    const first = await send(appId, await tokenFor(main));
    expect(first).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(await send(appId, await tokenFor(main, { jti: randomUUID() }))).toMatchObject({ status: 200 });
    expect(idp.count('/jwks')).toBe(1);
    const events = await server.admin('GET', `/admin/v1/apps/${appId}/events`);
    expect(events.body.events.every((e: { verified: boolean }) => e.verified === true)).toBe(true);
  });

  it('gives each mismatch its code and reason: iss, aud, userIdClaim', async () => {
    const appId = await providerApp();
    expectRefused(
      await send(appId, await tokenFor(main, { iss: 'https://evil.example/' })),
      'PAYLOAD_CONTENT_MISSING',
      'issuer_mismatch',
    );
    expectRefused(
      await send(appId, await tokenFor(main, { iss: undefined })),
      'PAYLOAD_CONTENT_MISSING',
      'issuer_mismatch',
    );
    expectRefused(
      await send(appId, await tokenFor(main, { aud: 'another-client' })),
      'PAYLOAD_CONTENT_MISSING',
      'audience_mismatch',
    );
    expectRefused(await send(appId, await tokenFor(main), 'bob'), 'IDENTIFIER_MISMATCH', 'subject_mismatch');

    const byEmail = await providerApp({ userIdClaim: 'email' });
    const token = await tokenFor(main, { sub: 'auth0|5f1c', email: 'alice@example.com' });
    expect(await send(byEmail, token, 'alice@example.com')).toMatchObject({ status: 200 });
    expectRefused(await send(byEmail, token, 'auth0|5f1c'), 'IDENTIFIER_MISMATCH', 'subject_mismatch');
    expectRefused(
      await send(byEmail, await tokenFor(main), 'alice'),
      'PAYLOAD_CONTENT_MISSING',
      'sub_missing',
    );
    expectRefused(
      await send(byEmail, await tokenFor(main, { email: ['alice@example.com'] }), 'alice@example.com'),
      'PAYLOAD_CONTENT_MISSING',
      'claim_invalid',
    );
    const failures = await server.admin('GET', `/admin/v1/apps/${byEmail}/auth/failures`);
    expect(failures.body.failures[0]).toMatchObject({ reason: 'claim_invalid', kid: 'main-2026' });
  });

  it('is refused when its key is of a forbidden type, for encryption, or of another alg', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const enc = await providerKey('RS256', 'enc-key', { use: 'enc', alg: 'RSA-OAEP-256' });
    const oct = { kty: 'oct', kid: 'oct-key', alg: 'HS256', k: b64('shared-secret-of-the-provider') };
    idp.json('/jwks', {
      keys: [
        main.jwk,
        { ...weak.publicKey.export({ format: 'jwk' }), kid: 'rsa-1024', alg: 'RS256', use: 'sig' },
        { ...k1.publicKey.export({ format: 'jwk' }), kid: 'p256k', use: 'sig' },
        enc.jwk,
        oct,
      ],
    });
    const appId = await providerApp({}, 'required');
    const claims = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'alice',
      iat: Math.floor(now() / 1000),
      exp: Math.floor(now() / 1000) + 600,
    };
    const byHand = (header: object, sign: (input: string) => Buffer) => {
      const input = `${json(header)}.${json(claims)}`;
      return `${input}.${b64(sign(input))}`;
    };
    // RSA 1024: a real RS256 signature (jose refuses to make one; node:crypto does).
    const rsa1024 = byHand({ alg: 'RS256', kid: 'rsa-1024', typ: 'JWT' }, (input) =>
      nodeSign('sha256', Buffer.from(input), weak.privateKey),
    );
    expectRefused(await send(appId, rsa1024), 'INVALID_SIGNATURE', 'key_not_found');
    // secp256k1: ES256K is no allowed alg, and as "ES256" its key is not in the set.
    const es256k = (alg: string) =>
      byHand({ alg, kid: 'p256k' }, (input) =>
        nodeSign('sha256', Buffer.from(input), { key: k1.privateKey, dsaEncoding: 'ieee-p1363' }),
      );
    expectRefused(await send(appId, es256k('ES256K')), 'HEADER_TYPE_INCOMPATIBLE', 'algorithm_not_allowed');
    expectRefused(await send(appId, es256k('ES256')), 'INVALID_SIGNATURE', 'key_not_found');
    // oct: a symmetric key in the set never makes HS256 acceptable.
    const hs = byHand({ alg: 'HS256', kid: 'oct-key' }, (input) =>
      createHmac('sha256', 'shared-secret-of-the-provider').update(input).digest(),
    );
    expectRefused(await send(appId, hs), 'HEADER_TYPE_INCOMPATIBLE', 'algorithm_not_allowed');
    // use: enc — a real RS256 signature by that key, still not a signing key.
    expectRefused(
      await send(appId, await tokenFor(enc, {}, { alg: 'RS256' })),
      'INVALID_SIGNATURE',
      'key_not_found',
    );
    // The JWK says RS256; the same key signing PS256 is refused.
    const ps = {
      ...main,
      alg: 'PS256',
      privateKey: KeyObject.from(main.privateKey) as unknown as ProviderKey['privateKey'],
    };
    expectRefused(await send(appId, await tokenFor(ps)), 'HEADER_TYPE_INCOMPATIBLE', 'algorithm_not_allowed');
    // HS256 with the public JWK's text as the secret (the classic confusion attack).
    const confused = byHand({ alg: 'HS256', kid: 'main-2026' }, (input) =>
      createHmac('sha256', JSON.stringify(main.jwk)).update(input).digest(),
    );
    expectRefused(await send(appId, confused), 'HEADER_TYPE_INCOMPATIBLE', 'algorithm_not_allowed');
    const status = await server.admin('GET', `/admin/v1/apps/${appId}/jwks`);
    expect(status.body).toMatchObject({ keys: [{ kid: 'main-2026', alg: 'RS256' }], ignoredKeys: 4 });
  });

  it('never fetches a key a header points to (jku, x5u, jwk)', async () => {
    const elsewhere = await startTestProvider();
    try {
      const attacker = await providerKey('RS256', 'attacker');
      elsewhere.json('/jwks', { keys: [attacker.jwk] });
      const appId = await providerApp();
      const jku = await tokenFor(attacker, {}, { jku: `${elsewhere.url}/jwks` });
      expectRefused(await send(appId, jku), 'INVALID_SIGNATURE', 'key_not_found');
      const x5u = await tokenFor(attacker, {}, { x5u: `${elsewhere.url}/jwks` });
      expectRefused(await send(appId, x5u), 'INVALID_SIGNATURE', 'key_not_found');
      const embedded = await tokenFor(attacker, {}, { jwk: attacker.jwk });
      expectRefused(await send(appId, embedded), 'INVALID_SIGNATURE', 'key_not_found');
      // Without a kid: tried against the provider's keys only, and its signature fails.
      const noKid = await tokenFor(attacker, {}, { kid: undefined, jku: `${elsewhere.url}/jwks` });
      expectRefused(await send(appId, noKid), 'INVALID_SIGNATURE', 'signature_invalid');
      expect(elsewhere.count()).toBe(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('follows a key rotation, and a flood of unknown kids causes at most one fetch per 30 s', async () => {
    const appId = await providerApp();
    expect(await send(appId, await tokenFor(main))).toMatchObject({ status: 200 });
    expect(idp.count('/jwks')).toBe(1);
    const attacker = await providerKey('ES256', 'x');
    const flood = async (n: number) => {
      const tokens = await Promise.all(
        Array.from({ length: n }, () => tokenFor({ ...attacker, kid: randomUUID() })),
      );
      const answers = await Promise.all(tokens.map((token) => send(appId, token)));
      expect(answers.every((a) => a.status === 401 && a.body.error.reason === 'key_not_found')).toBe(true);
    };
    await flood(500);
    // The set was fetched under 30 s ago: 500 unknown kids cause no fetch at all.
    expect(idp.count('/jwks')).toBe(1);
    offset += 31_000;
    await flood(500);
    expect(idp.count('/jwks')).toBe(2);
    offset += 10_000;
    await flood(500);
    expect(idp.count('/jwks')).toBe(2);

    // Rotation: a new key published; once 30 s have passed since the last fetch, its first token
    // brings it in, with no restart.
    const next = await providerKey('ES256', 'next-2027');
    idp.json('/jwks', { keys: [main.jwk, next.jwk] });
    offset += 30_000;
    expect(await send(appId, await tokenFor(next))).toMatchObject({ status: 200 });
    expect(idp.count('/jwks')).toBe(3);
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.payload).toContain(`signet_jwks_fetches_total{app_id="${appId}",outcome="ok"} 3`);
  });

  it('keeps verifying with the cached set while the provider is down, and shows the outage', async () => {
    const appId = await providerApp();
    expect(await send(appId, await tokenFor(main))).toMatchObject({ status: 200 });
    await idp.close();
    offset += 11 * 60_000;
    // A new token after the set went stale, while the provider cannot be reached.
    expect(await send(appId, await tokenFor(main, { jti: 'after-outage' }))).toMatchObject({ status: 200 });
    await server.admin('POST', `/admin/v1/apps/${appId}/jwks/refresh`);
    const status = await server.admin('GET', `/admin/v1/apps/${appId}/jwks`);
    expect(status.body).toMatchObject({
      configured: true,
      source: 'url',
      keys: [{ kid: 'main-2026' }],
      lastError: { kind: 'network' },
    });
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.payload).toMatch(
      new RegExp(`signet_jwks_fetches_total\\{app_id="${appId}",outcome="network"\\} [1-9]`),
    );
    expect(metrics.payload).toContain(`signet_jwks_keys{app_id="${appId}"} 1`);
    idp = await startTestProvider();
  });

  it('answers jwks_unavailable when no set could ever be fetched: 401 in required, stored unverified in optional', async () => {
    idp.on('/jwks', (_req, res) => res.writeHead(503).end());
    const required = await providerApp();
    expectRefused(await send(required, await tokenFor(main)), 'UNKNOWN', 'jwks_unavailable');
    const optional = await providerApp({}, 'optional');
    expect(await send(optional, await tokenFor(main))).toMatchObject({
      status: 200,
      body: { accepted: 1, authWarning: { code: 'UNKNOWN', reason: 'jwks_unavailable' } },
    });
  });

  it('lets registered keys and a provider coexist', async () => {
    const appId = await providerApp({}, 'optional');
    const own = await providerKey('ES256', 'own-key');
    const added = await server.admin('POST', `/admin/v1/apps/${appId}/keys`, {
      jwk: { ...own.jwk, use: undefined },
    });
    expect(added.status).toBe(201);
    expect(await send(appId, await tokenFor(own))).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(await send(appId, await tokenFor(main))).toMatchObject({ status: 200, body: { accepted: 1 } });
    const keys = await server.admin('GET', `/admin/v1/apps/${appId}/keys`);
    // Use is counted for the registered key only.
    expect(keys.body.keys).toMatchObject([{ kid: 'own-key', useCount: 1 }]);
  });
});

describe('discovery', () => {
  it('takes jwks_uri from the issuer’s OpenID configuration', async () => {
    idp.json('/.well-known/openid-configuration', { issuer: ISSUER, jwks_uri: `${idp.url}/certs` });
    idp.json('/certs', { keys: [main.jwk] });
    const appId = await providerApp({ jwksUrl: undefined, discovery: true });
    expect(await send(appId, await tokenFor(main))).toMatchObject({ status: 200 });
    expect(idp.count('/.well-known/openid-configuration')).toBe(1);
    expect(idp.count('/certs')).toBe(1);
    expect(idp.count('/jwks')).toBe(0);
    const status = await server.admin('GET', `/admin/v1/apps/${appId}/jwks`);
    expect(status.body).toMatchObject({ source: 'discovery', jwksUrl: `${idp.url}/certs` });
  });
});

describe('admin API', () => {
  it('shows the provider state and fetches on demand', async () => {
    const appId = await providerApp();
    const before = await server.admin('GET', `/admin/v1/apps/${appId}/jwks`);
    expect(before.body).toMatchObject({ configured: true, keys: [], fetchedAt: null, lastError: null });
    expect(idp.count()).toBe(0);
    const fetched = await server.admin('POST', `/admin/v1/apps/${appId}/jwks/refresh`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({
      configured: true,
      source: 'url',
      jwksUrl: `${idp.url}/jwks`,
      keys: [{ kid: 'main-2026', alg: 'RS256', type: 'RSA 2048', algorithms: ['RS256'] }],
      ignoredKeys: 0,
    });
    expect(Date.parse(fetched.body.nextRefreshAt) - Date.parse(fetched.body.fetchedAt)).toBe(600_000);

    const plain = (await server.admin('POST', '/admin/v1/apps', { name: 'No IdP' })).body.id;
    expect((await server.admin('GET', `/admin/v1/apps/${plain}/jwks`)).body).toMatchObject({
      configured: false,
      keys: [],
    });
    const refused = await server.admin('POST', `/admin/v1/apps/${plain}/jwks/refresh`);
    expect(refused).toMatchObject({
      status: 409,
      body: { error: { code: 'JWKS_NOT_CONFIGURED', reason: 'no_provider' } },
    });
    expect((await server.admin('GET', '/admin/v1/apps/app_nope/jwks')).status).toBe(404);
  });
});

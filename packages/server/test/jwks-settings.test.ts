import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOn } from './backend-server.ts';
import { BACKENDS } from './backends.ts';
import { batchFor, startServer, type TestServer } from './helpers.ts';
import { idToken, providerKey, startTestProvider } from './jwks-test-provider.ts';

/* `PUT …/jwt` with an identity provider (SPEC §4.1, §5), on a server without the private-network allowance. */
describe('identity provider settings', () => {
  let server: TestServer;
  let appId: string;
  beforeAll(async () => {
    server = await startServer();
    appId = (await server.admin('POST', '/admin/v1/apps', { name: 'Settings' })).body.id;
  });
  afterAll(() => server.close());
  const put = (body: object) =>
    server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'optional', ...body });
  const ISSUER = 'https://idp.example.com/';

  it('refuses http, private, loopback and link-local URLs with 400 JWKS_URL_INVALID', async () => {
    const cases: [string, string][] = [
      ['http://idp.example.com/jwks', 'not_https'],
      ['https://localhost/jwks', 'private_address'],
      ['https://127.0.0.1/jwks', 'private_address'],
      ['https://10.0.0.8/jwks', 'private_address'],
      ['https://169.254.169.254/latest/meta-data/', 'private_address'],
      ['https://[::1]/jwks', 'private_address'],
      ['https://[fe80::1]/jwks', 'private_address'],
      ['https://user:secret@idp.example.com/jwks', 'malformed_url'],
      ['/relative/jwks', 'malformed_url'],
    ];
    for (const [jwksUrl, reason] of cases) {
      const answer = await put({ issuer: ISSUER, jwksUrl });
      expect({ jwksUrl, status: answer.status, error: answer.body.error }).toMatchObject({
        jwksUrl,
        status: 400,
        error: { type: 'request', code: 'JWKS_URL_INVALID', reason },
      });
      // Never echoed: the message names the rule, not the URL.
      expect(JSON.stringify(answer.body)).not.toContain(jwksUrl);
    }
    const discovery = await put({ issuer: 'http://127.0.0.1:8080', discovery: true });
    expect(discovery.body.error).toMatchObject({ code: 'JWKS_URL_INVALID', reason: 'not_https' });
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.jwt.jwksUrl).toBeNull();
  });

  it('requires the issuer with a provider, and one way to find the keys', async () => {
    const noIssuer = await put({ issuer: null, jwksUrl: 'https://idp.example.com/jwks' });
    expect(noIssuer.status).toBe(400);
    expect(noIssuer.body.error).toMatchObject({ code: 'INVALID_REQUEST', reason: 'invalid_field' });
    expect(noIssuer.body.error.details[0].pointer).toBe('/issuer');
    const both = await put({ issuer: ISSUER, jwksUrl: 'https://idp.example.com/jwks', discovery: true });
    expect(both.body.error.details[0].pointer).toBe('/discovery');
    const badClaim = await put({ userIdClaim: '' });
    expect(badClaim.body.error).toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('stores the provider, allows required with no key, and switches between URL and discovery', async () => {
    const set = await put({
      mode: 'required',
      issuer: ISSUER,
      audience: 'client-1',
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      userIdClaim: 'app_user_id',
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      mode: 'required',
      jwksUrl: 'https://idp.example.com/.well-known/jwks.json',
      discovery: false,
      userIdClaim: 'app_user_id',
    });
    const toDiscovery = await put({ mode: 'required', discovery: true });
    expect(toDiscovery.body).toMatchObject({ jwksUrl: null, discovery: true, issuer: ISSUER });
    const back = await put({ mode: 'required', jwksUrl: 'https://idp.example.com/keys', userIdClaim: null });
    expect(back.body).toMatchObject({
      jwksUrl: 'https://idp.example.com/keys',
      discovery: false,
      userIdClaim: 'sub',
    });
    // Without a provider and without keys, required is refused again.
    const none = await put({ mode: 'required', jwksUrl: null });
    expect(none).toMatchObject({ status: 409, body: { error: { code: 'NO_KEYS' } } });
  });

  it('lets the last registered key go while a provider stands in', async () => {
    const key = await providerKey('ES256', 'only');
    await put({ mode: 'optional', jwksUrl: null, discovery: false });
    await server.admin('POST', `/admin/v1/apps/${appId}/keys`, { jwk: { ...key.jwk, use: undefined } });
    await put({ mode: 'required', issuer: ISSUER, jwksUrl: 'https://idp.example.com/jwks' });
    expect((await server.admin('DELETE', `/admin/v1/apps/${appId}/keys/only`)).status).toBe(204);
  });

  it('records a provider change in the audit log with before and after', async () => {
    const id = (await server.admin('POST', '/admin/v1/apps', { name: 'Audited' })).body.id;
    await server.admin('PUT', `/admin/v1/apps/${id}/jwt`, {
      mode: 'optional',
      issuer: ISSUER,
      jwksUrl: 'https://idp.example.com/jwks',
      userIdClaim: 'email',
    });
    const audit = await server.admin('GET', `/admin/v1/audit?appId=${id}`);
    expect(audit.body.entries[0]).toMatchObject({
      action: 'jwt.changed',
      appId: id,
      before: { jwksUrl: null, discovery: false, userIdClaim: 'sub' },
      after: { jwksUrl: 'https://idp.example.com/jwks', discovery: false, userIdClaim: 'email' },
    });
  });

  it('accepts http and loopback providers with SIGNET_JWKS_ALLOW_PRIVATE_NETWORK=1', async () => {
    const open = await startServer({ jwksAllowPrivateNetwork: true });
    try {
      const id = (await open.admin('POST', '/admin/v1/apps', { name: 'On-premise' })).body.id;
      const answer = await open.admin('PUT', `/admin/v1/apps/${id}/jwt`, {
        mode: 'optional',
        issuer: 'http://127.0.0.1:8080/realms/shop',
        jwksUrl: 'http://127.0.0.1:8080/realms/shop/protocol/openid-connect/certs',
      });
      expect(answer.status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

/* A settings change made through one instance reaches another on the same database, as key changes do. */
for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== null)(
    `provider settings across instances on ${backend.name}`,
    () => {
      it('an instance verifies provider tokens once another set the provider, and stops when it is removed', async () => {
        const idp = await startTestProvider();
        const server = await startOn(backend, {
          config: { jwksAllowPrivateNetwork: true, changeCheckMs: 200 },
        });
        try {
          const key = await providerKey('ES256', 'k-2026');
          idp.json('/jwks', { keys: [key.jwk] });
          const other = await server.another();
          const appId = (await server.admin('POST', '/admin/v1/apps', { name: 'Two' })).body.id;
          const batch = () => batchFor({ id: 'alice' }, 1);
          const token = await idToken(key, { iss: idp.url, sub: 'alice' });
          const auth = { authorization: `Bearer ${token}` };
          await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'optional' });
          // The other instance loads the app before the change (a cached verifier to drop): no key yet.
          expect((await other.ingest(appId, batch(), auth)).body.authWarning).toEqual({
            code: 'INVALID_SIGNATURE',
            reason: 'no_keys_registered',
          });
          const set = await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, {
            mode: 'required',
            issuer: idp.url,
            jwksUrl: `${idp.url}/jwks`,
          });
          expect(set.status).toBe(200);
          await expect
            .poll(async () => (await other.ingest(appId, batch(), auth)).body, {
              timeout: 5_000,
              interval: 100,
            })
            .toEqual({ accepted: 1, duplicates: 0 });
          expect((await other.ingest(appId, batch(), { authorization: 'Bearer x.y.z' })).status).toBe(401);
          const events = await other.admin('GET', `/admin/v1/apps/${appId}/events`);
          expect(events.body.events.some((e: { verified: boolean }) => e.verified === true)).toBe(true);

          await server.admin('PUT', `/admin/v1/apps/${appId}/jwt`, { mode: 'optional', jwksUrl: null });
          await expect
            .poll(async () => (await other.ingest(appId, batch(), auth)).body.authWarning?.reason, {
              timeout: 5_000,
              interval: 100,
            })
            .toBe('no_keys_registered');
        } finally {
          await server.close();
          await idp.close();
        }
      });
    },
  );
}

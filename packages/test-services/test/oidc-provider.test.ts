import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcProvider, startOidcProvider } from '../src/oidc-provider.ts';

// The harness itself: a real oidc-provider whose ID tokens verify against its own published
// keys (found through discovery), and whose key rotation retires the old key.
describe('startOidcProvider', () => {
  let provider: OidcProvider;
  beforeAll(async () => {
    provider = await startOidcProvider({ claims: { app_user_id: (id) => `u-${id}` } });
  });
  afterAll(() => provider.close());

  it('publishes discovery naming its issuer and JWKS', async () => {
    const discovery = (await (await fetch(provider.discoveryUrl)).json()) as Record<string, unknown>;
    expect(discovery.issuer).toBe(provider.issuer);
    expect(discovery.jwks_uri).toBe(provider.jwksUrl);
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('signs a user in through the code flow and issues an ID token its JWKS verifies', async () => {
    const { idToken, idTokenExpiresAt } = await provider.signIn('alice');
    const keys = createRemoteJWKSet(new URL(provider.jwksUrl));
    const { payload, protectedHeader } = await jwtVerify(idToken, keys, {
      issuer: provider.issuer,
      audience: provider.clientId,
    });
    expect(payload.sub).toBe('alice');
    expect(payload.app_user_id).toBe('u-alice');
    expect(payload.email).toBe('alice@example.test');
    expect(payload.exp).toBe(idTokenExpiresAt);
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: provider.currentKid() });
  });

  it('rotates its keys: new tokens carry the new kid, the JWKS holds only the new key', async () => {
    const before = await provider.signIn('bob');
    const { retiredKid, currentKid } = provider.rotateKeys();
    expect(decodeProtectedHeader(before.idToken).kid).toBe(retiredKid);
    const after = await provider.signIn('bob');
    expect(decodeProtectedHeader(after.idToken).kid).toBe(currentKid);
    const jwks = (await (await fetch(provider.jwksUrl)).json()) as { keys: { kid: string; use: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([currentKid]);
    expect(jwks.keys[0]).not.toHaveProperty('d'); // only the public half is published
    await expect(jwtVerify(before.idToken, createRemoteJWKSet(new URL(provider.jwksUrl)))).rejects.toThrow();
  });

  it('shows a sign-in page a browser can post', async () => {
    const authorize = new URL('/auth', provider.issuer);
    authorize.search = new URLSearchParams({
      client_id: provider.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: provider.redirectUris[0] as string,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const first = await fetch(authorize, { redirect: 'manual' });
    expect(first.status).toBe(303);
    const page = await fetch(new URL(first.headers.get('location') as string, provider.issuer), {
      headers: {
        cookie: first.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; '),
      },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="login"');
  });
});

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type JWK, type KoaContextWithOIDC } from 'oidc-provider';
import { oidcMemoryStore } from './oidc-memory-store.ts';

/** A real OpenID provider (`oidc-provider`, OpenID-certified) on 127.0.0.1 for tests and the demo. */
export interface OidcProvider {
  /** `http://127.0.0.1:PORT`: the `iss` of its ID tokens; discovery lives under it. */
  issuer: string;
  /** `${issuer}/.well-known/openid-configuration` */
  discoveryUrl: string;
  /** `${issuer}/jwks`, as discovery names it. */
  jwksUrl: string;
  /** The one client: the `aud` of its ID tokens. */
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** The kid of the key that signs ID tokens now (the JWKS holds only this key). */
  currentKid(): string;
  /** Requests served on the JWKS path so far (how often a verifier fetched the keys). */
  jwksRequests(): number;
  /**
   * Signs `userId` in through the provider's authorization code flow with PKCE, over HTTP as a
   * browser would (authorization request, its sign-in form posted, the code exchanged at the
   * token endpoint), and returns what the token endpoint answered.
   */
  signIn(userId: string): Promise<OidcTokens>;
  /**
   * New signing key set: a fresh key signs from now on and the old one is retired (gone from
   * the JWKS). The issuer, client and port stay; no restart of anything that verifies.
   */
  rotateKeys(): { retiredKid: string; currentKid: string };
  close(): Promise<void>;
}

export interface OidcTokens {
  idToken: string;
  accessToken: string;
  /** Seconds since the epoch, from the ID token's `exp`. */
  idTokenExpiresAt: number;
}

export interface OidcProviderOptions {
  /** Default `signet-test-client`. */
  clientId?: string;
  /** Where the provider may send the code; default `http://127.0.0.1/callback` (never fetched by signIn). */
  redirectUris?: string[];
  /** ID token lifetime; default 600 s. */
  idTokenTtlSeconds?: number;
  /** Extra claims put in every ID token, by name: e.g. `{ app_user_id: (id) => `u-${id}` }`. */
  claims?: Record<string, (userId: string) => unknown>;
  /** Default 0: a free port. */
  port?: number;
}

const DEFAULT_REDIRECT_URI = 'http://127.0.0.1/callback';

/** A fresh RS256 signing key as a private JWK; the provider publishes its public half. */
function newSigningKey(): JWK {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: `test-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' } as JWK;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 16_384) request.destroy(new Error('form too large'));
    });
    request.on('end', () => resolve(new URLSearchParams(body)));
    request.on('error', reject);
  });
}

/**
 * Starts `oidc-provider` on 127.0.0.1 and a free port with one confidential client
 * (client_secret_basic, authorization code with PKCE), discovery, a JWKS of one RS256 key, and a
 * sign-in page of its own where any user name signs in (no password: a test provider). Consent
 * is granted without a page for its one first-party client; with `offline_access` (and
 * `prompt=consent`) the client also gets a refresh token.
 *
 * @example
 * const provider = await startOidcProvider();
 * const { idToken } = await provider.signIn('alice'); // a real RS256 ID token, sub "alice"
 * provider.rotateKeys(); // the next ID token carries a new kid; the old key leaves the JWKS
 */
export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<OidcProvider> {
  const clientId = options.clientId ?? 'signet-test-client';
  const clientSecret = randomBytes(24).toString('base64url');
  const redirectUris = options.redirectUris ?? [DEFAULT_REDIRECT_URI];
  const extraClaims = options.claims ?? {};
  // The same cookie keys across key rotations: a sign-in begun before one finishes after it.
  const cookieKeys = [randomBytes(32).toString('base64url')];
  let jwksRequests = 0;
  const store = oidcMemoryStore();

  const configuration = (key: JWK): Configuration => ({
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        // refresh_token: a relying party that asks for offline_access (the demo shop) renews
        // ID tokens without sending the user back to the sign-in page.
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [key] },
    adapter: store,
    cookies: { keys: cookieKeys },
    pkce: { required: () => true, methods: ['S256'] },
    features: { devInteractions: { enabled: false } },
    // The ID token carries the scope's claims itself (apps send it, not a userinfo answer).
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub', ...Object.keys(extraClaims)],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    ttl: {
      IdToken: options.idTokenTtlSeconds ?? 600,
      AccessToken: 600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 8 * 3600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        email: `${sub}@example.test`,
        email_verified: true,
        name: sub,
        preferred_username: sub,
        ...Object.fromEntries(Object.entries(extraClaims).map(([name, value]) => [name, value(sub)])),
      }),
    }),
    // First-party client: the scopes it asks for are granted without a consent page.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const oidc = ctx.oidc;
      if (!oidc.client || !oidc.session?.accountId) return undefined;
      const known = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
      const existing = known ? await oidc.provider.Grant.find(known) : undefined;
      if (existing) return existing;
      const grant = new oidc.provider.Grant({
        clientId: oidc.client.clientId,
        accountId: oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });

  let key = newSigningKey();
  let provider!: Provider;
  let handle!: (req: IncomingMessage, res: ServerResponse) => void;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (path === '/jwks') jwksRequests++;
    if (path.startsWith('/interaction/')) {
      interaction(request, response, path).catch((error: unknown) => {
        response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(`sign-in failed: ${error instanceof Error ? error.message : String(error)}`);
      });
      return;
    }
    handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const install = () => {
    provider = new Provider(issuer, configuration(key));
    handle = provider.callback();
  };
  install();

  // The sign-in page: GET shows the form, POST …/login finishes the login prompt.
  async function interaction(request: IncomingMessage, response: ServerResponse, path: string) {
    const details = await provider.interactionDetails(request, response);
    if (request.method === 'POST' && path.endsWith('/login')) {
      const login = (await readForm(request)).get('login')?.trim() ?? '';
      if (login === '') throw new Error('enter a user name');
      await provider.interactionFinished(
        request,
        response,
        { login: { accountId: login } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (details.prompt.name === 'consent') {
      // First-party client: what it asks for (offline_access needs an explicit consent) is granted.
      const { accountId } = details.session ?? {};
      if (!accountId) throw new Error('consent without a signed-in user');
      const grant = details.grantId
        ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
        : new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      const grantId = await grant.save();
      await provider.interactionFinished(
        request,
        response,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
    const uid = escapeHtml(details.uid);
    response.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
    });
    response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · local OpenID provider</title>
<style>body{font:16px system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}
input,button{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.25rem 0}</style></head>
<body><h1>Local OpenID provider</h1>
<p>Sign in to <strong>${escapeHtml(clientId)}</strong>. Any user name works: this provider is for tests and the demo.</p>
<form method="post" action="/interaction/${uid}/login">
<label for="login">User name</label>
<input id="login" name="login" autocomplete="username" autofocus required>
<button type="submit">Sign in</button>
</form></body></html>`);
  }

  async function signIn(userId: string): Promise<OidcTokens> {
    const jar = new Map<string, string>();
    const send = async (url: string, init: RequestInit = {}): Promise<Response> => {
      const headers = new Headers(init.headers);
      if (jar.size > 0) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
      const answer = await fetch(new URL(url, issuer), { ...init, headers, redirect: 'manual' });
      for (const cookie of answer.headers.getSetCookie()) {
        const [pair = ''] = cookie.split(';');
        const at = pair.indexOf('=');
        const value = pair.slice(at + 1);
        if (value === '') jar.delete(pair.slice(0, at));
        else jar.set(pair.slice(0, at), value);
      }
      return answer;
    };
    const redirectUri = redirectUris[0] ?? DEFAULT_REDIRECT_URI;
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(12).toString('base64url');
    const authorize = new URL('/auth', issuer);
    authorize.search = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: redirectUri,
      state,
      nonce: randomBytes(12).toString('base64url'),
      prompt: 'login',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();

    let answer = await send(authorize.href);
    for (let hop = 0; hop < 10; hop++) {
      const location = answer.headers.get('location');
      if (location?.startsWith(redirectUri)) {
        const back = new URL(location).searchParams;
        if (back.get('state') !== state) throw new Error('state mismatch');
        const code = back.get('code');
        if (code === null)
          throw new Error(`sign-in refused: ${back.get('error')} ${back.get('error_description')}`);
        return exchange(code, redirectUri, verifier);
      }
      if (location !== null) {
        answer = await send(location);
        continue;
      }
      // The sign-in page: post its form as the user would.
      const page = await answer.text();
      const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
      if (answer.status !== 200 || action === undefined)
        throw new Error(`unexpected answer ${answer.status} during sign-in: ${page.slice(0, 200)}`);
      answer = await send(action.replaceAll('&#38;', '&'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ login: userId }).toString(),
      });
    }
    throw new Error('sign-in did not finish in 10 redirects');
  }

  async function exchange(code: string, redirectUri: string, verifier: string): Promise<OidcTokens> {
    const answer = await fetch(new URL('/token', issuer), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
      }).toString(),
    });
    const body = (await answer.json()) as { id_token?: string; access_token?: string; error?: string };
    if (!answer.ok || body.id_token === undefined || body.access_token === undefined)
      throw new Error(`token endpoint answered ${answer.status}: ${body.error ?? 'no id_token'}`);
    const [, payload = ''] = body.id_token.split('.');
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number };
    return { idToken: body.id_token, accessToken: body.access_token, idTokenExpiresAt: exp };
  }

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUrl: `${issuer}/jwks`,
    clientId,
    clientSecret,
    redirectUris,
    currentKid: () => key.kid as string,
    jwksRequests: () => jwksRequests,
    signIn,
    rotateKeys() {
      const retiredKid = key.kid as string;
      key = newSigningKey();
      install();
      return { retiredKid, currentKid: key.kid as string };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

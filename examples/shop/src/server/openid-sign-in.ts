import { createHash, randomBytes } from 'node:crypto';

/** The shop as an OpenID relying party: what it needs to know about its provider. */
export interface OpenIdClientOptions {
  /** The provider's issuer; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The shop's callback, registered with the provider. */
  redirectUri: string;
}

/** What the provider's token endpoint gave for a signed-in user. */
export interface OpenIdTokens {
  idToken: string;
  /** The ID token's `sub`: the shop's (and Signet's) user id. */
  userId: string;
  /** The ID token's `exp`, in seconds since the epoch. */
  expiresAt: number;
  refreshToken: string | null;
}

export interface OpenIdSignIn {
  /** Starts a sign-in: the provider's authorization URL to send the browser to. */
  begin(): string;
  /** Finishes it with the callback's query (`code`, `state`): the code exchanged for tokens. */
  finish(query: Record<string, string | undefined>): Promise<OpenIdTokens>;
  /** A fresh ID token from a refresh token, without the user (ID tokens live minutes). */
  refresh(refreshToken: string): Promise<OpenIdTokens>;
}

interface Pending {
  verifier: string;
  nonce: string;
  startedAt: number;
}

const PENDING_MS = 10 * 60_000;

function claimsOf(idToken: string): Record<string, unknown> {
  const payload = idToken.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * The authorization code flow with PKCE, as a web app's backend runs it against its provider:
 * discovery, the redirect, the code exchanged for an ID token (and a refresh token, through
 * `offline_access`), and refreshes. The ID token comes straight from the provider's token
 * endpoint, so the shop only checks it was meant for it (`iss`, `aud`, `nonce`); Signet verifies
 * its signature with the provider's keys.
 *
 * @example
 * const openId = await openIdSignIn({ issuer, clientId, clientSecret, redirectUri: 'http://127.0.0.1:4100/auth/callback' });
 * reply.redirect(openId.begin());                  // GET /auth/login
 * const tokens = await openId.finish(request.query); // GET /auth/callback
 */
export async function openIdSignIn(options: OpenIdClientOptions): Promise<OpenIdSignIn> {
  const discoveryUrl = `${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const discovery = (await (await fetch(discoveryUrl)).json()) as {
    issuer: string;
    authorization_endpoint: string;
    token_endpoint: string;
  };
  if (discovery.issuer !== options.issuer)
    throw new Error(`${discoveryUrl} names issuer ${discovery.issuer}, not ${options.issuer}`);
  const pending = new Map<string, Pending>();
  const basic = Buffer.from(
    `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
  ).toString('base64');

  async function tokenRequest(form: Record<string, string>, nonce: string | null): Promise<OpenIdTokens> {
    const answer = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await answer.json()) as {
      id_token?: string;
      refresh_token?: string;
      error?: string;
      error_description?: string;
    };
    if (!answer.ok || body.id_token === undefined)
      throw new Error(`the provider refused: ${body.error ?? answer.status} ${body.error_description ?? ''}`);
    const claims = claimsOf(body.id_token);
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== options.issuer || !audience.includes(options.clientId))
      throw new Error('the ID token was not issued for this shop');
    if (nonce !== null && claims.nonce !== nonce) throw new Error('the ID token does not carry our nonce');
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number')
      throw new Error('the ID token has no sub or exp');
    return {
      idToken: body.id_token,
      userId: claims.sub,
      expiresAt: claims.exp,
      refreshToken: body.refresh_token ?? null,
    };
  }

  return {
    begin() {
      const now = Date.now();
      for (const [state, p] of pending) if (now - p.startedAt > PENDING_MS) pending.delete(state);
      const state = randomBytes(16).toString('base64url');
      const entry = {
        verifier: randomBytes(32).toString('base64url'),
        nonce: randomBytes(16).toString('base64url'),
        startedAt: now,
      };
      pending.set(state, entry);
      const url = new URL(discovery.authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: options.clientId,
        response_type: 'code',
        redirect_uri: options.redirectUri,
        // offline_access: a refresh token, so the shop renews ID tokens while the user shops.
        scope: 'openid email profile offline_access',
        // login: always show the sign-in page (another user may sign in after a sign-out);
        // consent: required with offline_access.
        prompt: 'login consent',
        state,
        nonce: entry.nonce,
        code_challenge: createHash('sha256').update(entry.verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      return url.href;
    },
    async finish(query) {
      const entry = query.state === undefined ? undefined : pending.get(query.state);
      if (entry === undefined || query.state === undefined) throw new Error('unknown or expired sign-in');
      pending.delete(query.state);
      if (query.code === undefined) throw new Error(`sign-in refused: ${query.error ?? 'no code'}`);
      return tokenRequest(
        {
          grant_type: 'authorization_code',
          code: query.code,
          redirect_uri: options.redirectUri,
          code_verifier: entry.verifier,
        },
        entry.nonce,
      );
    },
    refresh(refreshToken) {
      return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, null);
    },
  };
}

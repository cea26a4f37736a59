import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { createTokenEndpoint, createTokenIssuer, generateKeyPair } from '@signet/issuer';
import { LIMITS } from '@signet/protocol';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { OpenIdSignIn, OpenIdTokens } from './openid-sign-in.ts';
import { Sessions } from './sessions.ts';

// src/server/ and dist/server/ sit at the same depth: web/ is two levels up from either.
const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const SESSION_COOKIE = 'shop_session';

export interface ShopOptions {
  /** The Signet app the page's SDK sends to. */
  appId: string;
  /** The Signet server's base URL, as the browser reaches it. */
  signetUrl: string;
  /** Shown on the page as a link; default `signetUrl`. */
  dashboardUrl?: string;
  /** The app's private key (PEM). Only its public half is registered with Signet. */
  privateKeyPem: string;
  /**
   * Sign users in through an OpenID provider instead of "any name": /signet-token then answers
   * the provider's ID token (renewed with its refresh token), which Signet verifies with the
   * provider's published keys. `privateKeyPem` still signs the attacker's forged tokens only.
   */
  openId?: OpenIdSignIn;
  /** The registered key's kid, put in each token's header so the server picks the key at once. */
  kid?: string;
  /** Token lifetime: seconds or `90s`, `2m`… Default 2 minutes, so the refresh is visible. */
  ttl?: number | string;
  /** The SDK's script-tag build (see `sdkBundlePath`). */
  sdkBundlePath: string;
  port?: number;
  host?: string;
}

export interface RunningShop {
  /** e.g. `http://127.0.0.1:4100` */
  url: string;
  /** Tokens the token endpoint has issued so far (how often the SDK's tokenProvider asked). */
  tokensIssued(): number;
  close(): Promise<void>;
}

/**
 * Starts the shop's backend, playing "the app's own server": a demo sign-in (any user name) kept
 * in a session cookie, and the token endpoint of `@signet/issuer` that the page's SDK calls
 * through `tokenProvider`. It serves the page and the SDK's browser build.
 *
 * @example
 * const shop = await startShop({ appId, signetUrl: 'http://127.0.0.1:4000', privateKeyPem, kid,
 *   sdkBundlePath: sdkBundlePath(), port: 4100 });
 * console.log(`open ${shop.url}`);
 */
export async function startShop(options: ShopOptions): Promise<RunningShop> {
  const issuer = createTokenIssuer({
    privateKey: options.privateKeyPem,
    ttl: options.ttl ?? '2m',
    ...(options.kid !== undefined && { kid: options.kid }),
  });
  // The impersonation demo's attacker: a key pair of its own that the app never registered.
  const attacker = createTokenIssuer({ privateKey: (await generateKeyPair()).privateKeyPem, ttl: '2m' });
  const sdkBundle = readFileSync(options.sdkBundlePath);
  const sessions = new Sessions();
  /** Provider sign-in only: each session's ID and refresh tokens (kept on the server, never in the page). */
  const idTokens = new Map<string, OpenIdTokens>();
  const sessionUser = (request: FastifyRequest) => sessions.userOf(request.cookies[SESSION_COOKIE]);
  let issued = 0;
  const tokenEndpoint = createTokenEndpoint<FastifyRequest>({
    issuer,
    authenticate: (request) => {
      const user = sessionUser(request);
      if (user !== null) issued++;
      return user;
    },
  });

  const app = Fastify({ logger: false });
  await app.register(fastifyCookie);
  await app.register(fastifyStatic, { root: WEB_DIR, index: 'index.html' });

  const config = {
    appId: options.appId,
    signetUrl: options.signetUrl,
    dashboardUrl: options.dashboardUrl ?? options.signetUrl,
    tokenTtlSeconds: issuer.ttlSeconds,
    signIn: options.openId ? 'openid' : 'name',
  };
  app.get('/shop-config.json', async () => config);
  app.get('/signet.iife.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(sdkBundle),
  );

  app.get('/api/me', async (request) => ({ user: sessionUser(request) }));

  if (options.openId) registerOpenIdSignIn(options.openId);
  else registerNameSignIn();

  app.post('/api/logout', async (request, reply) => {
    idTokens.delete(request.cookies[SESSION_COOKIE] ?? '');
    sessions.end(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { user: null };
  });

  function startSession(reply: FastifyReply, previous: string | undefined, user: string): string {
    sessions.end(previous);
    idTokens.delete(previous ?? '');
    const id = sessions.start(user);
    reply.setCookie(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'lax' });
    return id;
  }

  function registerNameSignIn() {
    app.post<{ Body: { user: string } }>(
      '/api/login',
      {
        schema: {
          body: {
            type: 'object',
            required: ['user'],
            properties: { user: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength } },
          },
        },
      },
      async (request, reply) => {
        // A demo: any name signs in. A real app checks a password, SSO, a magic link…
        const user = request.body.user.trim();
        if (user === '') return reply.code(400).send({ error: 'Enter a user name' });
        startSession(reply, request.cookies[SESSION_COOKIE], user);
        return { user };
      },
    );

    // What the SDK's tokenProvider fetches: 200 {token, expiresAt} for the signed-in user, else 401.
    app.get('/signet-token', tokenEndpoint);
  }

  // Sign-in through the provider: /auth/login sends the browser there, /auth/callback comes
  // back with a code; /signet-token answers the provider's ID token for the session's user.
  function registerOpenIdSignIn(openId: OpenIdSignIn) {
    app.get('/auth/login', async (_request, reply) => reply.redirect(openId.begin()));
    app.get<{ Querystring: Record<string, string> }>('/auth/callback', async (request, reply) => {
      let tokens: OpenIdTokens;
      try {
        tokens = await openId.finish(request.query);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return reply.code(400).type('text/plain; charset=utf-8').send(`Sign-in failed: ${message}`);
      }
      const id = startSession(reply, request.cookies[SESSION_COOKIE], tokens.userId);
      idTokens.set(id, tokens);
      return reply.redirect('/?signed_in=1');
    });
    app.get('/signet-token', async (request, reply) => {
      const id = request.cookies[SESSION_COOKIE];
      let tokens = id === undefined || sessions.userOf(id) === null ? undefined : idTokens.get(id);
      if (id === undefined || tokens === undefined) return reply.code(401).send({ error: 'not signed in' });
      // The SDK asks 60 s before exp: renew a little earlier than that, without the user.
      if (tokens.expiresAt * 1000 - Date.now() < 90_000 && tokens.refreshToken !== null) {
        try {
          const fresh = await openId.refresh(tokens.refreshToken);
          tokens = { ...fresh, refreshToken: fresh.refreshToken ?? tokens.refreshToken };
          idTokens.set(id, tokens);
        } catch {
          return reply.code(401).send({ error: 'the provider refused to renew the token: sign in again' });
        }
      }
      issued++;
      return reply
        .header('cache-control', 'no-store')
        .send({ token: tokens.idToken, expiresAt: new Date(tokens.expiresAt * 1000).toISOString() });
    });
  }

  // Plays the attacker for the "try to impersonate" button: a token naming any user, signed
  // with a key Signet never saw. Signet must refuse it (INVALID_SIGNATURE); nothing is stored.
  app.get<{ Querystring: { user: string } }>(
    '/demo/forged-token',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['user'],
          properties: { user: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength } },
        },
      },
    },
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await attacker.issueWithExpiry(request.query.user)),
  );

  const address = await app.listen({ port: options.port ?? 4100, host: options.host ?? '127.0.0.1' });
  return { url: address, tokensIssued: () => issued, close: () => app.close() };
}

import { createServer, type IncomingMessage, type Server } from 'node:http';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenEndpoint,
  createTokenIssuer,
  type GeneratedKeyPair,
  generateKeyPair,
  verifyToken,
} from '../src/index.ts';

// The app's own session, as a backend would read it: here a cookie naming the user.
const userFromCookie = (req: IncomingMessage) =>
  /(?:^|; )user=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? null;

let pair: GeneratedKeyPair;
let server: Server;
let base: string;
const errors: unknown[] = [];

beforeAll(async () => {
  pair = await generateKeyPair({ alg: 'ES256' });
  const issuer = createTokenIssuer({ privateKey: pair.privateKeyPem, kid: pair.kid, ttl: '10m' });
  const endpoint = createTokenEndpoint({
    issuer,
    authenticate: (req: IncomingMessage) => {
      if (req.headers.cookie === 'user=boom') throw new Error('session store down: secret detail');
      return userFromCookie(req);
    },
    onError: (error) => errors.push(error),
  });
  server = createServer((req, res) => {
    if (req.url === '/signet-token') return void endpoint(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = (cookie?: string) =>
  fetch(`${base}/signet-token`, { headers: cookie === undefined ? {} : { cookie } });

describe('createTokenEndpoint on node:http', () => {
  it('answers {token, expiresAt} for the signed-in user, never cached', async () => {
    const before = Date.now();
    const res = await get('user=alice');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { token: string; expiresAt: string };
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'token']);
    const result = await verifyToken(body.token, [pair.publicKeyPem], { subject: 'alice' });
    expect(result).toMatchObject({ ok: true, subject: 'alice', kid: pair.kid });
    expect(result.ok && result.expiresAt * 1000).toBe(Date.parse(body.expiresAt));
    // iat is whole seconds taken at issue time, somewhere between `before` and now.
    const lifetime = Date.parse(body.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(590_000);
    expect(lifetime).toBeLessThanOrEqual(600_000 + (Date.now() - before));
  });

  it('answers 401 with no token when nobody is signed in', async () => {
    const res = await get();
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 'UNAUTHENTICATED', message: 'Sign in to get a token' },
    });
  });

  it('answers 500 without the cause when authenticate throws, and tells onError', async () => {
    const res = await get('user=boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret detail');
    expect(JSON.parse(text)).toEqual({
      error: { code: 'TOKEN_UNAVAILABLE', message: 'The token could not be issued' },
    });
    expect(String(errors.at(-1))).toContain('session store down');
  });

  it('answers 500 when the user id cannot be put in a token', async () => {
    const res = await get(`user=${'x'.repeat(200)}`);
    expect(res.status).toBe(500);
    expect(String(errors.at(-1))).toMatch(/userId must be/);
  });

  it('checks its options when created', () => {
    const issuer = createTokenIssuer({ privateKey: pair.privateKeyPem });
    expect(() => createTokenEndpoint({ issuer: {} as never, authenticate: () => 'u' })).toThrow(
      /issuer must be/,
    );
    expect(() => createTokenEndpoint({ issuer, authenticate: 'u' as never })).toThrow(/authenticate must be/);
  });
});

describe('createTokenEndpoint on Fastify', () => {
  it('works as a route handler over a real port', async () => {
    const issuer = createTokenIssuer({ privateKey: pair.privateKeyPem });
    const app = Fastify();
    app.get(
      '/token',
      createTokenEndpoint({
        issuer,
        authenticate: (request: { headers: IncomingMessage['headers'] }) =>
          request.headers['x-user'] as string | undefined,
      }),
    );
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const ok = await fetch(`${url}/token`, { headers: { 'x-user': 'bob' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('cache-control')).toBe('no-store');
      const { token } = (await ok.json()) as { token: string };
      expect((await verifyToken(token, [pair.publicJwk], { subject: 'bob' })).ok).toBe(true);
      expect((await fetch(`${url}/token`)).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});

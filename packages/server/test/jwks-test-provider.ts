import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A real HTTP server of ours on 127.0.0.1 playing an identity provider: its answers are set by
 * the test, and every request is counted by path, so a test can show what Signet fetched (and
 * what it never did).
 */
export interface TestProvider {
  url: string;
  /** Requests received, by path. */
  requests: Map<string, number>;
  count(path?: string): number;
  /** Answers `path` with `handler` from now on. */
  on(path: string, handler: Handler): void;
  /** Answers `path` with this JSON (and headers). */
  json(path: string, body: unknown, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startTestProvider(): Promise<TestProvider> {
  const handlers = new Map<string, Handler>();
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    const handler = handlers.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (path) =>
      path === undefined ? [...requests.values()].reduce((a, b) => a + b, 0) : (requests.get(path) ?? 0),
    on: (path, handler) => handlers.set(path, handler),
    json(path, body, headers = {}) {
      handlers.set(path, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A provider's signing key: its private half signs ID tokens, `jwk` is what the JWKS publishes. */
export interface ProviderKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function providerKey(alg: string, kid: string, extra: Partial<JWK> = {}): Promise<ProviderKey> {
  const options = alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {};
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg, ...extra } };
}

/** An ID token as the provider would issue it: iss, aud, sub, iat, exp (ten minutes). */
export function idToken(
  key: ProviderKey,
  claims: JWTPayload,
  header: Record<string, unknown> = {},
  nowMs = Date.now(),
): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  return new SignJWT({ iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminTokenCheck } from '../src/admin/token.ts';
import { buildApp } from '../src/app.ts';
import { DEFAULT_CONFIG, loadConfig } from '../src/config.ts';
import { startServer as serve } from '../src/start.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { ADMIN_TOKEN, batchFor, startServer, type TestServer } from './helpers.ts';

/*
 * Issue #16: the HTTP layer itself. Slow requests are closed, the framework's own errors use
 * the SPEC's error body and echo nothing of the request, x-request-id is only kept when safe,
 * and /metrics can require a token. Over a real port on 127.0.0.1 with raw sockets where the
 * bytes on the wire matter.
 */

const TIMEOUT_MS = 1_000;
// Node checks every tenth of the timeout; the rest is scheduling slack on a busy machine.
const CLOSE_WITHIN_MS = TIMEOUT_MS + 1_500;
const METRICS_TOKEN = 'metrics-0123456789abcdef0123456789abcdef';
const MARKER = 'MARKERq7zx';

let server: TestServer;
let base: string;
let port: number;

beforeAll(async () => {
  server = await startServer({ requestTimeoutMs: TIMEOUT_MS, metricsToken: METRICS_TOKEN });
  base = await server.app.listen({ port: 0, host: '127.0.0.1' });
  port = (server.app.server.address() as AddressInfo).port;
});
afterAll(() => server.close());

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** A raw TCP connection: bytes exactly as written, answers parsed as they arrive. */
class RawConnection {
  private buffer = Buffer.alloc(0);
  private wake: () => void = () => {};
  /** When the connection closed (Date.now()). */
  readonly closed: Promise<number>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('end', () => this.wake());
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        resolve(Date.now());
        this.wake();
      }),
    );
  }

  /** `allowHalfOpen` keeps the client's side open after the server's FIN, as a stubborn client would. */
  static async open(toPort: number, allowHalfOpen = false): Promise<RawConnection> {
    const socket = connect({ port: toPort, host: '127.0.0.1', allowHalfOpen });
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** The next complete answer (Content-Length framed), or null if the server stops first. */
  async response(): Promise<RawResponse | null> {
    for (;;) {
      const parsed = this.take();
      if (parsed) return parsed;
      if (this.socket.destroyed || this.socket.readableEnded) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private take(): RawResponse | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return null;
    const [statusLine = '', ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) return null;
    const text = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, text };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asserts a raw answer is our 408 body and nothing else. */
function expectTimeoutAnswer(answer: RawResponse | null): void {
  expect(answer?.status).toBe(408);
  expect(answer?.headers.connection).toBe('close');
  expect(JSON.parse(answer?.text ?? '')).toEqual({
    error: {
      type: 'request',
      code: 'REQUEST_TIMEOUT',
      reason: 'request_timeout',
      message: expect.any(String),
    },
  });
}

const slowBodyHead = (appId: string) =>
  `POST /v1/apps/${appId}/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
  'Content-Length: 100000\r\n\r\n{';

describe('requests that do not arrive in time (SIGNET_REQUEST_TIMEOUT_MS)', () => {
  it('answers 408 in our error body and closes a request whose body stops after one byte', async () => {
    const conn = await RawConnection.open(port);
    const started = Date.now();
    conn.write(slowBodyHead('app_slow'));
    const answer = await conn.response();
    const closedAfter = (await conn.closed) - started;
    expectTimeoutAnswer(answer);
    expect(closedAfter).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(closedAfter).toBeLessThan(CLOSE_WITHIN_MS);
  });

  it('closes a connection whose headers never finish', async () => {
    const conn = await RawConnection.open(port);
    const started = Date.now();
    conn.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a');
    expectTimeoutAnswer(await conn.response());
    expect((await conn.closed) - started).toBeLessThan(CLOSE_WITHIN_MS);
  });

  it('closes the server side even when the client keeps its side open after the answer', async () => {
    const accepted = once(server.app.server, 'connection') as Promise<[Socket]>;
    const conn = await RawConnection.open(port, true);
    const [serverSide] = await accepted;
    const started = Date.now();
    conn.write(slowBodyHead('app_slow'));
    expectTimeoutAnswer(await conn.response());
    await once(serverSide, 'close');
    // The answer is given a second to arrive before the socket is destroyed.
    expect(Date.now() - started).toBeLessThan(CLOSE_WITHIN_MS + 1_000);
    expect(conn.socket.destroyed).toBe(false);
    conn.socket.destroy();
  });

  it('still answers a slow request whose body arrives in full within the timeout', async () => {
    const appId = (await server.admin('POST', '/admin/v1/apps', { name: 'Slow link' })).body.id as string;
    const body = JSON.stringify(batchFor({ anonymousId: 'anon-1' }, 2));
    const third = Math.ceil(body.length / 3);
    const conn = await RawConnection.open(port);
    conn.write(
      `POST /v1/apps/${appId}/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, third)}`,
    );
    await sleep(TIMEOUT_MS / 4);
    conn.write(body.slice(third, 2 * third));
    await sleep(TIMEOUT_MS / 4);
    conn.write(body.slice(2 * third));
    const answer = await conn.response();
    expect(answer?.status).toBe(200);
    expect(JSON.parse(answer?.text ?? '')).toEqual({ accepted: 2, duplicates: 0 });
    conn.socket.destroy();
  });

  it('keeps a keep-alive connection for a second request, even after idling longer than the timeout', async () => {
    const conn = await RawConnection.open(port);
    const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    conn.write(request);
    const first = await conn.response();
    expect(first?.status).toBe(200);
    expect(first?.headers.connection).not.toBe('close');
    // Only a request still arriving is timed; an idle connection between requests is not.
    await sleep(TIMEOUT_MS + 300);
    conn.write(request);
    const second = await conn.response();
    expect(second?.status).toBe(200);
    expect(JSON.parse(second?.text ?? '')).toEqual({ status: 'ok' });
    expect(conn.socket.destroyed).toBe(false);
    conn.socket.destroy();
  });

  it('gives the real server 30 s by default, checked every second rather than every 30 s', async () => {
    const store = openSqliteStore({ filename: ':memory:', busyTimeoutMs: 100 });
    await store.migrate();
    const app = await buildApp({ store, adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN) });
    try {
      expect(app.server.requestTimeout).toBe(30_000);
      expect(app.server.headersTimeout).toBe(30_000);
      expect((app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval).toBe(
        1_000,
      );
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('applies to the port that startServer (npm start, signet serve) listens on', async () => {
    const running = await serve(
      {
        ...DEFAULT_CONFIG,
        port: 0,
        host: '127.0.0.1',
        databaseUrl: 'sqlite::memory:',
        adminToken: ADMIN_TOKEN.padEnd(40, '-'),
        logLevel: 'silent',
        requestTimeoutMs: TIMEOUT_MS,
      },
      { out: new Writable({ write: (_chunk, _encoding, done) => done() }), handleSignals: false },
    );
    try {
      const conn = await RawConnection.open(Number(new URL(running.url).port));
      const started = Date.now();
      conn.write(slowBodyHead('app_slow'));
      expectTimeoutAnswer(await conn.response());
      expect((await conn.closed) - started).toBeLessThan(CLOSE_WITHIN_MS);
    } finally {
      await running.close();
    }
  });

  it('reads SIGNET_REQUEST_TIMEOUT_MS within 1 s to 10 min, 30 s by default', () => {
    expect(loadConfig({}).requestTimeoutMs).toBe(30_000);
    expect(loadConfig({ SIGNET_REQUEST_TIMEOUT_MS: '5000' }).requestTimeoutMs).toBe(5_000);
    expect(() => loadConfig({ SIGNET_REQUEST_TIMEOUT_MS: '0' })).toThrow(/SIGNET_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ SIGNET_REQUEST_TIMEOUT_MS: '999' })).toThrow(/SIGNET_REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ SIGNET_REQUEST_TIMEOUT_MS: '600001' })).toThrow(/SIGNET_REQUEST_TIMEOUT_MS/);
  });
});

/** Asserts an answer is exactly one error body with this code and reason. */
async function expectError(res: Response, status: number, code: string, reason: string): Promise<string> {
  const text = await res.text();
  expect(res.status).toBe(status);
  expect(JSON.parse(text)).toEqual({
    error: { type: 'request', code, reason, message: expect.any(String) },
  });
  return text;
}

describe("the HTTP layer's own errors: our error body, nothing of the request echoed", () => {
  it('answers a 12,000-character app id with 414 URI_TOO_LONG', async () => {
    const res = await fetch(`${base}/v1/apps/${'q'.repeat(12_000)}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batchFor({ anonymousId: 'a' })),
    });
    const text = await expectError(res, 414, 'URI_TOO_LONG', 'uri_too_long');
    expect(text).not.toContain('qqqq');
    expect(res.headers.get('x-request-id')).toMatch(/^[\w.:-]{1,64}$/);
  });

  it('still routes an id of the longest valid length (128 characters, non-ASCII too)', async () => {
    const appId = (await server.admin('POST', '/admin/v1/apps', { name: 'Long ids' })).body.id as string;
    for (const userId of ['u'.repeat(128), 'é'.repeat(128)]) {
      const res = await server.admin('GET', `/admin/v1/apps/${appId}/users/${encodeURIComponent(userId)}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', reason: 'unknown_user' });
    }
  });

  it('answers a URL that is not valid percent-encoding with 400 INVALID_REQUEST', async () => {
    const res = await fetch(`${base}/v1/apps/${MARKER}%E0%A4%A/batch`, { method: 'POST' });
    const text = await expectError(res, 400, 'INVALID_REQUEST', 'invalid_field');
    expect(text).not.toContain(MARKER);
  });

  it('answers a body that is not JSON with a fixed message, on ingestion and on the admin API', async () => {
    const broken = [`{"${MARKER}": [`, `{"__proto__": {"${MARKER}": 1}}`, ''];
    for (const body of broken) {
      const ingest = await fetch(`${base}/v1/apps/app_${MARKER}/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const admin = await fetch(`${base}/admin/v1/apps`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
        body,
      });
      for (const [res, code] of [
        [ingest, 'INVALID_BATCH'],
        [admin, 'INVALID_REQUEST'],
      ] as const) {
        const text = await res.text();
        expect(res.status).toBe(400);
        expect(JSON.parse(text)).toEqual({
          error: {
            type: 'request',
            code,
            reason: 'invalid_json',
            message: 'The body could not be read as JSON',
          },
        });
        expect(text).not.toContain(MARKER);
      }
    }
  });

  it('answers an unknown route with 404 without repeating its path', async () => {
    const res = await fetch(`${base}/admin/v1/${MARKER}${'z'.repeat(3_000)}?q=${MARKER}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const text = await expectError(res, 404, 'NOT_FOUND', 'unknown_route');
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain('zzzz');
  });

  it('answers headers or a URL over the limit with 431 in our body, without either', async () => {
    const res = await fetch(`${base}/healthz`, { headers: { 'x-padding': MARKER.repeat(2_000) } });
    const text = await expectError(res, 431, 'HEADERS_TOO_LARGE', 'headers_too_large');
    expect(text).not.toContain(MARKER);
    // A URL past Node's 16 KiB limit for the request line and headers ends the same way.
    const long = await fetch(`${base}/v1/apps/${MARKER.repeat(2_000)}/batch`, { method: 'POST' });
    expect(await expectError(long, 431, 'HEADERS_TOO_LARGE', 'headers_too_large')).not.toContain(MARKER);
  });

  it('answers a malformed HTTP request with 400 in our body', async () => {
    const conn = await RawConnection.open(port);
    conn.write(`GET /${MARKER} HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header ${MARKER}\r\n\r\n`);
    const answer = await conn.response();
    expect(answer?.status).toBe(400);
    expect(JSON.parse(answer?.text ?? '').error).toMatchObject({
      type: 'request',
      code: 'INVALID_REQUEST',
      reason: 'invalid_field',
    });
    expect(answer?.text).not.toContain(MARKER);
    await conn.closed;
  });
});

describe('x-request-id', () => {
  const idFor = async (given: string) =>
    (await fetch(`${base}/healthz`, { headers: { 'x-request-id': given } })).headers.get('x-request-id');

  it('echoes a short, safe id, as a proxy or another service sent it', async () => {
    expect(await idFor('trace-2024.05:AbC')).toBe('trace-2024.05:AbC');
    expect(await idFor('r'.repeat(64))).toBe('r'.repeat(64));
  });

  it('replaces an over-long or unsafe id with one of its own', async () => {
    for (const given of ['r'.repeat(65), 'r'.repeat(8_000), `<script>${MARKER}`, `a b`, 'ü']) {
      const id = await idFor(given);
      expect(id).not.toBe(given);
      expect(id).not.toContain('rrrr');
      expect(id).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    }
    expect(await idFor('r'.repeat(65))).not.toBe(await idFor('r'.repeat(65)));
  });
});

describe('/metrics with SIGNET_METRICS_TOKEN', () => {
  const metrics = (authorization?: string) =>
    fetch(`${base}/metrics`, authorization === undefined ? {} : { headers: { authorization } });

  it('refuses a request without the token: 401 METRICS_UNAUTHORIZED missing', async () => {
    for (const authorization of [undefined, `Basic ${METRICS_TOKEN}`, 'Bearer ']) {
      const res = await metrics(authorization);
      const text = await expectError(res, 401, 'METRICS_UNAUTHORIZED', 'missing');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(text).not.toContain('signet_');
    }
  });

  it('refuses a wrong token: 401 METRICS_UNAUTHORIZED invalid', async () => {
    for (const token of ['wrong', `${METRICS_TOKEN}x`, METRICS_TOKEN.slice(0, -1), ADMIN_TOKEN]) {
      const text = await expectError(
        await metrics(`Bearer ${token}`),
        401,
        'METRICS_UNAUTHORIZED',
        'invalid',
      );
      expect(text).not.toContain(token);
    }
  });

  it('answers the right token with the metrics', async () => {
    const res = await metrics(`Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('signet_http_requests_total');
  });

  it('stays open when no token is configured', async () => {
    const open = await startServer();
    try {
      const res = await open.app.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.payload).toContain('signet_http_requests_total');
    } finally {
      await open.close();
    }
  });

  it('refuses a configured token shorter than 32 characters at start', () => {
    expect(loadConfig({}).metricsToken).toBeNull();
    expect(loadConfig({ SIGNET_METRICS_TOKEN: METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
    expect(() => loadConfig({ SIGNET_METRICS_TOKEN: 'x'.repeat(31) })).toThrow(/SIGNET_METRICS_TOKEN/);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cycle, type FaultProxy, startFaultProxy } from '../src/fault-proxy.ts';

// The proxy itself, against a tiny upstream that counts what reaches it.

let upstream: Server;
let upstreamUrl: string;
let reached = 0;
let proxy: FaultProxy;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    reached++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = await startFaultProxy(upstreamUrl);
});
afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => upstream.close(resolve));
});

const post = (signal?: AbortSignal) =>
  fetch(`${proxy.url}/v1/apps/a/batch`, {
    method: 'POST',
    body: '{"x":1}',
    headers: { authorization: 'Bearer t' },
    ...(signal && { signal }),
  });

describe('fault proxy', () => {
  it('passes requests and answers through, recording each', async () => {
    proxy.setSchedule(cycle([{ kind: 'pass' }]));
    const before = reached;
    const res = await post();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(reached).toBe(before + 1);
    expect(proxy.requests.at(-1)).toMatchObject({
      path: '/v1/apps/a/batch',
      authorization: 'Bearer t',
      body: '{"x":1}',
      upstreamStatus: 200,
    });
  });

  it('drops the connection before forwarding: the server never sees the request', async () => {
    proxy.setSchedule(cycle([{ kind: 'drop-request' }]));
    const before = reached;
    await expect(post()).rejects.toThrow();
    expect(reached).toBe(before);
  });

  it('forwards and then drops the answer: the server saw it, the client did not', async () => {
    proxy.setSchedule(cycle([{ kind: 'drop-answer' }]));
    const before = reached;
    await expect(post()).rejects.toThrow();
    expect(reached).toBe(before + 1);
    expect(proxy.requests.at(-1)?.upstreamStatus).toBe(200);
  });

  it('answers 503 and 429 with Retry-After itself', async () => {
    proxy.setSchedule(
      cycle([
        { kind: 'status', status: 503, retryAfterSeconds: 2 },
        { kind: 'status', status: 429, retryAfterSeconds: 3 },
      ]),
    );
    const before = reached;
    const a = await post();
    const b = await post();
    expect([a.status, a.headers.get('retry-after'), b.status, b.headers.get('retry-after')]).toEqual([
      503,
      '2',
      429,
      '3',
    ]);
    expect(((await a.json()) as any).error.code).toBe('STORAGE_UNAVAILABLE');
    expect(((await b.json()) as any).error.code).toBe('RATE_LIMITED');
    expect(reached).toBe(before);
  });

  it('delays the answer past a client timeout, after the server handled it', async () => {
    proxy.setSchedule(cycle([{ kind: 'delay', ms: 2_000 }]));
    const before = reached;
    await expect(post(AbortSignal.timeout(200))).rejects.toThrow();
    expect(reached).toBe(before + 1);
  });

  it('leaves non-batch requests alone and closes the connection when the server is down', async () => {
    proxy.setSchedule(cycle([{ kind: 'drop-request' }]));
    expect((await fetch(`${proxy.url}/healthz`)).status).toBe(200);
    proxy.setSchedule(cycle([{ kind: 'pass' }]));
    proxy.setTarget('http://127.0.0.1:1');
    await expect(post()).rejects.toThrow();
    proxy.setTarget(upstreamUrl);
    expect((await post()).status).toBe(200);
  });
});

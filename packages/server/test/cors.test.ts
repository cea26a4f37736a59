import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithKey, batchFor, keyPair, startServer, type TestServer } from './helpers.ts';

// Browsers on customers' sites post to the ingestion route from any origin; the admin API
// stays same-origin.
let server: TestServer;
let appId: string;

beforeAll(async () => {
  server = await startServer();
  ({ appId } = await appWithKey(server, await keyPair('ES256'), 'disabled'));
});
afterAll(() => server.close());

describe('CORS', () => {
  it('answers the ingestion preflight for any origin with Authorization allowed', async () => {
    const res = await server.app.inject({
      method: 'OPTIONS',
      url: `/v1/apps/${appId}/batch`,
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(String(res.headers['access-control-allow-headers'])).toMatch(/authorization/);
    expect(String(res.headers['access-control-allow-methods'])).toMatch(/POST/);
  });

  it('lets the page read Date and Retry-After on the ingestion answer', async () => {
    const res = await server.ingest(appId, batchFor({ anonymousId: 'a-1' }), {
      origin: 'https://shop.example',
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(String(res.headers['access-control-expose-headers'])).toMatch(/date/);
    expect(String(res.headers['access-control-expose-headers'])).toMatch(/retry-after/);
  });

  it('lets the page read an error answer of the ingestion route', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: `/v1/apps/${appId}/batch`,
      headers: { origin: 'https://shop.example', 'content-type': 'application/json' },
      payload: { batchId: 'not enough' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('gives the admin API no CORS headers', async () => {
    const res = await server.app.inject({
      method: 'GET',
      url: '/admin/v1/apps',
      headers: { origin: 'https://evil.example', authorization: 'Bearer x' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await server.app.inject({
      method: 'OPTIONS',
      url: '/admin/v1/apps',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

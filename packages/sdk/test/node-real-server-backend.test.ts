import type { StoredEvent } from '@signet/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuthenticationError } from '../src/core/authentication-error.ts';
import { SDK_VERSION } from '../src/core/signet-client.ts';
import { SignetBackend, type SignetBackendOptions } from '../src/node/index.ts';
import { realServer } from './real-server.ts';

// SignetBackend (SPEC §6.2) against the real server in `required` mode: real SQLite file, real
// port, real ES256 tokens for several users from one process.

let server: Awaited<ReturnType<typeof realServer>>;
let base: string;

beforeAll(async () => {
  server = await realServer();
  base = await server.listen();
});
afterAll(() => server.close());

async function backend(options: Partial<SignetBackendOptions> = {}) {
  const app = await server.createApp('required');
  const errors: AuthenticationError['data'][] = [];
  const b = SignetBackend.init({ appId: app.appId, endpoint: base, flushAt: 500, ...options });
  b.registerAuthenticationListener((error) => {
    errors.push(error.data);
  });
  const stored = async (userId?: string) => (await app.events(userId)) as unknown as StoredEvent[];
  const profile = async (userId: string) =>
    (await server.admin('GET', `/admin/v1/apps/${app.appId}/users/${userId}`)).body;
  return { ...app, b, errors, stored, profile };
}

describe('SignetBackend against the real server (required mode)', () => {
  it('several users from one process: each user’s events stored verified under that user, traits on their profile', async () => {
    const c = await backend();
    const users = ['alice', 'bob', 'carol'];
    for (let i = 0; i < 9; i++) {
      const userId = users[i % 3] as string;
      c.b.track({ userId, token: await c.sign(userId), name: 'Invoice paid', properties: { i } });
    }
    c.b.identify({ userId: 'bob', traits: { plan: 'pro' } });
    c.b.page({ userId: 'carol', name: 'Invoice', properties: { path: '/invoices/7' } });
    await c.b.close();
    const events = await c.stored();
    expect(events).toHaveLength(11);
    for (const event of events) {
      expect(event.verified).toBe(true);
      expect(event.context).toEqual({ library: { name: 'signet-backend', version: SDK_VERSION } });
    }
    for (const [n, userId] of users.entries()) {
      const mine = events.filter((e) => e.type === 'track' && e.userId === userId);
      expect(mine.map((e) => e.properties?.i).sort()).toEqual([n, n + 3, n + 6]);
    }
    expect(events.find((e) => e.type === 'page')).toMatchObject({
      userId: 'carol',
      name: 'Invoice',
      properties: { path: '/invoices/7' },
    });
    expect(await c.profile('bob')).toMatchObject({ attributes: { plan: 'pro' } });
    expect(await c.failures()).toEqual([]);
    expect(c.b.stats()).toMatchObject({ queued: 0, sent: 11, dropped: 0 });
  });

  it('tokenProvider: asked once per user, every batch verified', async () => {
    const asked: string[] = [];
    let sign: (sub: string) => Promise<string> = async () => '';
    const c = await backend({
      tokenProvider: async (userId) => {
        asked.push(userId);
        return sign(userId);
      },
    });
    sign = c.sign;
    for (const userId of ['u1', 'u2', 'u1', 'u3', 'u2']) c.b.track({ userId, name: 'Report exported' });
    await c.b.flush();
    expect(asked.sort()).toEqual(['u1', 'u2', 'u3']);
    const events = await c.stored();
    expect(events).toHaveLength(5);
    expect(events.every((e) => e.verified)).toBe(true);
  });

  it('B3 per user: one user’s refused token holds only their data, one listener call, then a new token delivers it', async () => {
    const c = await backend();
    c.b.track({ userId: 'alice', token: await c.sign('alice', 900, { unregisteredKey: true }), name: 'A' });
    c.b.track({ userId: 'bob', token: await c.sign('bob'), name: 'B' });
    await c.b.flush();
    await c.b.flush();
    await vi.waitFor(() => expect(c.errors).toHaveLength(1));
    expect(c.errors[0]).toMatchObject({ code: 'INVALID_SIGNATURE', userIdentifier: 'alice' });
    expect((await c.stored()).map((e) => e.userId)).toEqual(['bob']);
    expect(await c.failures()).toHaveLength(1);

    c.b.track({ userId: 'alice', token: await c.sign('alice'), name: 'A2' });
    await vi.waitFor(() => expect(c.b.stats().queued).toBe(0), { timeout: 5000, interval: 5 });
    const alice = await c.stored('alice');
    expect(alice.map((e) => e.name).sort()).toEqual(['A', 'A2']);
    expect(alice.every((e) => e.verified)).toBe(true);
    expect(await c.failures()).toHaveLength(1);
  });

  it('B2: a token already expired by server time is refused at the call, never sent', async () => {
    const c = await backend();
    c.b.track({ userId: 'bob', token: await c.sign('bob'), name: 'learn server time' });
    await c.b.flush();
    c.b.track({ userId: 'alice', token: await c.sign('alice', -120), name: 'A' });
    await c.b.flush();
    await vi.waitFor(() => expect(c.errors.length).toBeGreaterThan(0));
    expect(c.errors[0]).toMatchObject({ code: 'TIME_CONSTRAINT_FAILURE', userIdentifier: 'alice' });
    expect(await c.failures()).toEqual([]);
    expect(c.b.stats().queued).toBe(1);
  });

  it('B6: a batch refused as invalid (400) drops only that user’s batch, counted; the other users’ data is stored', async () => {
    const c = await backend();
    c.b.track({
      userId: 'alice',
      token: await c.sign('alice'),
      name: 'poisoned',
      properties: JSON.parse('{"__proto__": {"x": 1}}'),
    });
    c.b.track({ userId: 'bob', token: await c.sign('bob'), name: 'fine' });
    await c.b.flush();
    expect(c.b.stats()).toMatchObject({ queued: 0, dropped: 1, sent: 1 });
    expect((await c.stored()).map((e) => e.name)).toEqual(['fine']);
  });

  it('beforeSend scrubs and drops per event, as in the client', async () => {
    const c = await backend({
      beforeSend: (event) => {
        if (event.type === 'track' && event.name === 'Internal') return null;
        if (event.type === 'track') delete event.properties?.email;
        return event;
      },
    });
    const token = await c.sign('alice');
    c.b.track({
      userId: 'alice',
      token,
      name: 'Signed up',
      properties: { email: 'a@example.com', plan: 'pro' },
    });
    c.b.track({ userId: 'alice', name: 'Internal' });
    await c.b.flush();
    expect((await c.stored()).map((e) => [e.name, e.properties])).toEqual([['Signed up', { plan: 'pro' }]]);
    expect(c.b.stats()).toMatchObject({ dropped: 1, sent: 1 });
  });
});

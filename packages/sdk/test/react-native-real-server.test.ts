import AsyncStorage from '@react-native-async-storage/async-storage/jest';
import type { JsonObject, StoredEvent } from '@signet/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuthenticationError } from '../src/core/authentication-error.ts';
import { SDK_VERSION } from '../src/core/signet-client.ts';
import { type ReactNativeOptions, Signet } from '../src/react-native/index.ts';
import { FakeClock, settle } from './fakes.ts';
import { realServer } from './real-server.ts';

// The React Native entry point under Node against the real server (required mode, real SQLite
// file, real port, real ES256 tokens), with the app's code unchanged: `Signet.init` with no
// React Native option. Its one native module is replaced: AsyncStorage by the package's own
// in-memory implementation (what its `jest` export ships), AppState by a stand-in whose state the
// test sets. React Native itself is never loaded. A "restart" is a second `Signet.init` on the
// same AsyncStorage after the first was closed. Nothing here ran on a device or a simulator.

const appState = vi.hoisted(() => {
  const listeners = new Set<(state: string) => void>();
  return {
    listeners,
    addEventListener(_type: 'change', listener: (state: string) => void) {
      listeners.add(listener);
      return { remove: () => void listeners.delete(listener) };
    },
    set(state: string) {
      for (const listener of listeners) listener(state);
    },
  };
});
vi.mock('../src/react-native/native-modules.ts', async () => ({
  nativeAppState: appState,
  nativeAsyncStorage: (await import('@react-native-async-storage/async-storage/jest')).default,
}));

let server: Awaited<ReturnType<typeof realServer>>;
let base: string;

beforeAll(async () => {
  server = await realServer();
  base = await server.listen();
});
afterAll(() => server.close());

/** The app's keys in AsyncStorage, and its queued event ids. */
async function stored(appId: string) {
  const all: readonly string[] = await AsyncStorage.getAllKeys();
  const keys = all.filter((key) => key.startsWith(`signet:${appId}:`));
  return { keys, queued: keys.filter((key) => key.includes(':q:')).map((key) => key.split(':q:')[1]) };
}

async function client(
  mode: 'disabled' | 'optional' | 'required' = 'required',
  options: Partial<ReactNativeOptions> = {},
) {
  const app = await server.createApp(mode);
  const clock = new FakeClock(Date.now());
  const errors: AuthenticationError['data'][] = [];
  const make = (extra: Partial<ReactNativeOptions> = {}) => {
    const signet = Signet.init({
      appId: app.appId,
      endpoint: base,
      networkRequest: { authorization: { jwtEnabled: true } },
      clock,
      flushAt: 500,
      ...options,
      ...extra,
    });
    signet.registerAuthenticationListener((error) => {
      errors.push(error.data);
    });
    return signet;
  };
  const signet = make();
  await signet.flush(); // storage read, nothing to send yet
  const login = async (user: string, traits?: JsonObject) => {
    signet.identify(user, traits);
    signet.passAuthenticationDetails({ type: 'jwt', token: await app.sign(user), userIdentifier: user });
  };
  const events = async (userId?: string) => (await app.events(userId)) as unknown as StoredEvent[];
  return { ...app, signet, make, clock, errors, login, events };
}

describe('React Native entry against the real server (required mode)', () => {
  it('B1: each user’s data with their own token, stored verified; anonymous data without one; the context names the library', async () => {
    const c = await client();
    c.signet.track('anonymous view');
    await c.login('alice');
    c.signet.track('alice buys');
    await c.login('bob');
    c.signet.track('bob buys');
    await c.signet.flush();
    const events = await c.events();
    const byName = Object.fromEntries(events.filter((e) => e.name).map((e) => [e.name, e]));
    expect(byName['anonymous view']).toMatchObject({ userId: null, verified: null });
    expect(byName['alice buys']).toMatchObject({ userId: 'alice', verified: true });
    expect(byName['bob buys']).toMatchObject({ userId: 'bob', verified: true });
    const { locale, timeZone } = Intl.DateTimeFormat().resolvedOptions();
    expect(events[0]?.context).toEqual({
      library: { name: 'signet-react-native', version: SDK_VERSION },
      locale,
      timezone: timeZone,
    });
    expect(await c.failures()).toEqual([]);
    expect(c.signet.stats()).toMatchObject({ queued: 0, sent: 4 });
  });

  it('B2: a token for another user is refused locally, and the server never sees it', async () => {
    const c = await client();
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('mallory'),
      userIdentifier: 'alice',
    });
    c.signet.track('x');
    await c.signet.flush();
    await settle();
    expect(c.errors[0]).toMatchObject({ code: 'IDENTIFIER_MISMATCH', userIdentifier: 'alice' });
    expect(await c.failures()).toEqual([]);
  });

  it('B3: one listener call per failure, no retry until a new token, then the same ids are stored', async () => {
    const c = await client();
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice', 900, { unregisteredKey: true }),
      userIdentifier: 'alice',
    });
    c.signet.track('checkout');
    await c.signet.flush();
    await c.signet.flush();
    await c.clock.advance(600_000);
    expect(c.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_SIGNATURE', userIdentifier: 'alice' }),
    ]);
    expect(await c.failures()).toHaveLength(1);
    const { queued } = await stored(c.appId);
    expect(queued).toHaveLength(2);
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice'),
      userIdentifier: 'alice',
    });
    await vi.waitFor(() => expect(c.signet.stats().queued).toBe(0), { timeout: 5000, interval: 5 });
    expect((await c.events('alice')).map((e) => e.id).sort()).toEqual(queued.sort());
  });

  it('B4: 10 refused batches, then nothing until the next session; events kept', async () => {
    const c = await client();
    c.signet.identify('alice');
    c.signet.track('a');
    for (let i = 0; i < 12; i++) {
      c.signet.passAuthenticationDetails({
        type: 'jwt',
        token: await c.sign('alice', 900 + i, { unregisteredKey: true }),
        userIdentifier: 'alice',
      });
      await c.signet.flush();
      await settle();
    }
    expect(await c.failures()).toHaveLength(10);
    expect(c.signet.stats()).toMatchObject({ queued: 2, pausedReason: 'auth_failures' });
    c.signet.startNewSession();
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice'),
      userIdentifier: 'alice',
    });
    await c.signet.flush();
    expect((await c.events('alice')).map((e) => e.name ?? e.type).sort()).toEqual(['a', 'alias']);
  });

  it('B5: logout after a JWT failure deletes the pending data, in AsyncStorage too', async () => {
    const c = await client();
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({
      type: 'jwt',
      token: await c.sign('alice', 900, { unregisteredKey: true }),
      userIdentifier: 'alice',
    });
    c.signet.track('a');
    await c.signet.logout();
    expect(c.signet.stats().queued).toBe(0);
    expect((await stored(c.appId)).queued).toEqual([]);
  });

  it('B6: a batch the server refuses as invalid (400) is dropped and counted; the rest still flows', async () => {
    const c = await client();
    c.signet.track('good');
    c.signet.track('poisoned', JSON.parse('{"__proto__": {"x": 1}}'));
    await c.signet.flush();
    expect(c.signet.stats()).toMatchObject({ queued: 0, dropped: 2 });
    c.signet.track('after');
    await c.signet.flush();
    expect((await c.events()).map((e) => e.name)).toEqual(['after']);
  });

  it('B7: events persist in AsyncStorage across a restart, keep their ids, and are bounded by maxQueueSize', async () => {
    const c = await client('required', { endpoint: 'http://127.0.0.1:9', maxQueueSize: 3 });
    for (const name of ['1', '2', '3', '4']) c.signet.track(name);
    await c.signet.close();
    const { queued } = await stored(c.appId);
    expect(queued).toHaveLength(3);
    const restarted = c.make({ endpoint: base });
    await restarted.flush();
    const events = await c.events();
    expect(events.map((e) => e.name).sort()).toEqual(['2', '3', '4']);
    expect(events.map((e) => e.id).sort()).toEqual(queued.sort());
    expect((await stored(c.appId)).queued).toEqual([]);
  });

  it('B8: the session survives a restart within the timeout, and ends after it', async () => {
    const c = await client();
    c.signet.track('s1-a');
    await c.signet.close();
    await c.clock.advance(10 * 60_000);
    const restarted = c.make();
    restarted.track('s1-b');
    await restarted.flush();
    await c.clock.advance(31 * 60_000);
    restarted.track('s2-a');
    await restarted.flush();
    const session = Object.fromEntries((await c.events()).map((e) => [e.name, e.sessionId]));
    expect(session['s1-b']).toBe(session['s1-a']);
    expect(session['s2-a']).not.toBe(session['s1-a']);
  });

  it('B9: after a server refusal the provider is asked exactly once, and the batch then goes with the new token', async () => {
    const asked: string[] = [];
    let sign: Awaited<ReturnType<typeof client>>['sign'] = async () => '';
    const c = await client('required', {
      tokenProvider: async (userId) => {
        asked.push(userId);
        return sign(userId, 900, { unregisteredKey: asked.length === 1 });
      },
    });
    sign = c.sign;
    c.signet.identify('alice');
    c.signet.track('a');
    await c.signet.flush();
    await vi.waitFor(() => expect(c.signet.stats().queued).toBe(0), { timeout: 5000, interval: 5 });
    expect(asked).toEqual(['alice', 'alice']);
    expect((await c.events('alice')).every((e) => e.verified)).toBe(true);
  });
});

describe('§6.1 through the React Native entry against the real server', () => {
  it('page, identify with traits, and super properties kept across a restart', async () => {
    const c = await client();
    await c.login('alice', { plan: 'pro' });
    c.signet.register({ app_version: '2.4.0' });
    c.signet.page('Settings', { tab: 'billing' });
    await c.signet.close();
    const restarted = c.make();
    restarted.track('Exported');
    await restarted.flush();
    const byName = Object.fromEntries((await c.events('alice')).map((e) => [e.name ?? e.type, e]));
    expect(byName.Settings?.properties).toEqual({ app_version: '2.4.0', tab: 'billing' });
    expect(byName.Exported?.properties).toEqual({ app_version: '2.4.0' });
    const profile = (await server.admin('GET', `/admin/v1/apps/${c.appId}/users/alice`)).body;
    expect(profile).toMatchObject({ attributes: { plan: 'pro' } });
  });

  it('opt-out: nothing queued or sent, kept across a restart; optIn resumes', async () => {
    const c = await client();
    c.signet.track('before');
    c.signet.optOut();
    c.signet.track('while out');
    await c.signet.close();
    const restarted = c.make();
    restarted.track('still out');
    await restarted.flush();
    expect(restarted.isOptedOut()).toBe(true);
    expect(await c.events()).toEqual([]);
    restarted.optIn();
    restarted.track('back');
    await restarted.flush();
    expect((await c.events()).map((e) => e.name)).toEqual(['back']);
  });

  it('beforeSend scrubs a property and drops an event (counted)', async () => {
    const c = await client('required', {
      beforeSend: (event) => {
        if (event.type === 'track' && event.name === 'Internal') return null;
        if (event.type === 'track') delete event.properties?.email;
        return event;
      },
    });
    c.signet.track('Signed up', { email: 'a@example.com', source: 'ad' });
    c.signet.track('Internal');
    await c.signet.flush();
    expect((await c.events()).map((e) => [e.name, e.properties])).toEqual([['Signed up', { source: 'ad' }]]);
    expect(c.signet.stats()).toMatchObject({ dropped: 1, sent: 1 });
  });
});

describe('React Native specifics', () => {
  it('the queue is sent when the app goes to the background (or inactive), not while it is active', async () => {
    const c = await client();
    c.signet.track('a');
    appState.set('active');
    await settle();
    expect(await c.events()).toEqual([]);
    appState.set('background');
    await vi.waitFor(async () => expect((await c.events()).map((e) => e.name)).toEqual(['a']));
    c.signet.track('b');
    appState.set('inactive');
    await vi.waitFor(async () => expect(await c.events()).toHaveLength(2));
    const listening = appState.listeners.size;
    await c.signet.close();
    expect(appState.listeners.size).toBe(listening - 1);
  });

  it('calls made before AsyncStorage was read are replayed in order, at their own time, for the stored user', async () => {
    const c = await client();
    await c.login('alice');
    await c.signet.close();
    // A slow AsyncStorage: reading takes until the test lets it.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = {
      ...AsyncStorage,
      getAllKeys: async (): Promise<readonly string[]> => {
        await gate;
        return AsyncStorage.getAllKeys();
      },
    };
    const t0 = c.clock.time;
    const restarted = c.make({ asyncStorage: slow });
    restarted.track('early 1');
    await c.clock.advance(1500);
    restarted.page('early 2');
    expect(restarted.stats().queued).toBe(2);
    release();
    await restarted.flush();
    const events = (await c.events('alice')).filter((e) => e.name?.startsWith('early'));
    expect(events.map((e) => [e.name, Date.parse(e.timestamp) - t0]).sort()).toEqual([
      ['early 1', 0],
      ['early 2', 1500],
    ]);
    expect(events.every((e) => e.verified)).toBe(true);
  });

  it('writes reach AsyncStorage in the background; flush() and close() wait for them', async () => {
    const c = await client('required', { endpoint: 'http://127.0.0.1:9' });
    c.signet.track('a');
    expect((await stored(c.appId)).queued).toEqual([]); // not yet: written after this turn
    await c.signet.close();
    expect((await stored(c.appId)).queued).toHaveLength(1);
    expect((await stored(c.appId)).keys.some((key) => key.endsWith(':identity'))).toBe(true);
  });

  it('refuses to start, with one clear error, on an engine without crypto.getRandomValues', () => {
    vi.stubGlobal('crypto', undefined);
    try {
      expect(() => Signet.init({ appId: 'a', endpoint: 'http://x' })).toThrow(
        /react-native-get-random-values/,
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

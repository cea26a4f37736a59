import { join } from 'node:path';
import type { JsonObject, StoredEvent } from '@signet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignetOptions } from '../src/core/options.ts';
import { SDK_VERSION } from '../src/core/signet-client.ts';
import { fileStorage, Signet } from '../src/node/index.ts';
import { realServer } from './real-server.ts';

// SPEC §6.1 through the Node entry point against the real server: real SQLite file, real port,
// real ES256 tokens, the file store (so "restart" is a second client on the same file).

let server: Awaited<ReturnType<typeof realServer>>;
let base: string;

beforeAll(async () => {
  server = await realServer();
  base = await server.listen();
});
afterAll(() => server.close());

let n = 0;
async function client(
  mode: 'disabled' | 'optional' | 'required' = 'required',
  options: Partial<SignetOptions> = {},
) {
  const app = await server.createApp(mode);
  const file = join(server.dir, `everyday-${n++}.json`);
  const make = (extra: Partial<SignetOptions> = {}) =>
    Signet.init({
      appId: app.appId,
      endpoint: base,
      networkRequest: { authorization: { jwtEnabled: true } },
      storage: fileStorage(file),
      flushAt: 500,
      ...options,
      ...extra,
    });
  const signet = make();
  const login = async (user: string, traits?: JsonObject) => {
    signet.identify(user, traits);
    signet.passAuthenticationDetails({ type: 'jwt', token: await app.sign(user), userIdentifier: user });
  };
  const stored = async (userId?: string) => (await app.events(userId)) as unknown as StoredEvent[];
  const profile = async (userId: string) =>
    (await server.admin('GET', `/admin/v1/apps/${app.appId}/users/${userId}`)).body;
  return { ...app, signet, make, login, stored, profile };
}

describe('§6.1 in Node against the real server', () => {
  it('page: stored with its name and properties; every event carries its context, returned by the admin API', async () => {
    const c = await client();
    await c.login('alice');
    c.signet.page('Settings', { tab: 'billing' });
    c.signet.page();
    c.signet.track('Exported');
    await c.signet.flush();
    const events = await c.stored('alice');
    const pages = events.filter((e) => e.type === 'page');
    expect(pages.map((e) => [e.name, e.properties])).toEqual(
      expect.arrayContaining([
        ['Settings', { tab: 'billing' }],
        [undefined, undefined],
      ]),
    );
    const { locale, timeZone } = Intl.DateTimeFormat().resolvedOptions();
    expect(events.map((e) => e.type).sort()).toEqual(['alias', 'page', 'page', 'track']);
    for (const event of events) {
      expect(event.context).toEqual({
        library: { name: 'signet-node', version: SDK_VERSION },
        locale,
        timezone: timeZone,
      });
      expect(event.verified).toBe(true);
    }
  });

  it('identify with traits: a verified batch sets the profile’s attributes; an unchecked one its unverifiedAttributes', async () => {
    const c = await client('required');
    await c.login('alice', { plan: 'pro', seats: 3 });
    await c.signet.flush();
    expect(await c.profile('alice')).toMatchObject({
      attributes: { plan: 'pro', seats: 3 },
      unverifiedAttributes: {},
    });

    const off = await client('disabled');
    await off.login('bob', { plan: 'team' });
    await off.signet.flush();
    expect(await off.profile('bob')).toMatchObject({
      attributes: {},
      unverifiedAttributes: { plan: 'team' },
    });
  });

  it('register / unregister: super properties on every track and page, kept across a restart', async () => {
    const c = await client();
    await c.login('alice');
    c.signet.register({ app_version: '2.4.0', plan: 'free' });
    c.signet.track('A', { plan: 'pro' });
    await c.signet.close();
    const restarted = c.make();
    restarted.page('B');
    restarted.unregister('plan');
    restarted.track('C');
    await restarted.flush();
    const byName = Object.fromEntries((await c.stored('alice')).map((e) => [e.name ?? e.type, e.properties]));
    expect(byName).toEqual({
      alias: undefined,
      A: { app_version: '2.4.0', plan: 'pro' },
      B: { app_version: '2.4.0', plan: 'free' },
      C: { app_version: '2.4.0' },
    });
  });

  it('opt-out: nothing queued or sent, kept across a restart of the process; optIn resumes', async () => {
    const c = await client();
    await c.login('alice');
    c.signet.track('before');
    c.signet.optOut();
    c.signet.track('while out');
    await c.signet.flush();
    expect(c.signet.stats()).toMatchObject({ queued: 0, dropped: 2 }); // the alias and "before"
    await c.signet.close();

    const restarted = c.make();
    expect(restarted.isOptedOut()).toBe(true);
    restarted.page('still out');
    restarted.identify('alice', { plan: 'pro' });
    await restarted.flush();
    expect(await c.stored()).toEqual([]);
    restarted.optIn();
    restarted.track('back');
    await restarted.flush();
    expect((await c.stored()).map((e) => e.name)).toEqual(['back']);
  });

  it('beforeSend scrubs a property and drops an event (counted); a throwing hook drops nothing', async () => {
    const c = await client('required', {
      beforeSend: (event) => {
        if (event.type === 'track' && event.name === 'Internal') return null;
        if (event.type === 'track' && event.name === 'Crash') throw new Error('hook bug');
        if ('properties' in event && event.properties) delete event.properties.email;
        return event;
      },
    });
    await c.login('alice');
    c.signet.track('Signed up', { email: 'alice@example.com', source: 'ad' });
    c.signet.track('Internal');
    c.signet.track('Crash', { email: 'kept@example.com' });
    await c.signet.flush();
    expect(c.signet.stats()).toMatchObject({ dropped: 1, queued: 0, sent: 3 });
    const byName = Object.fromEntries((await c.stored('alice')).map((e) => [e.name ?? e.type, e.properties]));
    expect(byName).toEqual({
      alias: undefined,
      'Signed up': { source: 'ad' },
      Crash: { email: 'kept@example.com' },
    });
  });

  it('debug: one line per batch sent, with its counts and no token', async () => {
    const lines: string[] = [];
    const c = await client('required', { debug: true, logger: (line) => lines.push(line) });
    const token = await c.sign('alice');
    c.signet.identify('alice');
    c.signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'alice' });
    c.signet.track('A');
    await c.signet.flush();
    expect(lines).toContain('[signet] sent a batch of 2 events of user alice: 2 stored, 0 duplicates');
    for (const line of lines) expect(line).not.toContain(token.split('.')[1]);
  });
});

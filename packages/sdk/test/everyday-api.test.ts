import type { BatchEvent, JsonObject } from '@signet/protocol';
import { describe, expect, it } from 'vitest';
import { SignetError } from '../src/core/authentication-error.ts';
import { memoryStorage } from '../src/core/memory-storage.ts';
import { SDK_VERSION, SignetClient } from '../src/core/signet-client.ts';
import { harness } from './client-harness.ts';
import { fakeTransport, jwtError } from './fakes.ts';

// SPEC §6.1 with a scripted transport: page, identify with traits, super properties, opt-out,
// beforeSend and context (the same calls run against the real server in Node and Chromium).

const sent = (h: ReturnType<typeof harness>): BatchEvent[] => h.requests.flatMap((r) => r.batch.events);
/** The fields of any event type, for comparing. */
type AnyEvent = BatchEvent & { name?: string; properties?: JsonObject };
const logged = () => {
  const lines: string[] = [];
  return { lines, options: { debug: true, logger: (line: string) => lines.push(line) } };
};

describe('page', () => {
  it('sends a page event, named or not, with the super properties and the call’s properties winning', async () => {
    const h = harness();
    h.signet.register({ plan: 'pro', section: 'all' });
    h.signet.page();
    h.signet.page('Pricing', { section: 'pricing' });
    h.signet.page(null as unknown as string, { only: 'props' });
    await h.signet.flush();
    expect((sent(h) as AnyEvent[]).map(({ type, name, properties }) => ({ type, name, properties }))).toEqual(
      [
        { type: 'page', name: undefined, properties: { plan: 'pro', section: 'all' } },
        { type: 'page', name: 'Pricing', properties: { plan: 'pro', section: 'pricing' } },
        { type: 'page', name: undefined, properties: { plan: 'pro', section: 'all', only: 'props' } },
      ],
    );
  });

  it('starts a page’s properties from the runtime’s context.page (the browser fills it)', async () => {
    const storage = memoryStorage();
    const { transport, requests } = fakeTransport();
    const page = { url: 'https://shop.test/a?x=1', path: '/a', referrer: '', title: 'A', search: '?x=1' };
    const signet = new SignetClient(
      { appId: 'a', endpoint: 'http://collect.test', storage, transport },
      { storage, transport, sdkName: 'signet-web', context: () => ({ page, userAgent: 'UA' }) },
    );
    signet.page('A', { title: 'Mine' });
    signet.track('Clicked');
    await signet.flush();
    const [viewed, clicked] = requests.flatMap((r) => r.batch.events);
    expect(viewed).toMatchObject({ type: 'page', properties: { ...page, title: 'Mine' } });
    expect(viewed?.context).toMatchObject({ page, userAgent: 'UA', library: { name: 'signet-web' } });
    expect(clicked).toMatchObject({ type: 'track', context: { page } });
    expect(clicked && 'properties' in clicked).toBe(false); // a track gets no page properties
  });

  it('refuses a bad name or properties, counted, never thrown', () => {
    const h = harness();
    for (const call of [
      () => h.signet.page(''),
      () => h.signet.page('x'.repeat(257)),
      () => h.signet.page('p', [1] as unknown as JsonObject),
    ])
      expect(call).not.toThrow();
    expect(h.signet.stats()).toMatchObject({ queued: 0, dropped: 3 });
  });
});

describe('context', () => {
  it('goes on every event: the library and version, the locale and the time zone', async () => {
    const h = harness();
    h.signet.track('A');
    h.signet.identify('u1', { plan: 'pro' });
    h.signet.passAuthenticationDetails({ type: 'jwt', token: h.token('u1'), userIdentifier: 'u1' });
    h.signet.page();
    await h.signet.flush();
    const { locale, timeZone } = Intl.DateTimeFormat().resolvedOptions();
    const events = sent(h);
    expect(events.map((e) => e.type)).toEqual(['track', 'alias', 'attributes', 'page']);
    for (const event of events) {
      expect(event.context).toEqual({
        library: { name: 'signet-test', version: SDK_VERSION },
        locale,
        timezone: timeZone,
      });
    }
  });
});

describe('identify with traits', () => {
  it('queues the alias, then the traits as an attributes event; traits again for the same user', async () => {
    const h = harness({ networkRequest: { authorization: { jwtEnabled: false } } });
    h.signet.identify('u1', { plan: 'pro', seats: 3 });
    h.signet.identify('u1', { plan: 'team' });
    h.signet.identify('u1'); // no traits, same user: nothing
    h.signet.identify('u1', {}); // nothing to store
    await h.signet.flush();
    expect(sent(h).map((e) => (e.type === 'attributes' ? e.attributes : e.type))).toEqual([
      'alias',
      { plan: 'pro', seats: 3 },
      { plan: 'team' },
    ]);
  });

  it('identifies even when the traits are not an object; the traits are dropped and counted', () => {
    const h = harness();
    h.signet.identify('u1', 'pro' as unknown as JsonObject);
    expect(h.signet.stats()).toMatchObject({ queued: 1, dropped: 1 }); // the alias
    h.signet.track('A');
    expect(h.signet.stats().queued).toBe(2);
  });
});

describe('register / unregister', () => {
  it('merges into track and page only, persists across a restart, and logout clears them', async () => {
    const h = harness({ networkRequest: { authorization: { jwtEnabled: false } } });
    h.signet.register({ app: 'web', plan: 'free' });
    h.signet.register({ plan: 'pro' });
    h.signet.setUserAttribute('x', 1);
    const again = h.make(); // same storage: a restart
    again.track('A', { plan: 'mine' });
    again.unregister('app');
    again.track('B');
    again.unregister('plan');
    again.track('C');
    await again.flush();
    expect(
      (sent(h) as AnyEvent[]).map((e) => (e.type === 'attributes' ? e.attributes : [e.name, e.properties])),
    ).toEqual([{ x: 1 }, ['A', { app: 'web', plan: 'mine' }], ['B', { plan: 'pro' }], ['C', undefined]]);

    again.register({ plan: 'pro' });
    await again.logout();
    again.track('D');
    await again.flush();
    expect(sent(h).at(-1)).not.toHaveProperty('properties');
  });

  it('ignores (and logs) what is not a plain JSON object, dropping nothing', () => {
    const { lines, options } = logged();
    const h = harness(options);
    const cycle: Record<string, unknown> = {};
    cycle.self = { cycle };
    h.signet.register([1] as unknown as JsonObject);
    h.signet.register(cycle as JsonObject);
    h.signet.register({ big: 1n } as unknown as JsonObject);
    h.signet.track('A');
    expect(h.signet.stats()).toMatchObject({ queued: 1, dropped: 0 });
    expect(lines.filter((l) => l.includes('register ignored'))).toHaveLength(3);
  });
});

describe('opt-out', () => {
  it('deletes what is queued (counted), queues and sends nothing, persists, and optIn resumes', async () => {
    const { lines, options } = logged();
    const h = harness({ ...options, networkRequest: { authorization: { jwtEnabled: false } } });
    h.signet.track('before');
    h.signet.page();
    expect(h.signet.isOptedOut()).toBe(false);
    h.signet.optOut();
    expect(h.signet.stats()).toMatchObject({ queued: 0, dropped: 2 });
    h.signet.track('while out');
    h.signet.page('while out');
    h.signet.setUserAttribute('a', 1);
    h.signet.identify('u1', { plan: 'pro' }); // the identity moves; no alias, no traits
    expect(h.signet.stats()).toMatchObject({ queued: 0, dropped: 2 });
    await h.signet.flush();
    expect(h.requests).toEqual([]);
    expect(lines.join('\n')).toMatch(/opted out: dropped 2 queued events/);

    const restarted = h.make();
    expect(restarted.isOptedOut()).toBe(true);
    restarted.track('still out');
    expect(restarted.stats().queued).toBe(0);
    restarted.optIn();
    expect(restarted.isOptedOut()).toBe(false);
    restarted.track('back');
    await restarted.flush();
    expect(sent(h).map((e) => (e.type === 'track' ? e.name : e.type))).toEqual(['back']);
    const [first] = h.requests;
    expect(first && h.userOf(first)).toBe('u1');
  });

  it('sends nothing another tab queued once opted out (shared storage)', async () => {
    const h = harness();
    const other = h.make();
    other.track('queued in another tab');
    h.signet.optOut();
    other.track('too late');
    await other.flush();
    await h.signet.flush();
    expect(h.requests).toEqual([]);
  });
});

describe('beforeSend', () => {
  const withHook = (beforeSend: (event: BatchEvent) => BatchEvent | null, extra = {}) => {
    const { lines, options } = logged();
    return { lines, h: harness({ ...options, ...extra, beforeSend }) };
  };

  it('changes an event (a property scrubbed, the context trimmed) and drops one, counted', async () => {
    const { h, lines } = withHook((event) => {
      if (event.type === 'track' && event.name === 'Debug') return null;
      if (event.type === 'track' && event.properties) delete event.properties.email;
      if (event.context) delete event.context.timezone;
      return event;
    });
    const properties = { email: 'ada@example.com', sku: 'A1' };
    h.signet.track('Signed up', properties);
    h.signet.track('Debug');
    expect(h.signet.stats()).toMatchObject({ queued: 1, dropped: 1 });
    expect(properties.email).toBe('ada@example.com'); // the hook got a copy
    await h.signet.flush();
    const [event] = sent(h);
    expect(event).toMatchObject({ name: 'Signed up', properties: { sku: 'A1' } });
    expect(event && 'properties' in event && event.properties).not.toHaveProperty('email');
    expect(event?.context).not.toHaveProperty('timezone');
    expect(lines.join('\n')).toMatch(/dropped 1 event: track: beforeSend returned null/);
  });

  it('a hook that throws, returns nothing or returns an invalid event drops nothing: the event goes as it was, logged', async () => {
    const cases: [string, (event: BatchEvent) => BatchEvent | null][] = [
      [
        'throws',
        (event) => {
          if (event.type === 'track' && event.properties) event.properties.sku = 'changed';
          throw new Error('boom');
        },
      ],
      ['returns undefined', () => undefined as unknown as BatchEvent],
      ['returns a string', () => 'x' as unknown as BatchEvent],
      ['returns bad properties', (event) => ({ ...event, properties: [1] }) as unknown as BatchEvent],
      ['returns an oversized event', (event) => ({ ...event, properties: { pad: 'x'.repeat(40_000) } })],
    ];
    for (const [what, hook] of cases) {
      const { h, lines } = withHook(hook);
      h.signet.track('Order', { sku: 'A1' });
      await h.signet.flush();
      expect(h.signet.stats(), what).toMatchObject({ dropped: 0, sent: 1 });
      expect(sent(h)[0], what).toMatchObject({ name: 'Order', properties: { sku: 'A1' } });
      expect(lines.join('\n'), what).toMatch(/beforeSend.*kept as it was/);
    }
  });

  it('keeps the SDK’s id, type, time and session whatever the hook returns', async () => {
    const { h } = withHook((event) => ({
      ...event,
      id: 'mine',
      type: 'page',
      timestamp: 'never',
      sessionId: 's',
    }));
    h.signet.track('A');
    await h.signet.flush();
    const [event] = sent(h);
    expect(event?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event).toMatchObject({ type: 'track', name: 'A' });
    expect(event?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(event?.sessionId).not.toBe('s');
  });

  it('sees every kind of event: alias and traits too', () => {
    const seen: string[] = [];
    const { h } = withHook((event) => {
      seen.push(event.type);
      return event;
    });
    h.signet.identify('u1', { plan: 'pro' });
    h.signet.page();
    h.signet.track('A');
    expect(seen).toEqual(['alias', 'attributes', 'page', 'track']);
  });

  it('must be a function, checked at init', () => {
    expect(() => harness({ beforeSend: 'scrub' as never })).toThrow(SignetError);
    expect(() => harness({ logger: 42 as never })).toThrow(/logger must be a function/);
  });
});

describe('debug log', () => {
  it('names each batch sent, retried, refused and dropped, with counts, and never a token', async () => {
    const answers = [
      'network-error' as const,
      { status: 200, body: { accepted: 2, duplicates: 0 } },
      jwtError('INVALID_SIGNATURE', 'signature_invalid'),
      {
        status: 400,
        body: { error: { type: 'request', code: 'INVALID_BATCH', reason: 'invalid_field', message: 'no' } },
      },
    ];
    const { lines, options } = logged();
    const h = harness(
      options,
      () => answers.shift() ?? { status: 200, body: { accepted: 1, duplicates: 0 } },
    );
    const token = h.token('u1');
    h.signet.identify('u1');
    h.signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'u1' });
    h.signet.track('A');
    await h.signet.flush(); // network error: kept
    await h.signet.flush(); // 200
    h.signet.track('B');
    await h.signet.flush(); // 401
    h.signet.passAuthenticationDetails({
      type: 'jwt',
      token: h.token('u1', 900, 'new'),
      userIdentifier: 'u1',
    });
    await h.signet.flush(); // 400: dropped
    const log = lines.join('\n');
    expect(log).toMatch(/batch of 2 events of user u1: network error .*kept, retry in \d+ ms/);
    expect(log).toMatch(/sent a batch of 2 events of user u1: 2 stored, 0 duplicates/);
    expect(log).toMatch(/batch of 1 events of user u1 refused: 401 INVALID_SIGNATURE\/signature_invalid/);
    expect(log).toMatch(/dropped a batch of 1 events of user u1: 400 INVALID_BATCH\/invalid_field/);
    for (const line of lines) expect(line).not.toContain(token.split('.')[1]);
  });
});

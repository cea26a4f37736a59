import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../src/core/memory-storage.ts';
import type { Transport } from '../src/core/runtime.ts';
import { SignetClient } from '../src/core/signet-client.ts';
import { harness } from './client-harness.ts';
import { FakeClock, settle } from './fakes.ts';

// Faults found by the reliability suite (issue #8): a server that never answers, and stored
// records another script overwrote with JSON of the wrong shape.

describe('request timeout', () => {
  it('abandons a request with no answer after requestTimeoutMs, aborts it, and retries the same events', async () => {
    const clock = new FakeClock();
    const signals: (AbortSignal | undefined)[] = [];
    const bodies: string[] = [];
    let hang = true;
    const transport: Transport = (_url, init) => {
      signals.push(init.signal);
      bodies.push(init.body);
      if (hang) return new Promise(() => {}); // a server that never answers
      const n = (JSON.parse(init.body) as { events: unknown[] }).events.length;
      return Promise.resolve({
        status: 200,
        headers: { get: () => null },
        json: async () => ({ accepted: n, duplicates: 0 }),
      });
    };
    const storage = memoryStorage();
    const signet = new SignetClient(
      {
        appId: 'a',
        endpoint: 'http://x.test',
        clock,
        transport,
        storage,
        random: () => 0,
        requestTimeoutMs: 5_000,
      },
      { storage, transport, sdkName: 't' },
    );
    signet.track('A');
    const flushed = signet.flush();
    await settle();
    expect(signet.stats().state).toBe('sending');
    await clock.advance(4_999);
    expect(signals[0]?.aborted).toBe(false);
    await clock.advance(1);
    await flushed;
    expect(signals[0]?.aborted).toBe(true);
    expect(signet.stats()).toMatchObject({ state: 'backing-off', queued: 1, sent: 0 });
    hang = false;
    await clock.advance(1_000);
    expect(signet.stats()).toMatchObject({ queued: 0, sent: 1 });
    const ids = bodies.map((b) => (JSON.parse(b) as { events: { id: string }[] }).events[0]?.id);
    expect(new Set(ids).size).toBe(1);
  });

  it('is validated at creation', () => {
    expect(() => harness({ requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs must be an integer/);
  });
});

describe('corrupted stored records', () => {
  const shapes = [
    'null',
    '42',
    '"text"',
    '[]',
    '{"x":1}',
    '{not json',
    '{"alice":5}',
    '{"alice":{"token":7}}',
  ];
  for (const junk of shapes) {
    it(`keeps working when identity, session and tokens hold ${junk}`, async () => {
      const storage = memoryStorage();
      for (const name of ['identity', 'session', 'tokens']) storage.setItem(`signet:app-1:${name}`, junk);
      const h = harness({ storage });
      h.signet.track('before');
      h.signet.identify('alice');
      h.signet.passAuthenticationDetails({ type: 'jwt', token: h.token('alice'), userIdentifier: 'alice' });
      h.signet.track('after');
      await h.signet.flush();
      expect(h.signet.stats()).toMatchObject({ queued: 0, sent: 3, dropped: 0 });
      const users = h.requests.map(h.userOf);
      expect(users[0]).toMatch(/^anon:/);
      expect(users[1]).toBe('alice');
      expect(h.requests[1]?.headers.authorization).toBe(`Bearer ${h.token('alice')}`);
    });
  }

  it('drops and counts a queued event whose record is unreadable, and sends the rest', async () => {
    const storage = memoryStorage();
    storage.setItem('signet:app-1:q:0000-bad', '{"user":');
    storage.setItem('signet:app-1:q:0001-bad', 'null');
    const h = harness({ storage });
    h.signet.track('fine');
    await h.signet.flush();
    expect(h.signet.stats()).toMatchObject({ queued: 0, sent: 1, dropped: 2 });
    expect(storage.keys().filter((k) => k.includes(':q:'))).toEqual([]);
  });
});

describe('deeply nested properties', () => {
  it('drops at the call, counted, an event nested deeper than the server takes; the queue is intact', () => {
    const h = harness();
    h.signet.track('ok');
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(() => h.signet.track('deep', { deep } as never)).not.toThrow();
    expect(h.signet.stats().dropped).toBe(1);
    let fine: unknown = 1;
    for (let i = 0; i < 63; i++) fine = [fine];
    h.signet.track('fine', { fine } as never);
    expect(h.signet.stats().queued).toBe(2);
  });
});

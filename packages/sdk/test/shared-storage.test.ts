import type { TrackEvent } from '@signet/protocol';
import { describe, expect, it } from 'vitest';
import { harness } from './client-harness.ts';

// Tabs share one storage (localStorage): what one tab changes, the others' next call must see,
// however the records are cached within a tab. Two clients on one storage stand for two tabs.

const tracked = (h: ReturnType<typeof harness>) =>
  h.requests.flatMap((r) =>
    r.batch.events
      .filter((e): e is TrackEvent => e.type === 'track')
      .map((e) => ({ name: e.name, user: h.userOf(r), sessionId: e.sessionId })),
  );

describe('tabs sharing storage', () => {
  it("one tab's identify binds the other tab's next event to that user", async () => {
    const h = harness({ flushAt: 100 });
    const other = h.make();
    h.signet.track('earlier');
    h.signet.track('before');
    other.identify('alice');
    h.signet.track('after');
    other.passAuthenticationDetails({ type: 'jwt', token: h.token('alice'), userIdentifier: 'alice' });
    await h.signet.flush();
    const events = tracked(h);
    expect(events.find((e) => e.name === 'before')?.user).toMatch(/^anon:/);
    expect(events.find((e) => e.name === 'after')?.user).toBe('alice');
  });

  it("one tab's new session is the session of the other tab's next event", async () => {
    const h = harness({ flushAt: 100 });
    const other = h.make();
    h.signet.track('0');
    h.signet.track('1'); // this tab has read the session record at least once
    other.startNewSession();
    h.signet.track('2');
    other.track('3');
    await h.signet.flush();
    const [zero, one, two, three] = ['0', '1', '2', '3'].map((name) =>
      tracked(h).find((e) => e.name === name),
    );
    expect(one?.sessionId).toBe(zero?.sessionId);
    expect(two?.sessionId).not.toBe(one?.sessionId);
    expect(three?.sessionId).toBe(two?.sessionId);
  });

  it("one tab's logout gives the other tab's next event the new anonymous id", async () => {
    const h = harness({ flushAt: 100 });
    const other = h.make();
    h.signet.track('first');
    await h.signet.flush();
    await other.logout();
    h.signet.track('second');
    await h.signet.flush();
    const [first, second] = ['first', 'second'].map((name) => tracked(h).find((e) => e.name === name));
    expect(first?.user).toMatch(/^anon:/);
    expect(second?.user).toMatch(/^anon:/);
    expect(second?.user).not.toBe(first?.user);
  });
});

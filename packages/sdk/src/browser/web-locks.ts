import { type Locks, noLocks } from '../core/runtime.ts';

/**
 * One tab sends at a time: the first tab to ask holds a Web Lock for as long as it lives and is
 * the only one that sends; the others leave their events in `localStorage` for it, and the next
 * tab in line takes over (and is told through `onLeader`) when the leader closes. A lock per
 * pass would not do: `localStorage` reaches other tabs' processes asynchronously, so a tab
 * granted the lock right after another's pass can still see the events that pass just sent.
 * Only the leader sends on page hide too: a follower's events are safe in storage for it.
 * Without Web Locks (old browsers) every tab sends; the server's event-id deduplication keeps
 * the data right.
 */
export function webLocks(onLeader: () => void): { locks: Locks; leads: () => boolean } {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks?.request) return { locks: noLocks, leads: () => true };
  const leading = new Set<string>();
  const asked = new Set<string>();
  const run: Locks = async (name, fn) => {
    if (!asked.has(name)) {
      asked.add(name);
      void locks.request(name, () => {
        leading.add(name);
        onLeader();
        return new Promise<never>(() => {}); // held until the page goes away
      });
      // The grant arrives asynchronously; give it one turn when the lock is free.
      await locks.query?.().then(() => undefined);
    }
    return leading.has(name) ? fn() : undefined;
  };
  return { locks: run, leads: () => leading.size > 0 };
}

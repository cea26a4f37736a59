import { type Locks, noLocks } from '../core/runtime.ts';

/**
 * Web Locks, so that one tab sends at a time and two tabs never send the same stored event at
 * once. Without Web Locks (old browsers) each tab sends on its own; the server's event-id
 * deduplication keeps the data right, at the cost of duplicate sends.
 */
export function webLocks(): Locks {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks?.request) return noLocks;
  return (name, fn) => locks.request(name, fn) as ReturnType<typeof fn>;
}

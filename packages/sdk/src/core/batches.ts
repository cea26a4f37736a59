import { LIMITS } from '@signet/protocol';
import type { QueuedEvent } from './event-queue.ts';
import type { UserKey } from './identity.ts';

/** Room left in a body for everything but the events (batch id, user, sdk, sentAt). */
const ENVELOPE_BYTES = 1024;
/** Body limit of a batch sent with `fetch(keepalive)` on page hide (browsers allow 64 KiB in flight). */
export const KEEPALIVE_BODY_BYTES = 64 * 1024;

const encoder = new TextEncoder();

/** Queued events grouped by the user they are bound to, groups in order of their oldest event. */
export function groupByUser(items: readonly QueuedEvent[]): Map<UserKey, QueuedEvent[]> {
  const groups = new Map<UserKey, QueuedEvent[]>();
  for (const item of items) {
    const group = groups.get(item.user);
    if (group) group.push(item);
    else groups.set(item.user, [item]);
  }
  return groups;
}

/**
 * Splits one user's events into batches within the server's limits (500 events, `maxBodyBytes`
 * bytes of body), keeping order.
 *
 * @example
 * chunk(items, 64 * 1024); // [[e1, e2, …], […]]
 */
export function chunk(items: readonly QueuedEvent[], maxBodyBytes: number): QueuedEvent[][] {
  const batches: QueuedEvent[][] = [];
  let current: QueuedEvent[] = [];
  let bytes = ENVELOPE_BYTES;
  for (const item of items) {
    const size = encoder.encode(JSON.stringify(item.event)).length + 1;
    if (current.length > 0 && (current.length >= LIMITS.maxEventsPerBatch || bytes + size > maxBodyBytes)) {
      batches.push(current);
      current = [];
      bytes = ENVELOPE_BYTES;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

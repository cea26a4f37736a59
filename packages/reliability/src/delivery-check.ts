import { decodeJwt } from 'jose';
import type { StoredEvent } from './app-under-test.ts';
import type { ProxiedRequest } from './fault-proxy.ts';

/** The outcome of a scenario, as RELIABILITY.md reports it. */
export interface DeliveryReport {
  /** Track events the client(s) tracked (each carries a unique `seq`). */
  tracked: number;
  /** Events of any type stored (tracks plus alias events). */
  storedRows: number;
  /** Tracked events stored at least once. */
  stored: number;
  /** Tracked events stored more than once (under different ids). */
  duplicates: number;
  /** Tracked events never stored. */
  lost: number;
  /** Stored events whose user is not the user they were tracked for, or not verified. */
  misattributed: number;
  /** Batches that went out with a token whose `sub` is not the batch's user (or any token on anonymous data). */
  foreignTokens: number;
  /** Requests the proxy saw. */
  requests: number;
  /** Batches the client sent that failed: no answer from the server, or a 5xx/429 answer. */
  failedSends: number;
}

/**
 * Compares what was tracked with what the server stored: each tracked `seq` exactly once, for
 * the user it was tracked for, verified; and checks every batch the proxy saw carried only its
 * own user's token.
 *
 * @example
 * const report = checkDelivery(trackedSeqs, await app.events(), proxy.requests);
 */
export function checkDelivery(
  tracked: ReadonlyMap<number, string>,
  stored: readonly StoredEvent[],
  requests: readonly ProxiedRequest[] = [],
): DeliveryReport {
  const count = new Map<number, number>();
  let misattributed = 0;
  for (const event of stored) {
    if (event.type !== 'track') continue;
    const seq = event.properties?.seq as number;
    count.set(seq, (count.get(seq) ?? 0) + 1);
    if (event.userId !== tracked.get(seq) || event.verified !== true) misattributed++;
  }
  let foreignTokens = 0;
  for (const request of requests) {
    if (!request.path.includes('/batch')) continue;
    let user: { id?: string } | undefined;
    try {
      user = (JSON.parse(request.body) as { user?: { id?: string } }).user;
    } catch {
      continue;
    }
    if (request.authorization === undefined) continue;
    const sub = decodeJwt(request.authorization.replace(/^Bearer /, '')).sub;
    if (user?.id === undefined || sub !== user.id) foreignTokens++;
  }
  const seqs = [...tracked.keys()];
  return {
    tracked: seqs.length,
    storedRows: stored.length,
    stored: seqs.filter((s) => count.has(s)).length,
    duplicates: [...count.values()].filter((n) => n > 1).length,
    lost: seqs.filter((s) => !count.has(s)).length,
    misattributed,
    foreignTokens,
    requests: requests.length,
    failedSends: requests.filter(
      (r) =>
        r.path.includes('/batch') &&
        (r.fault.kind !== 'pass' || r.upstreamStatus === null || r.upstreamStatus >= 500),
    ).length,
  };
}

/** One line a run prints, collected into RELIABILITY.md. */
export function reportLine(family: string, backend: string, r: DeliveryReport, extra = ''): string {
  return `RELIABILITY | ${family} | ${backend} | tracked ${r.tracked} | stored ${r.stored} | duplicates ${r.duplicates} | lost ${r.lost} | requests ${r.requests} (failed ${r.failedSends})${extra ? ` | ${extra}` : ''}`;
}

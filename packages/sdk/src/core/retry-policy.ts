/** First retry delay and the cap, in ms (SPEC B6: 1 s × 2ⁿ, capped at 5 min). */
export const RETRY_BASE_MS = 1000;
export const RETRY_CAP_MS = 5 * 60 * 1000;

/**
 * Delay before retry number `attempt` (0-based): 1 s × 2ⁿ capped at 5 min with "equal jitter"
 * (half fixed, half random), so that many clients knocked off by the same outage do not come
 * back in step. A `Retry-After` from the server is a floor, never shortened: a server that
 * always answers `Retry-After: 5` during an outage still sees its clients back off and spread
 * out instead of returning every 5 s in lockstep.
 *
 * @example
 * retryDelay(3, Math.random, null, Date.now()); // between 4000 and 8000
 * retryDelay(0, Math.random, '7', Date.now()); // 7000
 */
export function retryDelay(
  attempt: number,
  random: () => number,
  retryAfter: string | null,
  serverNow: number,
): number {
  const base = Math.min(RETRY_BASE_MS * 2 ** attempt, RETRY_CAP_MS);
  const backoff = base / 2 + (random() * base) / 2;
  if (retryAfter === null) return backoff;
  const seconds = Number(retryAfter);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - serverNow;
  return ms >= 0 ? Math.min(Math.max(ms, backoff), RETRY_CAP_MS) : backoff;
}

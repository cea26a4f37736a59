/** First retry delay and the cap, in ms (SPEC B6: 1 s × 2ⁿ, capped at 5 min). */
export const RETRY_BASE_MS = 1000;
export const RETRY_CAP_MS = 5 * 60 * 1000;

/**
 * Delay before retry number `attempt` (0-based): `Retry-After` when the server sent one,
 * otherwise 1 s × 2ⁿ capped at 5 min with "equal jitter" (half fixed, half random), so that many
 * clients knocked off by the same outage do not come back in step.
 *
 * @example
 * retryDelay(3, Math.random, null, Date.now()); // between 4000 and 8000
 */
export function retryDelay(
  attempt: number,
  random: () => number,
  retryAfter: string | null,
  serverNow: number,
): number {
  const seconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (retryAfter !== null) {
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - serverNow;
    if (ms >= 0) return Math.min(ms, RETRY_CAP_MS);
  }
  const base = Math.min(RETRY_BASE_MS * 2 ** attempt, RETRY_CAP_MS);
  return base / 2 + (random() * base) / 2;
}

/** How long a fetched JWKS is used before it is fetched again (SPEC §4.1). */
export const JWKS_CACHE = {
  /** Without a usable Cache-Control max-age. */
  defaultSeconds: 600,
  /** `no-cache`, `no-store` and tiny max-ages: a provider cannot make Signet fetch per token. */
  minSeconds: 60,
  /** A provider's year-long max-age would keep a revoked key for a year. */
  maxSeconds: 24 * 60 * 60,
} as const;

/**
 * Seconds to keep a set, from the answer's Cache-Control: `max-age` (or `s-maxage`) bounded to
 * 1 min – 24 h; `no-store`/`no-cache` → the minimum; nothing usable → 10 min.
 *
 * @example
 * cacheSecondsOf('public, max-age=3600'); // 3600
 * cacheSecondsOf('no-store'); // 60
 * cacheSecondsOf(undefined); // 600
 */
export function cacheSecondsOf(cacheControl: string | undefined): number {
  if (cacheControl === undefined) return JWKS_CACHE.defaultSeconds;
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.some((d) => d === 'no-store' || d === 'no-cache')) return JWKS_CACHE.minSeconds;
  let seconds: number | undefined;
  for (const directive of directives) {
    const match = /^(?:s-maxage|max-age)\s*=\s*"?(\d{1,10})"?$/.exec(directive);
    if (match) seconds = Math.max(seconds ?? 0, Number(match[1]));
  }
  if (seconds === undefined) return JWKS_CACHE.defaultSeconds;
  return Math.min(JWKS_CACHE.maxSeconds, Math.max(JWKS_CACHE.minSeconds, seconds));
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Reads a token lifetime: a number of seconds, or text such as `90s`, `15m`, `2h`, `1d`
 * (jose's and the `ms` package's short units). Throws a TypeError naming `what` otherwise.
 *
 * @example
 * parseDuration('15m', 'ttl'); // 900
 * parseDuration(3600, 'ttl'); // 3600
 */
export function parseDuration(value: unknown, what: string): number {
  let seconds: number;
  if (typeof value === 'number') {
    seconds = value;
  } else {
    const match = typeof value === 'string' ? /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(value) : null;
    if (!match) {
      throw new TypeError(`${what} must be seconds or a duration such as "90s", "15m", "2h", "1d"`);
    }
    seconds = Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1);
  }
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw new TypeError(`${what} must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (one year)`);
  }
  return seconds;
}

/** A year, the longest lifetime an app may allow (the admin API's maxTokenLifetimeSeconds cap). */
export const MAX_TTL_SECONDS = 31_536_000;

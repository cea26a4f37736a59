import { LIMITS } from '@signet/protocol';

/** An app's token rules (SPEC §4). The server passes its stored `JwtSettings` as they are. */
export interface VerificationSettings {
  /** When set, `aud` must be or contain exactly this value. */
  audience: string | null;
  /** When set, `iss` must be exactly this value. */
  issuer: string | null;
  /** Leeway for `exp`, `nbf` and `iat`, 0–300 seconds. */
  clockToleranceSeconds: number;
  /**
   * When set, `exp - iat` may not exceed this (`exp - now` for a token without `iat`): the
   * server always sets it (30 days unless the app chose otherwise); null means no limit.
   */
  maxTokenLifetimeSeconds: number | null;
  /** The claim that must equal the batch's `user.id` (SPEC §4.1); default `sub`. */
  userIdClaim?: string;
}

/**
 * Refuses settings a verifier cannot honour, with a TypeError naming the field. Called once
 * when a verifier is made, so that a bad setting fails loudly there rather than per token.
 *
 * @example
 * checkSettings({ audience: null, issuer: null, clockToleranceSeconds: 60, maxTokenLifetimeSeconds: null });
 * checkSettings({ …, clockToleranceSeconds: 301 }); // throws TypeError
 */
export function checkSettings(settings: VerificationSettings): VerificationSettings {
  if (typeof settings !== 'object' || settings === null) throw new TypeError('settings must be an object');
  const { audience, issuer, clockToleranceSeconds, maxTokenLifetimeSeconds } = settings;
  const userIdClaim = settings.userIdClaim ?? 'sub';
  if (typeof userIdClaim !== 'string' || userIdClaim === '' || userIdClaim.length > LIMITS.maxIdLength) {
    throw new TypeError(`userIdClaim must be a claim name of 1 to ${LIMITS.maxIdLength} characters`);
  }
  checkOptionalText(audience, 'audience');
  checkOptionalText(issuer, 'issuer');
  if (!isIntegerIn(clockToleranceSeconds, 0, LIMITS.maxClockToleranceSeconds)) {
    throw new TypeError(
      `clockToleranceSeconds must be an integer from 0 to ${LIMITS.maxClockToleranceSeconds}`,
    );
  }
  if (maxTokenLifetimeSeconds !== null && !isIntegerIn(maxTokenLifetimeSeconds, 1, Number.MAX_SAFE_INTEGER)) {
    throw new TypeError('maxTokenLifetimeSeconds must be null or a positive integer');
  }
  // A private copy: changing the caller's object later cannot change this verifier's rules.
  return Object.freeze({ audience, issuer, clockToleranceSeconds, maxTokenLifetimeSeconds, userIdClaim });
}

function checkOptionalText(value: unknown, name: string): void {
  if (value !== null && (typeof value !== 'string' || value === '')) {
    throw new TypeError(`${name} must be null or a non-empty string`);
  }
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

import type { JwtErrorReason } from './errors.ts';

/**
 * The claim rules of SPEC §4, in one place: the server's verifier (and so the CLI and the
 * issuer's `verifyToken`) applies them to the payload whose signature it checked, and the SDK
 * to a token it holds before sending it (where it knows no audience, issuer or lifetime).
 */
export interface ClaimRules {
  /** Seconds since the epoch; null skips every time rule (a client that does not know the time). */
  nowSeconds: number | null;
  /** Leeway for `exp`, `nbf` and `iat`. */
  clockToleranceSeconds: number;
  /** When set, `aud` must be or contain exactly this value. */
  audience: string | null;
  /** When set, `iss` must be exactly this value. */
  issuer: string | null;
  /** When set, the longest `exp − iat` (`exp − now` without `iat`). */
  maxTokenLifetimeSeconds: number | null;
  /** When set, the user-id claim must equal it exactly (the batch's `user.id`). */
  expectedSubject?: string;
  /** The claim naming the user (SPEC §4.1 `userIdClaim`); default `sub`. */
  userIdClaim?: string;
}

export type ClaimsVerdict =
  | { ok: true; subject: string; expiresAt: number }
  | { ok: false; reason: JwtErrorReason; message: string };

const refuse = (reason: JwtErrorReason, message: string): ClaimsVerdict => ({ ok: false, reason, message });
const wrongIssuer = () => refuse('issuer_mismatch', 'The token\'s "iss" is not the configured issuer');
const wrongAudience = () => refuse('audience_mismatch', 'The token\'s "aud" does not name this app');
const notANumber = (claim: string) => refuse('claim_invalid', `The "${claim}" claim must be a number`);

/**
 * Judges a decoded JWT payload. The order decides which reason a client hears when several
 * apply; it is jose's (presence, issuer, audience, then `iat`, `nbf`, `exp`), followed by the
 * rules jose leaves to us (finite times, `iat` in the future, lifetime, a non-empty `sub`, subject).
 *
 * @example
 * checkClaims({ sub: 'alice', exp: 1767225600 }, { nowSeconds: 1767222000, clockToleranceSeconds: 60,
 *   audience: null, issuer: null, maxTokenLifetimeSeconds: 2_592_000, expectedSubject: 'alice' });
 * // { ok: true, subject: 'alice', expiresAt: 1767225600 }
 */
export function checkClaims(claims: unknown, rules: ClaimRules): ClaimsVerdict {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    return refuse('claim_invalid', 'The token payload is not a JSON object');
  }
  const c = claims as Record<string, unknown>;
  const { issuer, audience, nowSeconds, clockToleranceSeconds: tolerance } = rules;
  // Not Object.hasOwn: the SDK runs this in browsers older than ES2022.
  // biome-ignore lint/suspicious/noPrototypeBuiltins: Object.hasOwn is ES2022 (see above).
  const missing = (claim: string) => !Object.prototype.hasOwnProperty.call(c, claim);
  if (issuer !== null && missing('iss')) return wrongIssuer();
  if (audience !== null && missing('aud')) return wrongAudience();
  if (missing('exp')) return refuse('exp_missing', 'The token has no "exp" claim; it must expire');
  const userIdClaim = rules.userIdClaim ?? 'sub';
  if (missing(userIdClaim)) {
    return refuse('sub_missing', `The token has no "${userIdClaim}" claim naming the user`);
  }
  if (issuer !== null && c.iss !== issuer) return wrongIssuer();
  if (audience !== null && !(c.aud === audience || (Array.isArray(c.aud) && c.aud.includes(audience)))) {
    return wrongAudience();
  }
  const { iat, nbf, exp } = c;
  if (iat !== undefined && typeof iat !== 'number') return notANumber('iat');
  if (nbf !== undefined && typeof nbf !== 'number') return notANumber('nbf');
  if (nowSeconds !== null && nbf !== undefined && nbf > nowSeconds + tolerance) {
    return refuse('not_yet_valid', 'The token is not valid yet ("nbf" is in the future)');
  }
  if (typeof exp !== 'number') return notANumber('exp');
  if (nowSeconds !== null && exp <= nowSeconds - tolerance) {
    return refuse('expired', 'The token has expired ("exp" is in the past)');
  }
  // JSON's 1e400 parses as Infinity: a number, but no time.
  for (const [claim, value] of [
    ['exp', exp],
    ['iat', iat],
    ['nbf', nbf],
  ] as const) {
    if (value !== undefined && !Number.isFinite(value)) {
      return refuse('claim_invalid', `The "${claim}" claim must be a finite number`);
    }
  }
  if (nowSeconds !== null && iat !== undefined && iat > nowSeconds + tolerance) {
    return refuse('issued_in_future', 'The token was issued in the future ("iat" is ahead of the clock)');
  }
  const max = rules.maxTokenLifetimeSeconds;
  const start = iat ?? nowSeconds;
  // Without iat the lifetime still left is what counts: a token that never expires is refused.
  if (max !== null && start !== null && exp - start > max) {
    return refuse('lifetime_too_long', `The token lives longer than ${max} seconds`);
  }
  const sub = c[userIdClaim];
  if (typeof sub !== 'string' || sub === '') {
    return refuse('claim_invalid', `The "${userIdClaim}" claim must be a non-empty string`);
  }
  if (rules.expectedSubject !== undefined && sub !== rules.expectedSubject) {
    return refuse(
      'subject_mismatch',
      `The token was issued for another user ("${userIdClaim}" differs from user.id)`,
    );
  }
  return { ok: true, subject: sub, expiresAt: exp };
}

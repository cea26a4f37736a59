import type { JwtErrorCode, JwtErrorReason } from '@signet/protocol';
import { jwtCodeOf, LIMITS } from '@signet/protocol';
import { decodeJwt } from 'jose';

/** A token that passed every check. */
export interface JwtSuccess {
  ok: true;
  /** The key that verified it. */
  kid: string;
  /** `registered`: one of the app's keys (its use is counted); `provider`: from the app's JWKS. */
  keySource: 'registered' | 'provider';
  subject: string;
  /** The token's `exp`, in seconds since the epoch. */
  expiresAt: number;
  /** True when answered from the verified-token cache, without a signature check. */
  cached: boolean;
}

/**
 * Why a token was refused. `kid` and `subject` are what the token claims (unverified, at most
 * 128 characters), kept for the dashboard's list of recent failures; the token never is.
 */
export interface JwtFailure {
  ok: false;
  code: JwtErrorCode;
  reason: JwtErrorReason;
  message: string;
  kid: string | null;
  subject: string | null;
}

export type VerifyResult = JwtSuccess | JwtFailure;

/** What a failure may say about the token it refused. */
export interface FailureContext {
  kid: string | null;
  subject: string | null;
}

export const NO_CONTEXT: FailureContext = { kid: null, subject: null };

/**
 * Builds a {@link JwtFailure}. The caller passes the reason; the code is the one the
 * `JWT_ERRORS` registry files it under, so the two can never disagree.
 *
 * @example
 * jwtFailure('expired', 'The token expired', NO_CONTEXT);
 * // { ok: false, code: 'TIME_CONSTRAINT_FAILURE', reason: 'expired', … }
 */
export function jwtFailure<R extends JwtErrorReason>(
  reason: R,
  message: string,
  context: FailureContext,
): JwtFailure & { reason: R } {
  return { ok: false, code: jwtCodeOf(reason), reason, message, kid: context.kid, subject: context.subject };
}

/**
 * What a token claims, read without trusting it: `kid` from the header, `sub` from the payload,
 * each only if it is a string, cut to the longest id Signet stores.
 *
 * @example
 * failureContext({ kid: 'k1' }, token); // { kid: 'k1', subject: 'alice' }
 */
export function failureContext(
  header: { kid?: unknown } | null,
  token: string,
  userIdClaim = 'sub',
): FailureContext {
  return { kid: displayed(header?.kid), subject: displayed(claimedSubject(token, userIdClaim)) };
}

function claimedSubject(token: string, userIdClaim: string): unknown {
  try {
    const claims = decodeJwt(token);
    return Object.hasOwn(claims, userIdClaim) ? claims[userIdClaim] : undefined;
  } catch {
    return undefined;
  }
}

function displayed(value: unknown): string | null {
  return typeof value === 'string' ? value.slice(0, LIMITS.maxIdLength) : null;
}

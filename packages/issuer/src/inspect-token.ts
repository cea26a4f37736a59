import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';

export interface InspectedToken {
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
  /** `exp` as ISO-8601, or null when the token has none. */
  expiresAt: string | null;
  /** "expires in 14 min", "expired 3 h ago", or "never expires (no exp claim)". */
  expiry: string;
}

/**
 * Decodes a token's header and claims WITHOUT verifying anything, for a person to read.
 * Throws a TypeError when the text is not a compact JWT.
 *
 * @example
 * inspectToken(token).expiry; // 'expires in 14 min'
 */
export function inspectToken(token: string, now: Date = new Date()): InspectedToken {
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch (error) {
    const why = error instanceof Error ? error.message : 'unreadable';
    throw new TypeError(`Not a JWT (${why}); expected three base64url parts: header.payload.signature`);
  }
  const exp = claims.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    return { header, claims, expiresAt: null, expiry: 'never expires (no exp claim; Signet refuses it)' };
  }
  return { header, claims, expiresAt: new Date(exp * 1000).toISOString(), expiry: describeExpiry(exp, now) };
}

/**
 * The expiry in words, relative to `now`, in the largest whole unit.
 *
 * @example
 * describeExpiry(nowSeconds + 899, now); // 'expires in 14 min'
 * describeExpiry(nowSeconds - 3 * 3600, now); // 'expired 3 h ago'
 */
export function describeExpiry(expSeconds: number, now: Date): string {
  const left = expSeconds - Math.floor(now.getTime() / 1000);
  return left > 0 ? `expires in ${span(left)}` : `expired ${span(-left)} ago`;
}

function span(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

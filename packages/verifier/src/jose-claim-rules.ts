import { isUtf8 } from 'node:buffer';
import type { JWTPayload } from 'jose';
import type { VerificationSettings } from './verification-settings.ts';

/**
 * The claims as jose reads a compact JWS payload: strict UTF-8, then JSON; undefined where
 * jose would refuse to read them.
 *
 * @example
 * decodeClaims(token.split('.')[1]); // { sub: 'alice', exp: 1767225600 }
 */
export function decodeClaims(payloadSegment: string): unknown {
  const bytes = Buffer.from(payloadSegment, 'base64url');
  // jose decodes with a fatal TextDecoder; Buffer's toString would read a bad byte as U+FFFD.
  if (!isUtf8(bytes)) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * jose's claims rules (lib/jwt_claims_set.js) for the options `verifyWithJose` gives it, as a
 * yes or no. The fast paths say yes only where this does, and leave every refusal, with its
 * reason, to jose itself; verification-thread.test.ts compares them on random tokens.
 *
 * @example
 * joseAcceptsClaims({ sub: 'alice', exp: nowSeconds + 60 }, settings, nowSeconds); // true
 */
export function joseAcceptsClaims(
  claims: unknown,
  { audience, issuer, clockToleranceSeconds: tolerance }: VerificationSettings,
  nowSeconds: number,
): claims is JWTPayload {
  if (!isPlainObject(claims)) return false;
  // requiredClaims: ['sub', 'exp'], plus the claims an audience or issuer option requires.
  if (!Object.hasOwn(claims, 'sub') || !Object.hasOwn(claims, 'exp')) return false;
  const { aud, iss, iat, nbf, exp } = claims as JWTPayload;
  if (issuer !== null && iss !== issuer) return false;
  if (
    audience !== null &&
    !(typeof aud === 'string' ? aud === audience : Array.isArray(aud) && aud.includes(audience))
  ) {
    return false;
  }
  if (iat !== undefined && typeof iat !== 'number') return false;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + tolerance)) return false;
  return typeof exp === 'number' && exp > nowSeconds - tolerance;
}

/** jose's `isObject`: what JSON.parse gives for `{…}`, not an array or a value. */
function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

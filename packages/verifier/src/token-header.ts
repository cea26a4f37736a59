import { LIMITS } from '@signet/protocol';
import { decodeProtectedHeader, type ProtectedHeaderParameters } from 'jose';
import { isSigningAlgorithm, SIGNING_ALGORITHMS, type SigningAlgorithm } from './algorithms.ts';
import { failureContext, type JwtFailure, jwtFailure, NO_CONTEXT } from './verify-result.ts';

/** A token whose shape and header passed; its signature and claims are not checked yet. */
export interface InspectedToken {
  header: ProtectedHeaderParameters;
  alg: SigningAlgorithm;
}

/**
 * Everything that can be judged before a key is chosen (rules 2–6 of the verifier): size,
 * compact JWS shape, header JSON, `alg`, `crit` and `typ`. The header's `jwk`, `jku`, `x5u` and
 * `x5c` are read by no one: keys come only from the app's registered list.
 *
 * @example
 * const inspected = inspectToken(token);
 * if ('ok' in inspected) return inspected; // a JwtFailure
 * inspected.alg; // 'ES256'
 */
export function inspectToken(token: string): InspectedToken | JwtFailure {
  // Counted before any decoding, so an oversized token costs no base64 or JSON work.
  if (Buffer.byteLength(token, 'utf8') > LIMITS.maxTokenBytes) {
    return jwtFailure('malformed', `The token is larger than ${LIMITS.maxTokenBytes} bytes`, NO_CONTEXT);
  }
  const segments = token.split('.');
  if (segments.length === 5) {
    return jwtFailure(
      'malformed',
      'The token is encrypted (JWE); Signet needs a signed JWT (JWS)',
      NO_CONTEXT,
    );
  }
  if (segments.length !== 3) {
    return jwtFailure(
      'malformed',
      'The token is not a compact JWS (three base64url parts separated by dots)',
      NO_CONTEXT,
    );
  }
  if (!segments.every(isBase64url)) {
    return jwtFailure('malformed', 'A part of the token is not valid base64url', failureContext(null, token));
  }
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return jwtFailure(
      'malformed',
      'The token header is not a base64url-encoded JSON object',
      failureContext(null, token),
    );
  }
  return inspectHeader(Object.freeze(header), token);
}

function inspectHeader(header: ProtectedHeaderParameters, token: string): InspectedToken | JwtFailure {
  const context = () => failureContext(header, token);
  const { alg } = header;
  if (!isSigningAlgorithm(alg)) {
    const named = typeof alg === 'string' ? `"${alg.slice(0, 32)}" is` : 'A missing or non-string "alg" is';
    return jwtFailure(
      'algorithm_not_allowed',
      `${named} not allowed; sign with one of ${SIGNING_ALGORITHMS.join(', ')}`,
      context(),
    );
  }
  // No extension is understood, so any "crit" at all must be refused (RFC 7515 §4.1.11).
  if (Object.hasOwn(header, 'crit')) {
    return jwtFailure(
      'crit_unsupported',
      'The token has a "crit" header; Signet supports no JWS extensions',
      context(),
    );
  }
  if (Object.hasOwn(header, 'typ') && !isJwtType(header.typ)) {
    return jwtFailure('typ_invalid', 'The token\'s "typ" header must be "JWT" when present', context());
  }
  return Object.freeze({ header, alg });
}

/** RFC 7515 §2: base64url without padding or whitespace, which jose's decoder would tolerate. */
const BASE64URL_ALPHABET = /^[A-Za-z0-9_-]*$/;

/**
 * Exactly the segments jose's decoder accepts, without decoding them: in this alphabet only a
 * length of 4n + 1 cannot be base64 (WHATWG forgiving-base64, which jose's `atob` follows).
 */
function isBase64url(segment: string): boolean {
  return segment.length % 4 !== 1 && BASE64URL_ALPHABET.test(segment);
}

/** RFC 7519 §5.1: "JWT", compared case-insensitively, or its media type `application/jwt`. */
function isJwtType(typ: unknown): boolean {
  return typeof typ === 'string' && ['jwt', 'application/jwt'].includes(typ.toLowerCase());
}

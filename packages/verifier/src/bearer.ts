import { type JwtFailure, jwtFailure, NO_CONTEXT } from './verify-result.ts';

/**
 * Takes the token out of an `Authorization: Bearer <token>` header. The scheme is matched
 * case-insensitively (RFC 9110 §11.1); anything but a non-empty Bearer token is `missing`.
 *
 * @example
 * tokenFromAuthorization('Bearer eyJhbGciOi…'); // { token: 'eyJhbGciOi…' }
 * tokenFromAuthorization(undefined); // { ok: false, code: 'TOKEN_NOT_AVAILABLE', reason: 'missing', … }
 */
export function tokenFromAuthorization(header: string | undefined): { token: string } | JwtFailure {
  const value = header?.trim() ?? '';
  if (value === '') {
    return jwtFailure('missing', 'No Authorization header: send "Bearer <token>"', NO_CONTEXT);
  }
  const space = value.search(/\s/);
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    return jwtFailure('missing', 'Authorization header must use the Bearer scheme', NO_CONTEXT);
  }
  // Whatever follows is the token, even with stray spaces: the verifier then calls it malformed.
  const token = space === -1 ? '' : value.slice(space).trim();
  if (token === '') return jwtFailure('missing', 'The Bearer token is empty', NO_CONTEXT);
  return { token };
}

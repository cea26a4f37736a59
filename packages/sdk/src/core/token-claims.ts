/**
 * A token's claims as the SDK reads them, to judge the user's claim (`sub`, or the app's
 * `userIdClaim`) and `exp`. Never trusted: the server verifies.
 */
export interface TokenClaims {
  /** Expiry in seconds since the epoch, when the token is well made. */
  exp?: number;
  [claim: string]: unknown;
}

/**
 * Reads the claims of a compact JWS without verifying them, only to avoid sending a token that
 * will surely fail. Returns null when the payload is not base64url JSON of an object.
 *
 * @example
 * tokenClaims(jwt); // { sub: 'user-42', exp: 1767225600, iat: 1767224700 }
 */
export function tokenClaims(token: string): TokenClaims | null {
  const part = token.split('.')[1];
  if (!part || !/^[A-Za-z0-9_-]+$/.test(part)) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(b64 + '==='.slice((b64.length + 3) % 4));
    // UTF-8 bytes to text without TextDecoder, which React Native's Hermes lacks: `escape` writes
    // each byte as `%XX`, which decodeURIComponent reads as UTF-8 (throwing on bytes that are not).
    const json = decodeURIComponent(escape(binary));
    const claims = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? claims : null;
  } catch {
    return null;
  }
}

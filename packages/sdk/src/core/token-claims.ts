/** The two claims the SDK reads from a token it holds. Never trusted: the server verifies. */
export interface TokenClaims {
  sub?: string;
  /** Expiry in seconds since the epoch. */
  exp?: number;
}

/**
 * Reads `sub` and `exp` from a compact JWS without verifying it, only to avoid sending a token
 * that will surely fail. Returns null when the payload is not base64url JSON.
 *
 * @example
 * tokenClaims(jwt); // { sub: 'user-42', exp: 1767225600 }
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
    if (typeof claims !== 'object' || claims === null) return null;
    return {
      ...(typeof claims.sub === 'string' && { sub: claims.sub }),
      ...(typeof claims.exp === 'number' && { exp: claims.exp }),
    };
  } catch {
    return null;
  }
}

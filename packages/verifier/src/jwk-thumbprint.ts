import { createHash } from 'node:crypto';

/** The members RFC 7638 §3.2 hashes for each key type, already in lexicographic order. */
const REQUIRED_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The RFC 7638 SHA-256 thumbprint of a public JWK, base64url. The same value as jose's
 * `calculateJwkThumbprint(jwk, 'sha256')` (a test holds them equal), but synchronous: jose's is
 * async because it hashes with WebCrypto, and key registration must stay a plain function.
 *
 * @example
 * jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' });
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members = typeof jwk.kty === 'string' ? REQUIRED_MEMBERS[jwk.kty] : undefined;
  if (!members) throw new TypeError('Only RSA, EC and OKP keys have a thumbprint here');
  const canonical: Record<string, string> = {};
  for (const member of members) {
    const value = jwk[member];
    if (typeof value !== 'string') throw new TypeError(`JWK member "${member}" is missing`);
    canonical[member] = value;
  }
  // JSON.stringify keeps insertion order and emits no whitespace: exactly RFC 7638's form.
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

/**
 * The JWS algorithms Signet accepts, and which public key may use which (SPEC §4). Only
 * asymmetric algorithms: a server that holds nothing but public keys must never be asked to
 * check an HMAC, because the "secret" would be a public key anyone can read.
 */

export const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

/** ECDSA fixes the hash by curve (RFC 7518 §3.4), so each curve allows exactly one algorithm. */
export const EC_ALGORITHMS = { 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] } as const;

export const ED25519_ALGORITHMS = ['EdDSA'] as const;

export type SigningAlgorithm =
  | (typeof RSA_ALGORITHMS)[number]
  | (typeof EC_ALGORITHMS)[keyof typeof EC_ALGORITHMS][number]
  | (typeof ED25519_ALGORITHMS)[number];

/** Every algorithm a token may name in its `alg` header; anything else is refused outright. */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = [
  ...RSA_ALGORITHMS,
  ...Object.values(EC_ALGORITHMS).flat(),
  ...ED25519_ALGORITHMS,
];

/**
 * True when `alg` is one of {@link SIGNING_ALGORITHMS}. Exact and case-sensitive, so `None`,
 * `none` and `HS256` are all refused.
 *
 * @example
 * isSigningAlgorithm('ES256'); // true
 * isSigningAlgorithm('HS256'); // false
 */
export function isSigningAlgorithm(alg: unknown): alg is SigningAlgorithm {
  return typeof alg === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(alg);
}

/**
 * The algorithms a public JWK may verify, judged by its `kty` and `crv` only; null when Signet
 * does not support that kind of key.
 *
 * @example
 * algorithmsForJwk({ kty: 'EC', crv: 'P-384', x: '…', y: '…' }); // ['ES384']
 * algorithmsForJwk({ kty: 'OKP', crv: 'X25519', x: '…' }); // null
 */
export function algorithmsForJwk(jwk: { kty?: unknown; crv?: unknown }): readonly SigningAlgorithm[] | null {
  if (jwk.kty === 'RSA') return RSA_ALGORITHMS;
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && Object.hasOwn(EC_ALGORITHMS, jwk.crv)) {
    return EC_ALGORITHMS[jwk.crv as keyof typeof EC_ALGORITHMS];
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ED25519_ALGORITHMS;
  return null;
}

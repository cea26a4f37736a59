import type { JwksKeyInfo } from '@signet/protocol';
import { KeyInvalidError, parsePublicKey, type VerificationKey } from '@signet/verifier';

/** A provider key Signet will verify with: a registered key's checks, passed. */
export interface ProviderKey extends VerificationKey {
  /** The JWK's own `alg`, when it named one (then it is the only algorithm allowed). */
  alg: string | null;
  type: string;
}

export type JwkSetResult =
  | { ok: true; keys: ProviderKey[]; ignored: number }
  | { ok: false; message: string };

/** More keys than any provider publishes; the rest of a huge set is ignored. */
const MAX_KEYS = 50;

/**
 * Reads a JWKS document and keeps only the keys a token may be verified with, by the rules of
 * registered keys (RSA ≥ 2048 bits, EC P-256/384/521, Ed25519; never private or symmetric
 * keys): `use` absent or `sig`, `key_ops` (if any) allowing `verify`, a JWK `alg` that fits the
 * key. Encryption keys and keys Signet does not support are counted as ignored, never fatal: a
 * provider publishing one odd key still has its others used. A second key with a kid already
 * seen is ignored too (a token's kid must name one key).
 *
 * @example
 * parseJwkSet(body); // { ok: true, keys: [{ kid: 'k1', algorithms: ['RS256'], … }], ignored: 1 }
 */
export function parseJwkSet(body: Buffer): JwkSetResult {
  let document: unknown;
  try {
    document = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, message: 'The JWKS is not valid JSON' };
  }
  const list = (document as { keys?: unknown } | null)?.keys;
  if (typeof document !== 'object' || document === null || !Array.isArray(list)) {
    return { ok: false, message: 'The JWKS has no "keys" array' };
  }
  const keys: ProviderKey[] = [];
  const kids = new Set<string>();
  let ignored = 0;
  for (const jwk of list) {
    const key = keys.length < MAX_KEYS ? signingKey(jwk) : null;
    if (key === null || kids.has(key.kid)) {
      ignored++;
      continue;
    }
    kids.add(key.kid);
    keys.push(key);
  }
  return { ok: true, keys, ignored };
}

function signingKey(jwk: unknown): ProviderKey | null {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return null;
  const members = jwk as Record<string, unknown>;
  if (members.use !== undefined && members.use !== 'sig') return null;
  const ops = members.key_ops;
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return null;
  try {
    const record = parsePublicKey({ jwk: members });
    const alg = typeof members.alg === 'string' ? members.alg : null;
    return Object.freeze({
      kid: record.kid,
      algorithms: record.algorithms,
      jwk: record.jwk,
      alg,
      type: record.type,
    });
  } catch (error) {
    if (error instanceof KeyInvalidError) return null;
    throw error;
  }
}

/** The admin API's view of a key. */
export function keyInfo(key: ProviderKey, fetchedAt: number): JwksKeyInfo {
  return {
    kid: key.kid,
    alg: key.alg,
    type: key.type,
    algorithms: [...key.algorithms],
    fetchedAt: new Date(fetchedAt).toISOString(),
  };
}

import { LIMITS } from '@signet/protocol';
import { importJWK, type JWK } from 'jose';
import { algorithmsForJwk, isSigningAlgorithm } from './algorithms.ts';

/** A registered public key as the verifier needs it; a `PublicKeyRecord` fits as it is. */
export interface VerificationKey {
  kid: string;
  algorithms: string[];
  jwk: object;
}

type ImportedKey = Awaited<ReturnType<typeof importJWK>>;

const PUBLIC_MEMBERS = ['kty', 'n', 'e', 'crv', 'x', 'y'] as const;
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * An app's registered keys, checked once, each imported into a CryptoKey the first time a
 * token needs it for a given algorithm and reused after that.
 *
 * @example
 * const ring = new KeyRing([{ kid: 'k1', algorithms: ['ES256'], jwk }]);
 * ring.byKid('k1'); // the key
 * await ring.cryptoKey(ring.byKid('k1')!, 'ES256'); // CryptoKey, imported once
 */
export class KeyRing {
  readonly #byKid = new Map<string, VerificationKey>();
  readonly #imported = new Map<string, Promise<ImportedKey>>();

  constructor(keys: readonly VerificationKey[]) {
    if (!Array.isArray(keys)) throw new TypeError('keys must be an array');
    for (const key of keys) {
      const checked = checkKey(key);
      if (this.#byKid.has(checked.kid)) throw new TypeError(`Two keys share the kid "${checked.kid}"`);
      this.#byKid.set(checked.kid, checked);
    }
  }

  get size(): number {
    return this.#byKid.size;
  }

  /** The key registered under exactly this kid. A Map, so `__proto__` is just another kid. */
  byKid(kid: string): VerificationKey | undefined {
    return this.#byKid.get(kid);
  }

  /** Every key that may verify `alg`, in registration order. */
  withAlgorithm(alg: string): VerificationKey[] {
    return [...this.#byKid.values()].filter((key) => key.algorithms.includes(alg));
  }

  /** The key imported for `alg`; concurrent first calls share one import. */
  cryptoKey(key: VerificationKey, alg: string): Promise<ImportedKey> {
    const id = keyAlgorithmId(key, alg);
    let imported = this.#imported.get(id);
    if (!imported) {
      imported = importJWK(key.jwk as JWK, alg);
      this.#imported.set(id, imported);
      // A failed import is not remembered, so a passing fault does not stick to the key.
      imported.catch(() => this.#imported.delete(id));
    }
    return imported;
  }
}

/** A frozen copy holding only public members, so later changes to the caller's object do nothing. */
function checkKey(key: VerificationKey): VerificationKey {
  if (typeof key !== 'object' || key === null) throw new TypeError('Each key must be an object');
  const { kid, algorithms, jwk } = key;
  if (typeof kid !== 'string' || kid.length < 1 || kid.length > LIMITS.maxIdLength) {
    throw new TypeError(`Each key needs a kid of 1 to ${LIMITS.maxIdLength} characters`);
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new TypeError(`Key "${kid}": jwk must be an object`);
  }
  const members = jwk as Record<string, unknown>;
  if (SECRET_MEMBERS.some((member) => Object.hasOwn(members, member))) {
    throw new TypeError(`Key "${kid}": jwk must be a public key`);
  }
  const fitting = algorithmsForJwk(members);
  if (!fitting) throw new TypeError(`Key "${kid}": unsupported key type`);
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError(`Key "${kid}": algorithms must be a non-empty array`);
  }
  for (const alg of algorithms) {
    if (!isSigningAlgorithm(alg) || !fitting.includes(alg)) {
      throw new TypeError(
        `Key "${kid}": algorithm "${String(alg)}" does not fit a ${String(members.kty)} key`,
      );
    }
  }
  const publicJwk: Record<string, unknown> = {};
  for (const member of PUBLIC_MEMBERS) {
    if (members[member] !== undefined) publicJwk[member] = members[member];
  }
  return Object.freeze({
    kid,
    algorithms: Object.freeze([...algorithms]) as string[],
    jwk: Object.freeze(publicJwk),
  });
}

/** One string per (key, algorithm) pair, for per-pair memos: a NUL cannot occur in an algorithm name. */
function keyAlgorithmId(key: VerificationKey, alg: string): string {
  return `${alg}\u0000${key.kid}`;
}

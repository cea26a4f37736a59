import { createPrivateKey, type JsonWebKey, KeyObject } from 'node:crypto';
import { LIMITS } from '@signet/protocol';
import { algorithmsForJwk, type SigningAlgorithm } from '@signet/verifier';

/** Why a private key cannot sign Signet tokens. */
export type SigningKeyProblem =
  | 'public_key'
  | 'symmetric_key'
  | 'weak_key'
  | 'unsupported_key'
  | 'algorithm_mismatch'
  | 'malformed';

/** A key that cannot sign tokens the server would accept. The message never holds the key. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
  readonly problem: SigningKeyProblem;

  constructor(problem: SigningKeyProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/** A private key as a backend holds it: PEM text (PKCS#8, PKCS#1 or SEC1), a JWK, or a KeyObject. */
export type PrivateKeyInput = string | KeyObject | JsonWebKey;

export interface SigningKey {
  key: KeyObject;
  alg: SigningAlgorithm;
  /** `RSA 2048`, `EC P-256`, `Ed25519`… */
  type: string;
}

const SUPPORTED = 'use an RSA (2048 bits or more), EC P-256/P-384/P-521 or Ed25519 private key';

/**
 * Checks a private key once and settles the algorithm it signs with: the one asked for, which
 * must fit the key, or the key's natural one (RS256 for RSA, ES256/384/512 by curve, EdDSA).
 * The verifier's own table decides what fits, so the issuer never signs what the server refuses.
 *
 * @example
 * signingKey(readFileSync('private.pem', 'utf8')).alg; // 'ES256'
 * signingKey(rsaPem, 'PS256').alg; // 'PS256'
 */
export function signingKey(input: PrivateKeyInput, alg?: string): SigningKey {
  const key = toKeyObject(input);
  if (key.type === 'public') {
    throw new SigningKeyError(
      'public_key',
      'This is a public key; tokens are signed with the private key (e.g. private.pem)',
    );
  }
  if (key.type === 'secret') {
    throw new SigningKeyError(
      'symmetric_key',
      'This is a symmetric secret; Signet tokens are signed with an asymmetric private key (no HS256)',
    );
  }
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) < LIMITS.minRsaBits) {
    throw new SigningKeyError(
      'weak_key',
      `RSA key of ${details.modulusLength} bits; the server accepts ${LIMITS.minRsaBits} or more`,
    );
  }
  const jwk = exportJwk(key);
  const fitting = algorithmsForJwk(jwk);
  if (!fitting) {
    throw new SigningKeyError(
      'unsupported_key',
      `${describe(key, jwk)} keys are not supported; ${SUPPORTED}`,
    );
  }
  const type = key.asymmetricKeyType === 'rsa' ? `RSA ${details.modulusLength}` : describe(key, jwk);
  if (alg === undefined) return { key, alg: fitting[0] as SigningAlgorithm, type };
  if (!(fitting as readonly string[]).includes(alg)) {
    throw new SigningKeyError(
      'algorithm_mismatch',
      `A ${type} key signs ${fitting.join(', ')}, not ${String(alg).slice(0, 16)}`,
    );
  }
  return { key, alg: alg as SigningAlgorithm, type };
}

function toKeyObject(input: PrivateKeyInput): KeyObject {
  if (input instanceof KeyObject) return input;
  if (typeof input === 'string') return fromPem(input);
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return fromJwk(input);
  throw new SigningKeyError('malformed', 'privateKey must be PEM text, a JWK or a KeyObject');
}

function fromPem(pem: string): KeyObject {
  const label = /-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(pem)?.[1];
  if (label === undefined) {
    throw new SigningKeyError(
      'malformed',
      'Not a PEM private key: expected "-----BEGIN PRIVATE KEY-----" (HS256 secrets are not accepted)',
    );
  }
  if (label.includes('PUBLIC KEY') || label === 'CERTIFICATE') {
    throw new SigningKeyError(
      'public_key',
      `This is a ${label === 'CERTIFICATE' ? 'certificate' : 'public key'}; tokens are signed with the private key (e.g. private.pem)`,
    );
  }
  if (label.includes('ENCRYPTED')) {
    throw new SigningKeyError(
      'malformed',
      'The private key is encrypted; decrypt it first (openssl pkey -in key.pem -out plain.pem)',
    );
  }
  try {
    return createPrivateKey(pem);
  } catch {
    throw new SigningKeyError('malformed', 'The PEM could not be read as a private key');
  }
}

function fromJwk(jwk: JsonWebKey): KeyObject {
  if (jwk.kty === 'oct') {
    throw new SigningKeyError(
      'symmetric_key',
      'This is a symmetric (kty "oct") key; Signet tokens are signed with an asymmetric private key',
    );
  }
  if (typeof jwk.d !== 'string') {
    throw new SigningKeyError('public_key', 'This JWK is a public key (no "d"); give the private JWK');
  }
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new SigningKeyError('malformed', 'The JWK could not be read as a private key');
  }
}

function exportJwk(key: KeyObject): JsonWebKey {
  try {
    return key.export({ format: 'jwk' });
  } catch {
    // Node exports only RSA, EC and OKP keys as JWK; anything else (DSA, DH, RSA-PSS) is not ours.
    return {};
  }
}

function describe(key: KeyObject, jwk: JsonWebKey): string {
  if (key.asymmetricKeyType === 'ec') return `EC ${jwk.crv ?? key.asymmetricKeyDetails?.namedCurve ?? '?'}`;
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519';
  return String(key.asymmetricKeyType ?? 'Unknown').toUpperCase();
}

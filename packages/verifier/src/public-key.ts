import { createHash, createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { LIMITS } from '@signet/protocol';
import { algorithmsForJwk } from './algorithms.ts';
import { jwkThumbprint } from './jwk-thumbprint.ts';

/** Why a key was refused; the admin API answers 400 `KEY_INVALID` with this reason (SPEC §5). */
export type KeyInvalidReason = 'private_key' | 'symmetric_key' | 'weak_key' | 'unsupported_key' | 'malformed';

/** A key Signet will not register. The message says what was wrong, never the key itself. */
export class KeyInvalidError extends Error {
  override readonly name = 'KeyInvalidError';
  readonly reason: KeyInvalidReason;

  constructor(reason: KeyInvalidReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Only the public members of a key, as jose's `importJWK` reads them. */
export interface PublicJwk {
  kty: string;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}

/** A public key ready to store and to verify with. */
export interface PublicKeyRecord {
  /** As given (1–128 characters), else the JWK's own `kid`, else its RFC 7638 thumbprint. */
  kid: string;
  /** `RSA 2048`, `RSA 4096`, `EC P-256`, `EC P-384`, `EC P-521` or `Ed25519`. */
  type: string;
  /** The JWS algorithms this key may verify. */
  algorithms: string[];
  jwk: PublicJwk;
  /** SHA-256 of the key's SPKI DER encoding, hex. */
  fingerprint: string;
}

export interface PublicKeyInput {
  /** PEM SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`). */
  pem?: string | null;
  /** A JWK, as an object or as JSON text. */
  jwk?: unknown;
  kid?: string | null;
}

/** JWK members that only a private or symmetric key has (RFC 7518 §6). */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const PUBLIC_PEM_LABELS = ['PUBLIC KEY', 'RSA PUBLIC KEY'];
const EC_CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const SUPPORTED = 'use RSA (2048 bits or more), EC P-256/P-384/P-521 or Ed25519';

/**
 * Checks a public key an app registers and describes it. Refuses private, symmetric, weak
 * (RSA < 2048 bits) and unsupported keys with a {@link KeyInvalidError} whose `reason` is the
 * admin API's `KEY_INVALID` reason.
 *
 * @example
 * const record = parsePublicKey({ pem: '-----BEGIN PUBLIC KEY-----\n…' });
 * record.type; // 'EC P-256'
 * record.algorithms; // ['ES256']
 */
export function parsePublicKey(input: PublicKeyInput): PublicKeyRecord {
  const hasPem = input.pem !== undefined && input.pem !== null;
  const hasJwk = input.jwk !== undefined && input.jwk !== null;
  if (hasPem === hasJwk) throw new KeyInvalidError('malformed', 'Give exactly one of "pem" or "jwk"');
  const givenKid = input.kid === undefined || input.kid === null ? undefined : checkKid(input.kid, 'kid');
  const parsed = hasPem ? keyFromPem(input.pem) : keyFromJwk(input.jwk);
  if (givenKid !== undefined && parsed.kid !== undefined && givenKid !== parsed.kid) {
    // Tokens would name the JWK's kid and never find a key stored under the other one.
    throw new KeyInvalidError(
      'malformed',
      'The "kid" given differs from the JWK\'s own "kid"; give one or make them equal',
    );
  }
  return describe(parsed.key, givenKid ?? parsed.kid, parsed.alg);
}

interface ParsedKey {
  key: KeyObject;
  /** The JWK's own `kid`, if it had one. */
  kid?: string;
  /** The JWK's own `alg`, which limits the key to that one algorithm. */
  alg?: string;
}

function keyFromPem(pem: unknown): ParsedKey {
  if (typeof pem !== 'string') throw new KeyInvalidError('malformed', '"pem" must be a string');
  const labels = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]{1,40})-----/g)].map((match) => match[1] ?? '');
  if (labels.some((label) => label.includes('PRIVATE KEY')) || isPrivateKey(pem)) throw privateKeyError();
  if (labels.length === 0) {
    throw new KeyInvalidError('malformed', 'Not a PEM public key: expected "-----BEGIN PUBLIC KEY-----"');
  }
  if (labels.length > 1) {
    throw new KeyInvalidError('malformed', 'The PEM holds several blocks; give one public key');
  }
  const label = labels[0] ?? '';
  if (!PUBLIC_PEM_LABELS.includes(label)) {
    throw new KeyInvalidError(
      'malformed',
      `The PEM holds a "${label}", not a public key ("BEGIN PUBLIC KEY")`,
    );
  }
  try {
    return { key: createPublicKey(pem) };
  } catch {
    throw new KeyInvalidError('malformed', 'The PEM could not be read as a public key');
  }
}

function keyFromJwk(input: unknown): ParsedKey {
  let jwk: unknown = input;
  if (typeof input === 'string') {
    try {
      jwk = JSON.parse(input);
    } catch {
      throw new KeyInvalidError('malformed', '"jwk" is not valid JSON');
    }
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new KeyInvalidError('malformed', '"jwk" must be a JSON object');
  }
  const members = jwk as Record<string, unknown>;
  if (Object.hasOwn(members, 'keys')) throw new KeyInvalidError('malformed', 'Give one JWK, not a JWK Set');
  if (members.kty === 'oct') {
    throw new KeyInvalidError(
      'symmetric_key',
      'This is a symmetric (kty "oct") key; register an asymmetric public key',
    );
  }
  if (SECRET_MEMBERS.some((member) => Object.hasOwn(members, member))) throw privateKeyError();
  if (typeof members.kty !== 'string') throw new KeyInvalidError('malformed', 'The JWK has no "kty"');
  if (!['RSA', 'EC', 'OKP'].includes(members.kty)) {
    throw new KeyInvalidError(
      'unsupported_key',
      `Key type "${clip(members.kty)}" is not supported; ${SUPPORTED}`,
    );
  }
  if (members.kty !== 'RSA' && typeof members.crv !== 'string') {
    throw new KeyInvalidError('malformed', 'The JWK has no "crv"');
  }
  const required = members.kty === 'RSA' ? ['n', 'e'] : members.kty === 'EC' ? ['x', 'y'] : ['x'];
  const absent = required.find((member) => typeof members[member] !== 'string' || members[member] === '');
  if (absent) throw new KeyInvalidError('malformed', `The JWK has no "${absent}"`);
  const algorithms = algorithmsForJwk(members);
  if (!algorithms) {
    throw new KeyInvalidError(
      'unsupported_key',
      `Curve "${clip(String(members.crv))}" is not supported; ${SUPPORTED}`,
    );
  }
  if (members.use !== undefined && members.use !== 'sig') {
    throw new KeyInvalidError(
      'unsupported_key',
      'The JWK is not marked for signatures ("use" must be "sig")',
    );
  }
  const alg = members.alg;
  if (alg !== undefined && !(algorithms as readonly unknown[]).includes(alg)) {
    throw new KeyInvalidError('unsupported_key', `The JWK's "alg" must be one of ${algorithms.join(', ')}`);
  }
  const kid = members.kid === undefined ? undefined : checkKid(members.kid, 'The JWK\'s "kid"');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: members as JsonWebKey, format: 'jwk' });
  } catch {
    throw new KeyInvalidError('malformed', 'The JWK could not be read as a public key');
  }
  return { key, kid, alg: alg as string | undefined };
}

/** Classifies a parsed key; only here do type, size and curve decide. */
function describe(key: KeyObject, kid: string | undefined, alg: string | undefined): PublicKeyRecord {
  const details = key.asymmetricKeyDetails ?? {};
  let type: string;
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < LIMITS.minRsaBits) {
        throw new KeyInvalidError(
          'weak_key',
          `RSA key of ${bits} bits; at least ${LIMITS.minRsaBits} are required`,
        );
      }
      // An exponent of 1 (or any even one) makes RSA signatures trivially forgeable or broken.
      const exponent = details.publicExponent ?? 0n;
      if (exponent < 3n || exponent % 2n === 0n) {
        throw new KeyInvalidError('weak_key', 'RSA public exponent is unsafe');
      }
      type = `RSA ${bits}`;
      break;
    }
    case 'ec': {
      const curve = EC_CURVES[details.namedCurve ?? ''];
      if (!curve) {
        throw new KeyInvalidError(
          'unsupported_key',
          `EC curve ${clip(details.namedCurve ?? '?')} is not supported; ${SUPPORTED}`,
        );
      }
      type = `EC ${curve}`;
      break;
    }
    case 'ed25519':
      type = 'Ed25519';
      break;
    default:
      throw new KeyInvalidError(
        'unsupported_key',
        `${clip(key.asymmetricKeyType ?? 'This')} keys are not supported; ${SUPPORTED}`,
      );
  }
  const jwk = publicMembers(key.export({ format: 'jwk' }));
  const algorithms = (algorithmsForJwk(jwk) ?? []).filter(
    (candidate) => alg === undefined || candidate === alg,
  );
  const fingerprint = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
  return { kid: kid ?? jwkThumbprint({ ...jwk }), type, algorithms, jwk, fingerprint };
}

function publicMembers(exported: JsonWebKey): PublicJwk {
  const jwk: PublicJwk = { kty: String(exported.kty) };
  for (const member of ['n', 'e', 'crv', 'x', 'y'] as const) {
    const value = exported[member];
    if (typeof value === 'string') jwk[member] = value;
  }
  return jwk;
}

function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

function privateKeyError(): KeyInvalidError {
  return new KeyInvalidError(
    'private_key',
    'This is a private key. Register only its public half (e.g. `openssl pkey -in key.pem -pubout`); the private key stays with your backend',
  );
}

function checkKid(kid: unknown, what: string): string {
  if (typeof kid !== 'string' || kid.length < 1 || kid.length > LIMITS.maxIdLength) {
    throw new KeyInvalidError(
      'malformed',
      `${what} must be a string of 1 to ${LIMITS.maxIdLength} characters`,
    );
  }
  return kid;
}

/** Echoes short, descriptive input (a kty, a curve name) without letting it grow the message. */
function clip(text: string): string {
  return text.length > 32 ? `${text.slice(0, 32)}…` : text;
}

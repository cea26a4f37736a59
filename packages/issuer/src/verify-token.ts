import { LIMITS } from '@signet/protocol';
import {
  createTokenVerifier,
  type PublicKeyInput,
  type PublicKeyRecord,
  parsePublicKey,
  type VerificationSettings,
  type VerifyResult,
} from '@signet/verifier';

/** A public key: PEM text, a public JWK, or `{ pem | jwk, kid }` as registered with the server. */
export type PublicKeyLike = string | PublicKeyInput | PublicKeyRecord | Record<string, unknown>;

export interface VerifyTokenOptions extends Partial<VerificationSettings> {
  /** The user the data is for; the token's `sub` must equal it (the server checks `user.id`). */
  subject?: string;
  /** The clock to judge `exp`, `nbf` and `iat` by; now by default. */
  now?: Date;
}

/**
 * Checks a token exactly as the collection server does for an app with these keys and settings:
 * the same code (`@signet/verifier`), so a `valid` here is a `200` there. Never throws for a bad
 * token; a bad key or setting throws (a KeyInvalidError or TypeError), as it would at registration.
 *
 * @example
 * const result = await verifyToken(token, [readFileSync('public.pem', 'utf8')], { subject: 'user-42' });
 * if (!result.ok) console.log(result.code, result.reason); // e.g. TIME_CONSTRAINT_FAILURE expired
 */
export async function verifyToken(
  token: string,
  publicKeys: readonly PublicKeyLike[],
  options: VerifyTokenOptions = {},
): Promise<VerifyResult> {
  if (!Array.isArray(publicKeys)) throw new TypeError('publicKeys must be an array');
  const keys = publicKeys.map((key) => (isRecord(key) ? key : parsePublicKey(publicKeyInput(key))));
  const verifier = createTokenVerifier({
    keys,
    settings: {
      audience: options.audience ?? null,
      issuer: options.issuer ?? null,
      clockToleranceSeconds: options.clockToleranceSeconds ?? LIMITS.defaultClockToleranceSeconds,
      maxTokenLifetimeSeconds: options.maxTokenLifetimeSeconds ?? LIMITS.defaultMaxTokenLifetimeSeconds,
    },
    cacheSize: 0,
  });
  return verifier.verify(token, {
    ...(options.subject !== undefined && { expectedSubject: options.subject }),
    ...(options.now !== undefined && { now: options.now }),
  });
}

/** What parsePublicKey reads for a key given as PEM text, JWK text, a JWK or `{ pem | jwk, kid }`. */
export function publicKeyInput(key: PublicKeyLike): PublicKeyInput {
  if (typeof key === 'string') {
    return key.trimStart().startsWith('{') ? { jwk: key } : { pem: key };
  }
  if (typeof key === 'object' && key !== null && ('pem' in key || 'jwk' in key)) return key as PublicKeyInput;
  return { jwk: key };
}

/** Already parsed by parsePublicKey (the CLI parses each file first, to name the bad one). */
function isRecord(key: PublicKeyLike): key is PublicKeyRecord {
  return (
    typeof key === 'object' &&
    key !== null &&
    'fingerprint' in key &&
    'algorithms' in key &&
    'jwk' in key &&
    'kid' in key
  );
}

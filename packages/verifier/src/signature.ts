import type { JwtErrorReason } from '@signet/protocol';
import { compactVerify, errors } from 'jose';
import type { SigningAlgorithm } from './algorithms.ts';
import type { KeyRing } from './key-ring.ts';

type ImportedKey = Awaited<ReturnType<KeyRing['cryptoKey']>>;

export type SignatureCheck =
  | { ok: true; payload: Uint8Array }
  | { ok: false; reason: JwtErrorReason; message: string };

/**
 * The signature of a compact JWS, checked by jose (WebCrypto, in every runtime) with exactly one
 * allowed algorithm, the one the key was imported for. The payload comes back as bytes: jose
 * judges no claim here, `checkClaims` does.
 *
 * @example
 * const checked = await checkSignature(token, await ring.cryptoKey(key, 'ES256'), 'ES256');
 * if (checked.ok) decodePayload(checked.payload);
 */
export async function checkSignature(
  token: string,
  key: ImportedKey,
  alg: SigningAlgorithm,
): Promise<SignatureCheck> {
  try {
    const { payload } = await compactVerify(token, key, { algorithms: [alg] });
    return { ok: true, payload };
  } catch (error) {
    return { ok: false, ...translated(error) };
  }
}

/** What jose throws, in Signet's vocabulary; anything unexpected is `unknown`. */
function translated(error: unknown): { reason: JwtErrorReason; message: string } {
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return { reason: 'signature_invalid', message: 'The signature does not match the registered key' };
  }
  if (error instanceof errors.JWSInvalid)
    return { reason: 'malformed', message: 'The token is not a valid JWS' };
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return { reason: 'algorithm_not_allowed', message: 'The token\'s "alg" is not allowed for this key' };
  }
  return { reason: 'unknown', message: 'The token could not be verified' };
}

import { isUtf8 } from 'node:buffer';
import { createVerifier } from 'fast-jwt';
import type { JWTPayload } from 'jose';
import type { SigningAlgorithm } from './algorithms.ts';
import { joseAcceptsClaims } from './jose-claim-rules.ts';
import { nodePublicKey, type VerificationKey } from './key-ring.ts';
import type { VerificationSettings } from './verification-settings.ts';

/** The payload of a token this key signed and jose would accept; null when jose must judge. */
export type ThisThreadCheck = (token: string, nowSeconds: number) => JWTPayload | null;

/**
 * A synchronous check on the calling thread with fast-jwt (node:crypto), for a token checked
 * alone. It can only say yes: on any doubt it answers null and the caller asks jose, whose
 * verdict and reason then stand, so a refusal never depends on which library looked first.
 * fast-jwt checks the signature; the claims are held to jose's rules by joseAcceptsClaims.
 *
 * @example
 * const check = createThisThreadCheck(key, 'ES256', settings);
 * check(token, Math.floor(Date.now() / 1000)); // the payload, or null
 */
export function createThisThreadCheck(
  key: VerificationKey,
  alg: SigningAlgorithm,
  settings: VerificationSettings,
): ThisThreadCheck {
  const publicKey = nodePublicKey(key);
  if (!publicKey) return () => null;
  let verify: (token: string) => unknown;
  try {
    verify = createVerifier({
      key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      algorithms: [alg],
      cache: false,
      // Only the signature is fast-jwt's to judge; the claims are judged below, by jose's rules.
      ignoreExpiration: true,
      ignoreNotBefore: true,
    });
  } catch {
    return () => null;
  }
  return (token, nowSeconds) => {
    let claims: unknown;
    try {
      claims = verify(token);
    } catch {
      return null;
    }
    // jose decodes the payload as strict UTF-8; fast-jwt would read a bad byte as U+FFFD.
    const payloadPart = token.slice(token.indexOf('.') + 1, token.lastIndexOf('.'));
    if (!isUtf8(Buffer.from(payloadPart, 'base64url'))) return null;
    return joseAcceptsClaims(claims, settings, nowSeconds) ? claims : null;
  };
}

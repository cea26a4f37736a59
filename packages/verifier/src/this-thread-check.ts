import { isUtf8 } from 'node:buffer';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import type { JWTPayload } from 'jose';
import type { SigningAlgorithm } from './algorithms.ts';
import type { VerificationKey } from './key-ring.ts';
import type { VerificationSettings } from './verification-settings.ts';

/** The payload of a token this key signed and jose would accept; null when jose must judge. */
export type ThisThreadCheck = (token: string, nowSeconds: number) => JWTPayload | null;

/**
 * A synchronous check on the calling thread with fast-jwt (node:crypto), for a token checked
 * alone. It can only say yes: on any doubt it answers null and the caller asks jose, whose
 * verdict and reason then stand, so a refusal never depends on which library looked first.
 * Everything jose checks that fast-jwt is not told to is checked here exactly as jose does.
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
  const { audience, issuer, clockToleranceSeconds: tolerance } = settings;
  let verify: (token: string) => JWTPayload;
  try {
    verify = createVerifier({
      key: createPublicKey({ key: key.jwk as JsonWebKey, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString(),
      algorithms: [alg],
      cache: false,
      // fast-jwt reads its clock when it is made; the request's clock is judged below instead.
      ignoreExpiration: true,
      ignoreNotBefore: true,
      // fast-jwt skips an allow-list for a claim that is absent; jose refuses the token.
      requiredClaims: [
        'exp',
        'sub',
        ...(audience === null ? [] : ['aud']),
        ...(issuer === null ? [] : ['iss']),
      ],
      allowedAud: audience ?? undefined,
      allowedIss: issuer ?? undefined,
    });
  } catch {
    return () => null;
  }
  return (token, now) => {
    let payload: JWTPayload;
    try {
      payload = verify(token);
    } catch {
      return null;
    }
    // jose decodes the payload as strict UTF-8; fast-jwt would read a bad byte as U+FFFD.
    const payloadPart = token.slice(token.indexOf('.') + 1, token.lastIndexOf('.'));
    if (!isUtf8(Buffer.from(payloadPart, 'base64url'))) return null;
    return withinJoseTimes(payload, now, tolerance) ? payload : null;
  };
}

/** jose's rules for `iat`, `nbf` and `exp` (lib/jwt_claims_set.js), so a yes here is a yes there. */
function withinJoseTimes({ iat, nbf, exp }: JWTPayload, now: number, tolerance: number): boolean {
  if (iat !== undefined && typeof iat !== 'number') return false;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + tolerance)) return false;
  if (exp !== undefined && (typeof exp !== 'number' || exp <= now - tolerance)) return false;
  return true;
}

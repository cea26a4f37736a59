import { constants, verify } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { SigningAlgorithm } from './algorithms.ts';
import { decodeClaims, joseAcceptsClaims } from './jose-claim-rules.ts';
import { nodePublicKey, type VerificationKey } from './key-ring.ts';
import type { VerificationSettings } from './verification-settings.ts';

/** The payload of a token this key signed and jose would accept; null when jose must judge. */
export type ThreadPoolCheck = (token: string, nowSeconds: number) => Promise<JWTPayload | null>;

/** RFC 7518 §3: what node:crypto needs to check each algorithm's signature as WebCrypto does. */
const SIGNATURES: Record<SigningAlgorithm, { digest: string | null; rsaPss?: true; ecdsa?: true }> = {
  RS256: { digest: 'sha256' },
  RS384: { digest: 'sha384' },
  RS512: { digest: 'sha512' },
  PS256: { digest: 'sha256', rsaPss: true },
  PS384: { digest: 'sha384', rsaPss: true },
  PS512: { digest: 'sha512', rsaPss: true },
  ES256: { digest: 'sha256', ecdsa: true },
  ES384: { digest: 'sha384', ecdsa: true },
  ES512: { digest: 'sha512', ecdsa: true },
  EdDSA: { digest: null },
};

/**
 * A check for tokens that arrive together: the signature goes to libuv's thread pool through
 * node:crypto's callback `verify`, so that the machine's other cores check it while this thread
 * reads the next request; WebCrypto does the same but costs this thread more per token than an
 * RSA signature check itself. Like the this-thread check it can only say yes: on any doubt it
 * answers null and jose judges the whole token, so jose's verdict and reason stand.
 *
 * @example
 * const check = createThreadPoolCheck(key, 'RS256', settings);
 * await check(token, Math.floor(Date.now() / 1000)); // the payload, or null
 */
export function createThreadPoolCheck(
  key: VerificationKey,
  alg: SigningAlgorithm,
  settings: VerificationSettings,
): ThreadPoolCheck {
  const publicKey = nodePublicKey(key);
  if (!publicKey) return () => NOT_A_YES;
  const { digest, rsaPss, ecdsa } = SIGNATURES[alg];
  // WebCrypto's RSA-PSS uses a salt as long as the hash; node:crypto would accept any length.
  const verifyKey = rsaPss
    ? {
        key: publicKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      }
    : ecdsa
      ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const }
      : publicKey;
  return (token, nowSeconds) => {
    const payloadStart = token.indexOf('.') + 1;
    const signatureStart = token.lastIndexOf('.') + 1;
    const claims = decodeClaims(token.slice(payloadStart, signatureStart - 1));
    if (!joseAcceptsClaims(claims, settings, nowSeconds)) return NOT_A_YES;
    const signingInput = Buffer.from(token.slice(0, signatureStart - 1), 'latin1');
    const signature = Buffer.from(token.slice(signatureStart), 'base64url');
    return new Promise((resolve) => {
      verify(digest, signingInput, verifyKey, signature, (error, valid) =>
        resolve(!error && valid ? claims : null),
      );
    });
  };
}

const NOT_A_YES = Promise.resolve(null);

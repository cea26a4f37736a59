import { LIMITS } from '@signet/protocol';
import {
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  type JWK,
  generateKeyPair as joseGenerate,
} from 'jose';

/** The algorithms `generateKeyPair` makes keys for (SPEC §7). */
export const KEY_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export interface GenerateKeyPairOptions {
  /** Default ES256: small keys and tokens, fast to verify. */
  alg?: KeyAlgorithm;
  /** RSA only: at least 2048 (the default). */
  modulusLength?: number;
}

export interface GeneratedKeyPair {
  alg: KeyAlgorithm;
  /** The RFC 7638 thumbprint of the public key: the kid the server gives it when none is named. */
  kid: string;
  /** PKCS#8 PEM. Stays with the app's backend. */
  privateKeyPem: string;
  /** SPKI PEM: what the app registers with Signet. */
  publicKeyPem: string;
  privateJwk: JWK;
  /** The public JWK with `kid`, `alg` and `use: "sig"`. */
  publicJwk: JWK;
}

/**
 * Makes a signing key pair for an app's backend, on jose (WebCrypto).
 *
 * @example
 * const pair = await generateKeyPair({ alg: 'ES256' });
 * await fetch(`${signet}/admin/v1/apps/${appId}/keys`, { method: 'POST', body: JSON.stringify({ pem: pair.publicKeyPem }), … });
 * const issuer = createTokenIssuer({ privateKey: pair.privateKeyPem, kid: pair.kid });
 */
export async function generateKeyPair(options: GenerateKeyPairOptions = {}): Promise<GeneratedKeyPair> {
  const alg = options.alg ?? 'ES256';
  if (!(KEY_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TypeError(`alg must be one of ${KEY_ALGORITHMS.join(', ')}`);
  }
  const rsa = alg === 'RS256' || alg === 'PS256';
  const modulusLength = options.modulusLength ?? 2048;
  if (rsa && (!Number.isSafeInteger(modulusLength) || modulusLength < LIMITS.minRsaBits)) {
    throw new TypeError(`modulusLength must be an integer of at least ${LIMITS.minRsaBits}`);
  }
  const { privateKey, publicKey } = await joseGenerate(alg, {
    extractable: true,
    ...(rsa && { modulusLength }),
  });
  const publicMembers = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicMembers, 'sha256');
  const marks = { kid, alg, use: 'sig' };
  return {
    alg,
    kid,
    privateKeyPem: await exportPKCS8(privateKey),
    publicKeyPem: await exportSPKI(publicKey),
    privateJwk: { ...(await exportJWK(privateKey)), ...marks },
    publicJwk: { ...publicMembers, ...marks },
  };
}

import { KeyObject, type webcrypto } from 'node:crypto';
import {
  base64url,
  CompactSign,
  type CryptoKey,
  exportSPKI,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose';
import {
  createTokenVerifier,
  type PublicKeyRecord,
  parsePublicKey,
  type VerificationSettings,
} from '../src/index.ts';

/** The frozen clock of every time test: tokens are minted and checked against it. */
export const NOW = new Date('2025-06-01T12:00:00Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);

export const SETTINGS: VerificationSettings = {
  audience: null,
  issuer: null,
  clockToleranceSeconds: 60,
  maxTokenLifetimeSeconds: null,
};

export interface TestKey {
  alg: string;
  privateKey: CryptoKey | KeyObject;
  publicKey: CryptoKey;
  spki: string;
  record: PublicKeyRecord;
}

/** A real key pair for `alg`, registered (through parsePublicKey) under `kid`. */
export async function makeKey(alg: string, kid?: string): Promise<TestKey> {
  const options = alg === 'ES512' ? { extractable: true } : { extractable: true, modulusLength: 2048 };
  const { privateKey, publicKey } = await generateKeyPair(alg, options);
  const spki = await exportSPKI(publicKey);
  return { alg, privateKey, publicKey, spki, record: parsePublicKey({ pem: spki, kid }) };
}

/** Claims of a token for `alice` valid for ten minutes around NOW. */
export function claims(extra: JWTPayload = {}): JWTPayload {
  return { sub: 'alice', iat: NOW_S, exp: NOW_S + 600, ...extra };
}

/** A properly signed JWT; `header` adds to (or replaces) `{ alg, kid }`. */
export function sign(key: TestKey, payload: JWTPayload = claims(), header: Record<string, unknown> = {}) {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.record.kid, ...header })
    .sign(key.privateKey);
}

/** Signs the exact bytes of `json`, so the payload may hold duplicate members or not be an object. */
export function signRaw(key: TestKey, json: string, header: Record<string, unknown> = {}) {
  return new CompactSign(new TextEncoder().encode(json))
    .setProtectedHeader({ alg: key.alg, kid: key.record.kid, ...header })
    .sign(key.privateKey);
}

/** base64url of a JSON value (or of raw text), for tokens built by hand. */
export function encodePart(value: unknown): string {
  return base64url.encode(typeof value === 'string' ? value : JSON.stringify(value));
}

/** A verifier over the given keys with SETTINGS, optionally changed. */
export function verifierFor(
  keys: TestKey[],
  settings: Partial<VerificationSettings> = {},
  cacheSize?: number,
) {
  return createTokenVerifier({
    keys: keys.map((key) => key.record),
    settings: { ...SETTINGS, ...settings },
    cacheSize,
  });
}

/** The same key pair used with another algorithm of its family (a CryptoKey is bound to one). */
export function withAlg(key: TestKey, alg: string): TestKey {
  const privateKey =
    key.privateKey instanceof KeyObject
      ? key.privateKey
      : KeyObject.from(key.privateKey as webcrypto.CryptoKey);
  return { ...key, alg, privateKey };
}

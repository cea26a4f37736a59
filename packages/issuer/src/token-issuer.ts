import { LIMITS } from '@signet/protocol';
import type { SigningAlgorithm } from '@signet/verifier';
import { type JWTPayload, SignJWT } from 'jose';
import { parseDuration } from './duration.ts';
import { type PrivateKeyInput, signingKey } from './signing-key.ts';

export interface TokenIssuerOptions {
  /** The app's private key: PEM text, a private JWK, or a KeyObject. */
  privateKey: PrivateKeyInput;
  /** Defaults to the key's natural algorithm (RS256 for RSA, ES256/384/512 by curve, EdDSA). */
  alg?: string;
  /** Put in the header so the server picks the key at once; without it, every key is tried. */
  kid?: string;
  /** Lifetime: seconds or `90s`, `15m`, `2h`, `1d`. Default 15 minutes. */
  ttl?: number | string;
  /** Becomes `iss`; set it when the app's Signet settings require an issuer. */
  issuer?: string;
  /** Becomes `aud`; set it when the app's Signet settings require an audience. */
  audience?: string | string[];
  /** Injectable clock in milliseconds, for tests. */
  now?: () => number;
}

export interface IssuedToken {
  token: string;
  /** When the token stops being valid (its `exp`), ISO-8601. */
  expiresAt: string;
}

export interface TokenIssuer {
  readonly alg: SigningAlgorithm;
  readonly kid: string | undefined;
  readonly ttlSeconds: number;
  /** A signed token for `userId` with `sub`, `iat`, `exp` (and `iss` / `aud` when set). */
  issue(userId: string, extraClaims?: Record<string, unknown>): Promise<string>;
  /** The same token with its expiry, as a token endpoint answers. */
  issueWithExpiry(userId: string, extraClaims?: Record<string, unknown>): Promise<IssuedToken>;
}

/** Claims the issuer sets itself; extra claims may not override them. */
const OWN_CLAIMS = ['sub', 'iat', 'exp', 'iss', 'aud'];

/**
 * Makes the token signer for an app's backend. Every option is checked here, once: a public
 * key, a symmetric secret, a weak RSA key, an algorithm that does not fit the key or a bad
 * ttl throws, so a misconfigured backend fails at start-up rather than on a user's request.
 *
 * @example
 * const issuer = createTokenIssuer({ privateKey: readFileSync('private.pem', 'utf8'), ttl: '15m' });
 * const token = await issuer.issue('user-42');
 * signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'user-42' });
 */
export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { key, alg } = signingKey(options.privateKey, options.alg);
  const ttlSeconds = parseDuration(options.ttl ?? 900, 'ttl');
  const kid = optionalText(options.kid, 'kid', LIMITS.maxIdLength);
  const iss = optionalText(options.issuer, 'issuer', 1024);
  const aud = checkAudience(options.audience);
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('now must be a function returning milliseconds');
  const header = { alg, typ: 'JWT', ...(kid !== undefined && { kid }) };

  const issueWithExpiry = async (userId: string, extraClaims: Record<string, unknown> = {}) => {
    if (typeof userId !== 'string' || userId === '' || userId.length > LIMITS.maxIdLength) {
      throw new TypeError(`userId must be a string of 1 to ${LIMITS.maxIdLength} characters`);
    }
    checkExtraClaims(extraClaims);
    const iat = Math.floor(now() / 1000);
    const exp = iat + ttlSeconds;
    const payload: JWTPayload = {
      ...extraClaims,
      sub: userId,
      iat,
      exp,
      ...(iss !== undefined && { iss }),
      ...(aud !== undefined && { aud }),
    };
    const token = await new SignJWT(payload).setProtectedHeader(header).sign(key);
    if (Buffer.byteLength(token) > LIMITS.maxTokenBytes) {
      throw new RangeError(
        `The token is ${Buffer.byteLength(token)} bytes; the server accepts at most ${LIMITS.maxTokenBytes}: send fewer extra claims`,
      );
    }
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  };
  return Object.freeze({
    alg,
    kid,
    ttlSeconds,
    issueWithExpiry,
    issue: async (userId: string, extraClaims?: Record<string, unknown>) =>
      (await issueWithExpiry(userId, extraClaims)).token,
  });
}

function optionalText(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw new TypeError(`${name} must be a string of 1 to ${max} characters`);
  }
  return value;
}

function checkAudience(value: unknown): string | string[] | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new TypeError('audience must not be an empty array');
    return value.map((one) => optionalText(one, 'audience', 1024) as string);
  }
  return optionalText(value, 'audience', 1024);
}

function checkExtraClaims(claims: unknown): void {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new TypeError('extraClaims must be an object');
  }
  const own = OWN_CLAIMS.find((claim) => Object.hasOwn(claims, claim));
  if (own) throw new TypeError(`extraClaims may not set "${own}"; the issuer sets it`);
}

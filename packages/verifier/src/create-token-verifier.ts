import { type ClaimRules, checkClaims, LIMITS } from '@signet/protocol';
import type { KeyProvider } from './key-provider.ts';
import { KeyRing, type VerificationKey } from './key-ring.ts';
import { decodePayload } from './payload.ts';
import { checkSignature } from './signature.ts';
import { type InspectedToken, inspectToken } from './token-header.ts';
import { checkSettings, type VerificationSettings } from './verification-settings.ts';
import { type VerifiedToken, VerifiedTokenCache } from './verified-token-cache.ts';
import {
  type FailureContext,
  failureContext,
  type JwtFailure,
  jwtFailure,
  NO_CONTEXT,
  type VerifyResult,
} from './verify-result.ts';

export interface TokenVerifierOptions {
  /** The app's registered public keys. */
  keys: VerificationKey[];
  settings: VerificationSettings;
  /**
   * The app's identity provider's keys (SPEC §4.1), looked up after the registered keys. Its
   * keys are checked by exactly the rules of registered ones.
   */
  provider?: KeyProvider;
  /** Verified tokens remembered (LRU); 0 turns the cache off. Default 10 000. */
  cacheSize?: number;
}

export interface VerifyCheck {
  /** The batch's `user.id`; the token's `sub` (or the `userIdClaim`) must equal it exactly. */
  expectedSubject?: string;
  /** The server's clock; defaults to the current time. */
  now?: Date;
}

export interface TokenVerifier {
  /** Never throws: every outcome, even an unexpected fault, is a {@link VerifyResult}. */
  verify(token: string | undefined, check?: VerifyCheck): Promise<VerifyResult>;
}

const DEFAULT_CACHE_SIZE = 10_000;

/**
 * Makes the verifier for one app's keys and settings (SPEC §4). Options are checked here, once,
 * and a bad one throws a TypeError. Make a new verifier whenever the keys or settings change:
 * its cache of verified tokens lives and dies with it.
 *
 * One engine gives every verdict: jose checks the signature (WebCrypto), `checkClaims` (from
 * @signet/protocol, shared with the SDK) judges the claims, and the cache remembers tokens that
 * passed, so a token an SDK sends with every batch costs one signature check in its life.
 *
 * @example
 * const verifier = createTokenVerifier({ keys: [record], settings });
 * const result = await verifier.verify(token, { expectedSubject: 'alice' });
 * if (!result.ok) console.log(result.code, result.reason);
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
    throw new TypeError('cacheSize must be a non-negative integer');
  }
  const verifier: Verifier = {
    ring: new KeyRing(options.keys),
    settings: checkSettings(options.settings),
    cache: cacheSize > 0 ? new VerifiedTokenCache(cacheSize) : null,
    provider: options.provider ?? null,
    providerRings: new WeakMap(),
  };
  return {
    async verify(token, check = {}) {
      try {
        return await verifyToken(verifier, token, check);
      } catch {
        // Only a bug lands here; the answer still says no, and never carries the error's text.
        return jwtFailure('unknown', 'The token could not be verified', safeContext(token));
      }
    },
  };
}

/** What verifying needs, fixed when the verifier is made. */
interface Verifier {
  ring: KeyRing;
  settings: VerificationSettings;
  cache: VerifiedTokenCache | null;
  provider: KeyProvider | null;
  /** One ring per fetched set, so a set's keys are imported once. */
  providerRings: WeakMap<readonly VerificationKey[], KeyRing>;
}

/** A key that may verify the token, with the ring that imports it. */
interface Candidate {
  key: VerificationKey;
  ring: KeyRing;
  source: 'registered' | 'provider';
}

async function verifyToken(verifier: Verifier, token: unknown, check: VerifyCheck): Promise<VerifyResult> {
  if (typeof token !== 'string' || token === '')
    return jwtFailure('missing', 'No token was sent', NO_CONTEXT);
  const now = check.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    return jwtFailure('unknown', 'The verifier was given an invalid clock', NO_CONTEXT);
  }
  // Seconds since the epoch, rounded down as jose rounds them.
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const { ring, cache, settings, provider } = verifier;

  // Looked up before any decoding: only a token that passed every check is remembered, and a
  // token over the size limit never was.
  const cached = token.length <= LIMITS.maxTokenBytes ? cache?.recall(token) : undefined;
  // A token whose provider key has left the set (rotated out, revoked) is checked again.
  if (cached && cached.keySource === 'provider' && !provider?.holds(cached.kid)) cache?.forget(token);
  else if (cached) return answerFor(verifier, token, cached, nowSeconds, check, true);

  const inspected = inspectToken(token);
  if ('ok' in inspected) return inspected;
  const claimed = (kid?: string): FailureContext => ({
    ...failureContext(inspected.header, token, settings.userIdClaim),
    ...(kid !== undefined && { kid }),
  });
  if (ring.size === 0 && provider === null) {
    return jwtFailure('no_keys_registered', 'The app has no registered public keys', claimed());
  }
  const candidates = await candidateKeys(verifier, inspected, claimed);
  if (!Array.isArray(candidates)) return candidates;

  for (const { key, ring: keyRing, source } of candidates) {
    const signature = await checkSignature(token, await keyRing.cryptoKey(key, inspected.alg), inspected.alg);
    // Without a kid several keys may fit: only when none verifies is the signature wrong.
    if (signature.ok === false && signature.reason === 'signature_invalid') continue;
    if (signature.ok === false) return jwtFailure(signature.reason, signature.message, claimed(key.kid));
    const verdict = checkClaims(decodePayload(signature.payload), tokenRules(settings, nowSeconds));
    if (!verdict.ok) return jwtFailure(verdict.reason, verdict.message, claimed(key.kid));
    const verified = {
      kid: key.kid,
      keySource: source,
      subject: verdict.subject,
      expiresAt: verdict.expiresAt,
    };
    // Remembered before the subject check: that check depends on the request, not the token.
    cache?.remember(token, verified, nowSeconds);
    return answerFor(verifier, token, verified, nowSeconds, check, false);
  }
  return jwtFailure('signature_invalid', "The signature does not match any of the app's keys", claimed());
}

/** The rules a token is held to whoever presents it: everything but the subject. */
function tokenRules(settings: VerificationSettings, nowSeconds: number): ClaimRules {
  return { ...settings, nowSeconds };
}

/**
 * The answer for one request with a token known to be genuine: its expiry against this
 * request's clock and its subject against this batch's user, by the same rules as above
 * (audience, issuer and lifetime depend on the token alone and were judged when it was
 * verified; a cached token's remaining lifetime only shrinks).
 */
function answerFor(
  verifier: Verifier,
  token: string,
  verified: VerifiedToken,
  nowSeconds: number,
  check: VerifyCheck,
  cached: boolean,
): VerifyResult {
  const verdict = checkClaims(
    { sub: verified.subject, exp: verified.expiresAt },
    {
      nowSeconds,
      clockToleranceSeconds: verifier.settings.clockToleranceSeconds,
      audience: null,
      issuer: null,
      maxTokenLifetimeSeconds: null,
      // The subject was read from the user-id claim when the token was verified.
      ...(check.expectedSubject !== undefined && { expectedSubject: check.expectedSubject }),
    },
  );
  if (!verdict.ok) {
    if (verdict.reason === 'expired') verifier.cache?.forget(token);
    return jwtFailure(verdict.reason, verdict.message, { kid: verified.kid, subject: verified.subject });
  }
  return { ok: true, ...verified, cached };
}

/**
 * The key named by `kid` (the registered keys first, then the provider's set, fetched again
 * once when it lacks the kid), or without a `kid` every key of either that allows `alg`.
 */
async function candidateKeys(
  verifier: Verifier,
  { header, alg }: InspectedToken,
  claimed: () => FailureContext,
): Promise<Candidate[] | JwtFailure> {
  const { ring, provider } = verifier;
  const registered = (key: VerificationKey): Candidate => ({ key, ring, source: 'registered' });
  const kid: unknown = header.kid;
  if (kid === undefined) {
    const keys = ring.withAlgorithm(alg).map(registered);
    const set = provider ? await provider.current() : undefined;
    if (set) {
      const providerRing = ringOf(verifier, set);
      for (const key of providerRing.withAlgorithm(alg))
        keys.push({ key, ring: providerRing, source: 'provider' });
    }
    if (keys.length > 0) return keys;
    if (set === null) return unavailable(claimed);
    return jwtFailure('key_not_found', `No key of the app verifies ${alg}`, claimed());
  }
  if (typeof kid !== 'string') {
    return jwtFailure('key_not_found', 'The token\'s "kid" is not a string', claimed());
  }
  let found: Candidate | undefined;
  const own = ring.byKid(kid);
  if (own) found = registered(own);
  else if (provider) {
    let set = await provider.current();
    let key = set ? ringOf(verifier, set).byKid(kid) : undefined;
    // An unknown kid may be a key the provider has just rotated in: one more look, rate-limited
    // by the provider so a flood of invented kids cannot turn into a flood of fetches.
    if (!key) {
      set = await provider.refreshForUnknownKid();
      key = set ? ringOf(verifier, set).byKid(kid) : undefined;
    }
    if (set === null) return unavailable(claimed);
    if (set && key) found = { key, ring: ringOf(verifier, set), source: 'provider' };
  }
  if (!found) {
    return jwtFailure('key_not_found', `No key of the app has the kid "${kid.slice(0, 64)}"`, claimed());
  }
  if (!found.key.algorithms.includes(alg)) {
    return jwtFailure(
      'algorithm_not_allowed',
      `Key "${found.key.kid}" verifies ${found.key.algorithms.join(', ')}, not ${alg}`,
      claimed(),
    );
  }
  return [found];
}

function unavailable(claimed: () => FailureContext): JwtFailure {
  return jwtFailure(
    'jwks_unavailable',
    "The identity provider's keys could not be fetched; the token was not judged",
    claimed(),
  );
}

/** The ring of one fetched set, made (and its keys checked) the first time the set is seen. */
function ringOf(verifier: Verifier, set: readonly VerificationKey[]): KeyRing {
  let ring = verifier.providerRings.get(set);
  if (!ring) {
    ring = new KeyRing(set);
    verifier.providerRings.set(set, ring);
  }
  return ring;
}

function safeContext(token: unknown): FailureContext {
  try {
    const small = typeof token === 'string' && Buffer.byteLength(token) <= LIMITS.maxTokenBytes;
    return small ? failureContext(null, token) : NO_CONTEXT;
  } catch {
    return NO_CONTEXT;
  }
}

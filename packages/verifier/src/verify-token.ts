import { LIMITS } from '@signet/protocol';
import { type JWTPayload, jwtVerify } from 'jose';
import type { SigningAlgorithm } from './algorithms.ts';
import { translateJoseError } from './jose-error.ts';
import { KeyRing, keyAlgorithmId, type VerificationKey } from './key-ring.ts';
import { createThisThreadCheck, type ThisThreadCheck } from './this-thread-check.ts';
import { createThreadPoolCheck, type ThreadPoolCheck } from './thread-pool-check.ts';
import { inspectToken } from './token-header.ts';
import { checkSettings, type VerificationSettings } from './verification-settings.ts';
import { chooseThread, enteredThreadPool, leftThreadPool, type VerifyOn } from './verification-thread.ts';
import { VerifiedTokenCache } from './verified-token-cache.ts';
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
  /** Verified tokens remembered (LRU); 0 turns the cache off. Default 10 000. */
  cacheSize?: number;
  /** Where signatures are checked (see {@link chooseThread}); tests pin one side. Default `auto`. */
  verifyOn?: VerifyOn;
}

export interface VerifyCheck {
  /** The batch's `user.id`; the token's `sub` must equal it exactly. */
  expectedSubject?: string;
  /** The server's clock; defaults to the current time. */
  now?: Date;
}

export interface TokenVerifier {
  /** Never throws: every outcome, even an unexpected fault, is a {@link VerifyResult}. */
  verify(token: string | undefined, check?: VerifyCheck): Promise<VerifyResult>;
}

const DEFAULT_CACHE_SIZE = 10_000;
const VERIFY_ON: readonly VerifyOn[] = ['auto', 'this-thread', 'thread-pool'];

/** What one token verification needs, fixed when the verifier is made. */
interface Verifier {
  ring: KeyRing;
  settings: VerificationSettings;
  cache: VerifiedTokenCache | null;
  verifyOn: VerifyOn;
  /** Made the first time a key is needed for an algorithm on each side, then reused. */
  thisThreadChecks: Map<string, ThisThreadCheck>;
  threadPoolChecks: Map<string, ThreadPoolCheck>;
}

/**
 * Makes the verifier for one app's keys and settings (SPEC §4). Options are checked here, once,
 * and a bad one throws a TypeError. Make a new verifier whenever the keys or settings change:
 * its cache of verified tokens lives and dies with it.
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
  const verifyOn = options.verifyOn ?? 'auto';
  if (!VERIFY_ON.includes(verifyOn)) throw new TypeError(`verifyOn must be one of ${VERIFY_ON.join(', ')}`);
  const verifier: Verifier = {
    ring: new KeyRing(options.keys),
    settings: checkSettings(options.settings),
    cache: cacheSize > 0 ? new VerifiedTokenCache(cacheSize) : null,
    verifyOn,
    thisThreadChecks: new Map(),
    threadPoolChecks: new Map(),
  };
  return {
    verify(token, check = {}) {
      try {
        // Settled at once for a cached token or one checked on this thread: no promise chain.
        // A promise comes from onThreadPool, which never rejects.
        const answer = verifyToken(verifier, token, check);
        return answer instanceof Promise ? answer : Promise.resolve(answer);
      } catch {
        return Promise.resolve(unexpectedFailure(token));
      }
    },
  };
}

/** Only a bug lands here; the failure still says no, and never carries the error's text. */
function unexpectedFailure(token: unknown): JwtFailure {
  return jwtFailure('unknown', 'The token could not be verified', safeContext(token));
}

function verifyToken(
  verifier: Verifier,
  token: unknown,
  check: VerifyCheck,
): VerifyResult | Promise<VerifyResult> {
  if (typeof token !== 'string' || token === '') {
    return jwtFailure('missing', 'No token was sent', NO_CONTEXT);
  }
  const now = check.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    return jwtFailure('unknown', 'The verifier was given an invalid clock', NO_CONTEXT);
  }
  const { ring, cache, settings } = verifier;
  const nowSeconds = epochSeconds(now);

  // Looked up before any decoding: only a token that passed every check is remembered, so the
  // same string needs no second inspection (the length test keeps huge strings from being hashed).
  const cached = token.length <= LIMITS.maxTokenBytes ? cache?.recall(token) : undefined;
  if (cached) {
    const tolerance = settings.clockToleranceSeconds;
    const hitContext = { kid: cached.kid, subject: cached.subject };
    if (cached.expiresAt <= nowSeconds - tolerance) {
      cache?.forget(token);
      return jwtFailure('expired', 'The token has expired ("exp" is in the past)', hitContext);
    }
    if (!subjectMatches(cached.subject, check.expectedSubject)) return subjectMismatch(hitContext);
    return { ok: true, kid: cached.kid, subject: cached.subject, expiresAt: cached.expiresAt, cached: true };
  }

  const inspected = inspectToken(token);
  if ('ok' in inspected) return inspected;
  const { header, alg } = inspected;
  const context = () => failureContext(header, token);

  if (ring.size === 0) {
    return jwtFailure('no_keys_registered', 'The app has no registered public keys', context());
  }
  const candidates = candidateKeys(ring, header.kid as unknown, alg, context);
  if (!Array.isArray(candidates)) return candidates;

  const onThisThread = chooseThread(verifier.verifyOn) === 'this-thread';
  if (onThisThread) {
    for (const key of candidates) {
      const payload = thisThreadCheck(verifier, key, alg)(token, nowSeconds);
      if (payload) return checkClaims(verifier, token, payload, nowSeconds, check, key.kid, context);
    }
    // Not a yes: jose gives the verdict, with its reason.
  }
  return onThreadPool(verifier, token, alg, candidates, now, check, context, onThisThread);
}

/**
 * Rules 8–10 with the signature checked on libuv's thread pool: node:crypto's check for a token
 * that arrived with others, then jose (WebCrypto) for anything but a yes. Never rejects.
 */
async function onThreadPool(
  verifier: Verifier,
  token: string,
  alg: SigningAlgorithm,
  candidates: VerificationKey[],
  now: Date,
  check: VerifyCheck,
  context: () => FailureContext,
  thisThreadSaidNo: boolean,
): Promise<VerifyResult> {
  enteredThreadPool();
  try {
    if (!thisThreadSaidNo) {
      const nowSeconds = epochSeconds(now);
      for (const key of candidates) {
        const payload = await threadPoolCheck(verifier, key, alg)(token, nowSeconds);
        if (payload) return checkClaims(verifier, token, payload, nowSeconds, check, key.kid, context);
      }
    }
    return await verifyWithJose(verifier, token, alg, candidates, now, check, context);
  } catch {
    return unexpectedFailure(token);
  } finally {
    leftThreadPool();
  }
}

/** Rules 8–10 with jose on WebCrypto: the signature is checked on the thread pool. */
async function verifyWithJose(
  verifier: Verifier,
  token: string,
  alg: SigningAlgorithm,
  candidates: VerificationKey[],
  now: Date,
  check: VerifyCheck,
  context: () => FailureContext,
): Promise<VerifyResult> {
  const { ring, settings } = verifier;
  for (const key of candidates) {
    let payload: JWTPayload;
    try {
      const cryptoKey = await ring.cryptoKey(key, alg);
      ({ payload } = await jwtVerify(token, cryptoKey, {
        algorithms: [alg],
        // Reversed by jose before checking, so a token lacking both is told about `exp` first.
        // joseAcceptsClaims holds the fast paths to these same rules: change both together.
        requiredClaims: ['sub', 'exp'],
        clockTolerance: settings.clockToleranceSeconds,
        audience: settings.audience ?? undefined,
        issuer: settings.issuer ?? undefined,
        currentDate: now,
      }));
    } catch (error) {
      const { reason, message } = translateJoseError(error);
      // Without a kid, several keys may fit; only when none verifies is the signature wrong.
      if (reason === 'signature_invalid') continue;
      return jwtFailure(reason, message, { ...context(), kid: key.kid });
    }
    return checkClaims(verifier, token, payload, epochSeconds(now), check, key.kid, context);
  }
  return jwtFailure('signature_invalid', 'The signature does not match any registered key', context());
}

function thisThreadCheck(verifier: Verifier, key: VerificationKey, alg: SigningAlgorithm): ThisThreadCheck {
  return madeOnce(verifier.thisThreadChecks, key, alg, () =>
    createThisThreadCheck(key, alg, verifier.settings),
  );
}

function threadPoolCheck(verifier: Verifier, key: VerificationKey, alg: SigningAlgorithm): ThreadPoolCheck {
  return madeOnce(verifier.threadPoolChecks, key, alg, () =>
    createThreadPoolCheck(key, alg, verifier.settings),
  );
}

/** A check is made the first time a (key, algorithm) pair needs it, then reused. */
function madeOnce<T>(made: Map<string, T>, key: VerificationKey, alg: SigningAlgorithm, make: () => T): T {
  const id = keyAlgorithmId(key, alg);
  let check = made.get(id);
  if (check === undefined) {
    check = make();
    made.set(id, check);
  }
  return check;
}

/** Rule 8: the key named by `kid`, or without one every key that allows `alg`. */
function candidateKeys(
  ring: KeyRing,
  kid: unknown,
  alg: SigningAlgorithm,
  context: () => FailureContext,
): VerificationKey[] | JwtFailure {
  if (kid === undefined) {
    const keys = ring.withAlgorithm(alg);
    if (keys.length === 0) return jwtFailure('key_not_found', `No registered key verifies ${alg}`, context());
    return keys;
  }
  if (typeof kid !== 'string') {
    return jwtFailure('key_not_found', 'The token\'s "kid" is not a string', context());
  }
  const key = ring.byKid(kid);
  if (!key) {
    return jwtFailure('key_not_found', `No registered key has the kid "${kid.slice(0, 64)}"`, context());
  }
  if (!key.algorithms.includes(alg)) {
    return jwtFailure(
      'algorithm_not_allowed',
      `Key "${key.kid}" verifies ${key.algorithms.join(', ')}, not ${alg}`,
      context(),
    );
  }
  return [key];
}

/** Rule 10: what the libraries leave to us, on the very payload object that was verified. */
function checkClaims(
  verifier: Verifier,
  token: string,
  payload: JWTPayload,
  now: number,
  check: VerifyCheck,
  kid: string,
  claimed: () => FailureContext,
): VerifyResult {
  const { settings, cache } = verifier;
  // Built only for a failure: decoding the claims again for display is wasted on a success.
  const context = () => ({ ...claimed(), kid });
  const { exp, iat, nbf, sub } = payload;
  // Numbers already (jose's rule, also applied on this thread), but JSON's 1e400 is Infinity.
  for (const [claim, value] of [
    ['exp', exp],
    ['iat', iat],
    ['nbf', nbf],
  ] as const) {
    if (value !== undefined && !Number.isFinite(value)) {
      return jwtFailure('claim_invalid', `The "${claim}" claim must be a finite number`, context());
    }
  }
  if (typeof exp !== 'number') {
    return jwtFailure('exp_missing', 'The token has no "exp" claim; it must expire', context());
  }
  // jose checks iat only when given maxTokenAge, which would also make iat mandatory.
  if (iat !== undefined && iat > now + settings.clockToleranceSeconds) {
    return jwtFailure(
      'issued_in_future',
      'The token was issued in the future ("iat" is ahead of the clock)',
      context(),
    );
  }
  const maxLifetime = settings.maxTokenLifetimeSeconds;
  if (maxLifetime !== null) {
    if (iat === undefined) {
      return jwtFailure(
        'claim_invalid',
        'The app limits token lifetime, so the token needs an "iat" claim',
        context(),
      );
    }
    if (exp - iat > maxLifetime) {
      return jwtFailure('lifetime_too_long', `The token lives longer than ${maxLifetime} seconds`, context());
    }
  }
  if (typeof sub !== 'string' || sub === '') {
    return jwtFailure('claim_invalid', 'The "sub" claim must be a non-empty string', context());
  }
  const verified = { kid, subject: sub, expiresAt: exp };
  // Remembered before the subject check: that check depends on the request, not the token.
  cache?.remember(token, verified, now);
  if (!subjectMatches(sub, check.expectedSubject)) return subjectMismatch(context());
  return { ok: true, ...verified, cached: false };
}

/** Rule 10's last step, also applied to cache hits: exact, case-sensitive equality. */
function subjectMatches(subject: string, expected: string | undefined): boolean {
  return expected === undefined || subject === expected;
}

function subjectMismatch(context: FailureContext): JwtFailure {
  return jwtFailure(
    'subject_mismatch',
    'The token was issued for another user ("sub" differs from user.id)',
    context,
  );
}

/** Seconds since the epoch, rounded down exactly as jose does. */
function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function safeContext(token: unknown): FailureContext {
  try {
    const small = typeof token === 'string' && Buffer.byteLength(token) <= LIMITS.maxTokenBytes;
    return small ? failureContext(null, token) : NO_CONTEXT;
  } catch {
    return NO_CONTEXT;
  }
}

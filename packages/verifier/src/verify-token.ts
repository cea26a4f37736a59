import { type JwtErrorReason, LIMITS } from '@signet/protocol';
import { type JWTPayload, jwtVerify } from 'jose';
import { ChecksPerKey } from './checks-per-key.ts';
import { translateJoseError } from './jose-error.ts';
import { KeyRing, type VerificationKey } from './key-ring.ts';
import { createThisThreadCheck, type ThisThreadCheck } from './this-thread-check.ts';
import { createThreadPoolCheck, type ThreadPoolCheck } from './thread-pool-check.ts';
import { type InspectedToken, inspectToken } from './token-header.ts';
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
  thisThreadChecks: ChecksPerKey<ThisThreadCheck>;
  threadPoolChecks: ChecksPerKey<ThreadPoolCheck>;
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
  const settings = checkSettings(options.settings);
  const verifier: Verifier = {
    ring: new KeyRing(options.keys),
    settings,
    cache: cacheSize > 0 ? new VerifiedTokenCache(cacheSize) : null,
    verifyOn,
    thisThreadChecks: new ChecksPerKey(createThisThreadCheck, settings),
    threadPoolChecks: new ChecksPerKey(createThreadPoolCheck, settings),
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
  // same string needs no second inspection (a token over the size limit was never remembered).
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
  const attempt: Attempt = { token, ...inspected, now, nowSeconds, check };

  if (ring.size === 0) {
    return jwtFailure('no_keys_registered', 'The app has no registered public keys', claimedBy(attempt));
  }
  const candidates = candidateKeys(ring, attempt);
  if (!Array.isArray(candidates)) return candidates;

  const onThisThread = chooseThread(verifier.verifyOn) === 'this-thread';
  if (onThisThread) {
    for (const key of candidates) {
      const payload = verifier.thisThreadChecks.for(key, attempt.alg)(token, nowSeconds);
      if (payload) return checkClaims(verifier, attempt, payload, key.kid);
    }
    // Not a yes: jose gives the verdict, with its reason.
  }
  return onThreadPool(verifier, attempt, candidates, onThisThread);
}

/** One token on its way through the rules, with the request's clock and subject. */
interface Attempt extends InspectedToken {
  token: string;
  now: Date;
  nowSeconds: number;
  check: VerifyCheck;
}

/** What a failure shows of the token: its kid and subject as claimed, never verified. */
function claimedBy({ header, token }: Attempt): FailureContext {
  return failureContext(header, token);
}

/**
 * Rules 8–10 with the signature checked on libuv's thread pool: node:crypto's check for a token
 * that arrived with others, then jose (WebCrypto) for anything but a yes. Never rejects.
 */
async function onThreadPool(
  verifier: Verifier,
  attempt: Attempt,
  candidates: VerificationKey[],
  thisThreadSaidNo: boolean,
): Promise<VerifyResult> {
  enteredThreadPool();
  try {
    if (!thisThreadSaidNo) {
      for (const key of candidates) {
        const payload = await verifier.threadPoolChecks.for(key, attempt.alg)(
          attempt.token,
          attempt.nowSeconds,
        );
        if (payload) return checkClaims(verifier, attempt, payload, key.kid);
      }
    }
    return await verifyWithJose(verifier, attempt, candidates);
  } catch {
    return unexpectedFailure(attempt.token);
  } finally {
    leftThreadPool();
  }
}

/** Rules 8–10 with jose on WebCrypto: the signature is checked on the thread pool. */
async function verifyWithJose(
  verifier: Verifier,
  attempt: Attempt,
  candidates: VerificationKey[],
): Promise<VerifyResult> {
  const { ring, settings } = verifier;
  const { token, alg, now } = attempt;
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
      return jwtFailure(reason, message, { ...claimedBy(attempt), kid: key.kid });
    }
    return checkClaims(verifier, attempt, payload, key.kid);
  }
  return jwtFailure(
    'signature_invalid',
    'The signature does not match any registered key',
    claimedBy(attempt),
  );
}

/** Rule 8: the key named by `kid`, or without one every key that allows `alg`. */
function candidateKeys(ring: KeyRing, attempt: Attempt): VerificationKey[] | JwtFailure {
  const { alg } = attempt;
  const kid: unknown = attempt.header.kid;
  if (kid === undefined) {
    const keys = ring.withAlgorithm(alg);
    if (keys.length > 0) return keys;
    return jwtFailure('key_not_found', `No registered key verifies ${alg}`, claimedBy(attempt));
  }
  if (typeof kid !== 'string') {
    return jwtFailure('key_not_found', 'The token\'s "kid" is not a string', claimedBy(attempt));
  }
  const key = ring.byKid(kid);
  if (!key) {
    return jwtFailure(
      'key_not_found',
      `No registered key has the kid "${kid.slice(0, 64)}"`,
      claimedBy(attempt),
    );
  }
  if (!key.algorithms.includes(alg)) {
    return jwtFailure(
      'algorithm_not_allowed',
      `Key "${key.kid}" verifies ${key.algorithms.join(', ')}, not ${alg}`,
      claimedBy(attempt),
    );
  }
  return [key];
}

/** Rule 10: what the libraries leave to us, on the very payload object that was verified. */
function checkClaims(verifier: Verifier, attempt: Attempt, payload: JWTPayload, kid: string): VerifyResult {
  const { settings, cache } = verifier;
  const refusal = claimsRefusal(payload, attempt.nowSeconds, settings);
  // The context is built only for a failure: decoding the claims again is wasted on a success.
  if (refusal) return jwtFailure(refusal.reason, refusal.message, { ...claimedBy(attempt), kid });
  const verified = { kid, subject: payload.sub as string, expiresAt: payload.exp as number };
  // Remembered before the subject check: that check depends on the request, not the token.
  cache?.remember(attempt.token, verified, attempt.nowSeconds);
  if (!subjectMatches(verified.subject, attempt.check.expectedSubject)) {
    return subjectMismatch({ ...claimedBy(attempt), kid });
  }
  return { ok: true, ...verified, cached: false };
}

const TIME_CLAIMS = ['exp', 'iat', 'nbf'] as const;

/** Why Signet refuses claims that jose accepted, or null when it does not. */
function claimsRefusal(
  payload: JWTPayload,
  now: number,
  settings: VerificationSettings,
): { reason: JwtErrorReason; message: string } | null {
  // Numbers already (jose's rule, also applied by the fast paths), but JSON's 1e400 is Infinity.
  for (const claim of TIME_CLAIMS) {
    const value = payload[claim];
    if (value !== undefined && !Number.isFinite(value)) {
      return { reason: 'claim_invalid', message: `The "${claim}" claim must be a finite number` };
    }
  }
  const { exp, iat, sub } = payload;
  if (typeof exp !== 'number') {
    return { reason: 'exp_missing', message: 'The token has no "exp" claim; it must expire' };
  }
  // jose checks iat only when given maxTokenAge, which would also make iat mandatory.
  if (iat !== undefined && iat > now + settings.clockToleranceSeconds) {
    return {
      reason: 'issued_in_future',
      message: 'The token was issued in the future ("iat" is ahead of the clock)',
    };
  }
  // Without iat the lifetime still left is what counts: a token that never expires is refused.
  const maxLifetime = settings.maxTokenLifetimeSeconds;
  if (maxLifetime !== null && exp - (iat ?? now) > maxLifetime) {
    return { reason: 'lifetime_too_long', message: `The token lives longer than ${maxLifetime} seconds` };
  }
  if (typeof sub !== 'string' || sub === '') {
    return { reason: 'claim_invalid', message: 'The "sub" claim must be a non-empty string' };
  }
  return null;
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

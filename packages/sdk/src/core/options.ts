import { SignetError } from './authentication-error.ts';
import type { BeforeSend } from './before-send.ts';
import type { Clock, Locks, StorageAdapter, Transport } from './runtime.ts';

/** Options of `Signet.init` (SPEC §6). */
export interface SignetOptions {
  /** The app's id, as created in the admin API. */
  appId: string;
  /** Base URL of the collection server, e.g. `https://collect.example.com`. */
  endpoint: string;
  /** `{ authorization: { jwtEnabled: true } }` attaches the user's token to identified batches. */
  networkRequest?: { authorization?: { jwtEnabled?: boolean } };
  /** Asked for a fresh token when the SDK has none, 60 s before `exp`, and once after a failure. */
  tokenProvider?: (userIdentifier: string) => Promise<string | null | undefined> | string | null | undefined;
  /**
   * The token claim that holds the user id (default `sub`), as the app's `userIdClaim` on the
   * server: for identity-provider tokens whose `sub` is not the app's user id.
   */
  userIdClaim?: string;
  /** Send as soon as this many events are queued (default 20). */
  flushAt?: number;
  /** Send queued events at least this often (default 10 000 ms). */
  flushIntervalMs?: number;
  /** Most events kept; the oldest are dropped first beyond it (default 1000). */
  maxQueueSize?: number;
  /** A request with no full answer after this long is abandoned and retried (default 30 000 ms). */
  requestTimeoutMs?: number;
  /** A session ends after this much inactivity (default 30). */
  sessionTimeoutMinutes?: number;
  /**
   * Sees each event as it is made, before it is stored: return it (changed or not) to keep it,
   * or null to drop it (counted in `stats().dropped`). A hook that throws drops nothing: it is
   * logged and the event goes as it was.
   */
  beforeSend?: BeforeSend;
  /** Where events, the session and tokens persist; the runtime picks a default. */
  storage?: StorageAdapter;
  /** Log decisions (never whole tokens). */
  debug?: boolean;
  logger?: (message: string) => void;
  /** Injectable for tests and unusual hosts. */
  transport?: Transport;
  clock?: Clock;
  locks?: Locks;
  random?: () => number;
}

export interface ResolvedOptions {
  appId: string;
  /** The batch URL, built once. */
  url: string;
  jwtEnabled: boolean;
  tokenProvider: SignetOptions['tokenProvider'];
  /** Undefined: `sub`. */
  userIdClaim: string | undefined;
  beforeSend: BeforeSend | undefined;
  flushAt: number;
  flushIntervalMs: number;
  maxQueueSize: number;
  sessionTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * Checks the options once, at creation, and fills in defaults. `caller` names the call in the
 * error (`Signet.init`, `SignetBackend.init`).
 */
export function resolveOptions(options: SignetOptions, caller = 'Signet.init'): ResolvedOptions {
  const positiveInteger = (name: string, value: number | undefined, fallback: number, max: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new SignetError(`${caller}: ${name} must be an integer from 1 to ${max}, got ${value}`);
    }
    return value;
  };
  if (typeof options?.appId !== 'string' || options.appId === '') {
    throw new SignetError(`${caller}: appId is required`);
  }
  if (!/^https?:\/\/[^/]/.test(options.endpoint ?? '')) {
    throw new SignetError(`${caller}: endpoint must be an http(s) URL, got ${options.endpoint}`);
  }
  if (options.tokenProvider !== undefined && typeof options.tokenProvider !== 'function') {
    throw new SignetError(`${caller}: tokenProvider must be a function`);
  }
  for (const name of ['beforeSend', 'logger'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new SignetError(`${caller}: ${name} must be a function`);
    }
  }
  return {
    appId: options.appId,
    url: `${options.endpoint.replace(/\/+$/, '')}/v1/apps/${encodeURIComponent(options.appId)}/batch`,
    jwtEnabled: options.networkRequest?.authorization?.jwtEnabled === true,
    tokenProvider: options.tokenProvider,
    userIdClaim: options.userIdClaim,
    beforeSend: options.beforeSend,
    flushAt: positiveInteger('flushAt', options.flushAt, 20, 500),
    flushIntervalMs: positiveInteger('flushIntervalMs', options.flushIntervalMs, 10_000, 3_600_000),
    maxQueueSize: positiveInteger('maxQueueSize', options.maxQueueSize, 1000, 100_000),
    requestTimeoutMs: positiveInteger('requestTimeoutMs', options.requestTimeoutMs, 30_000, 600_000),
    sessionTimeoutMs:
      positiveInteger('sessionTimeoutMinutes', options.sessionTimeoutMinutes, 30, 10_080) * 60_000,
  };
}

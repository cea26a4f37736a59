import type { AuthOutcome, JsonValue, JwtSettings } from '@signet/protocol';
import type { PublicJwk } from '@signet/verifier';

/*
 * The one storage interface. Routes and the app registry talk only to this; SQLite and
 * PostgreSQL implement it. Every method either completes or throws; a backend that cannot
 * reach its database throws StorageUnavailableError, which the HTTP layer answers with 503.
 */

export interface AppRow {
  id: string;
  name: string;
  jwt: JwtSettings;
  createdAt: number;
  /** Moves on every change to the app's settings or keys; instances compare it to drop caches. */
  updatedAt: number;
}

export interface KeyRow {
  kid: string;
  label: string | null;
  type: string;
  algorithms: string[];
  jwk: PublicJwk;
  fingerprint: string;
  createdAt: number;
  lastUsedAt: number | null;
  useCount: number;
}

export interface EventToStore {
  id: string;
  type: 'track' | 'attributes' | 'alias';
  name: string | null;
  sessionId: string | null;
  /** The event as sent (known fields only), serialised once by the caller. */
  body: string;
  /** For `attributes` events: merged into the profile when the event is new. */
  attributes?: Record<string, JsonValue>;
  /** For `alias` events: the anonymous id linked to the batch's user when the event is new. */
  aliasOf?: string;
}

export interface OutcomeToCount {
  outcome: AuthOutcome;
  code: string | null;
  reason: string | null;
}

export interface FailureToKeep {
  mode: string;
  code: string;
  reason: string;
  kid: string | null;
  subject: string | null;
  userId: string | null;
  sdkName: string | null;
  sdkVersion: string | null;
}

export interface BatchToStore {
  appId: string;
  batchId: string;
  receivedAt: number;
  userId: string | null;
  anonymousId: string | null;
  sdkName: string | null;
  sdkVersion: string | null;
  /** true verified, false checked and failed (optional mode), null not checked. */
  verified: boolean | null;
  events: EventToStore[];
  outcome: OutcomeToCount;
  /** The key that verified the token: its use count and last-used time move. */
  keyUsed: string | null;
  /** Kept for the dashboard when the check failed in optional mode. */
  failure: FailureToKeep | null;
}

export interface RejectionToRecord {
  appId: string;
  at: number;
  events: number;
  outcome: OutcomeToCount;
  failure: FailureToKeep;
}

export interface StoredEventRow {
  body: string;
  userId: string | null;
  anonymousId: string | null;
  receivedAt: number;
  verified: boolean | null;
}

export interface UserRow {
  userId: string;
  /** Merged from verified batches only. */
  attributes: Record<string, JsonValue>;
  /** Merged from unverified or unchecked batches: shown apart, never part of `attributes`. */
  unverifiedAttributes: Record<string, JsonValue>;
  firstSeen: number;
  lastSeen: number;
}

export interface OutcomeRow {
  hour: number;
  outcome: AuthOutcome;
  code: string | null;
  reason: string | null;
  batches: number;
  events: number;
}

export interface FailureRow extends FailureToKeep {
  at: number;
}

/** Batches and events of one app with one outcome, summed over a window. */
export interface AppActivityRow {
  appId: string;
  outcome: AuthOutcome;
  batches: number;
  events: number;
}

export interface MinuteCountRow {
  /** Start of the minute, ms. */
  minute: number;
  events: number;
}

export interface SdkVersionRow {
  name: string | null;
  version: string | null;
  events: number;
  lastSeen: number;
}

export type AddKeyResult = 'added' | 'limit' | 'exists' | 'no_app';
export type RemoveKeyResult = 'removed' | 'not_found' | 'last_key';
export type UpdateJwtResult = AppRow | 'no_app' | 'no_keys';

export interface Store {
  /** Brings the schema up to date; safe to call on every start. */
  migrate(): Promise<void>;
  /** Cheap round trip used by /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /**
   * Calls `onChange(appId)` when another instance changes an app's settings or keys; returns a
   * function that stops listening. A single-process backend never calls it.
   */
  watchChanges(onChange: (appId: string) => void): Promise<() => Promise<void>>;
  /** Every app's `updatedAt`: the periodic check behind `watchChanges`. */
  appVersions(): Promise<Map<string, number>>;

  getSetting(key: string): Promise<string | null>;
  /** Sets `key` unless it exists; returns the value now stored (first writer wins). */
  putSettingIfAbsent(key: string, value: string): Promise<string>;

  createApp(app: AppRow): Promise<void>;
  listApps(): Promise<AppRow[]>;
  getApp(appId: string): Promise<AppRow | null>;
  /** Refuses `required` while the app has no key, atomically with the key count. */
  updateJwtSettings(appId: string, jwt: JwtSettings, now: number): Promise<UpdateJwtResult>;

  listKeys(appId: string): Promise<KeyRow[]>;
  /** Adds a key unless the app already has `maxKeys` or one with the same kid. */
  addKey(appId: string, key: KeyRow, maxKeys: number): Promise<AddKeyResult>;
  /** Removes a key, refusing the last one while the app's mode is `required`. */
  removeKey(appId: string, kid: string, now: number): Promise<RemoveKeyResult>;

  /**
   * Stores a batch atomically: all new events or none, plus profile, aliases and counters.
   * An event is new unless the same sender (`senderOf`) already stored its id.
   */
  storeBatch(batch: BatchToStore): Promise<{ accepted: number; duplicates: number }>;
  /** Counts a rejected batch and keeps its failure; stores no event. */
  recordRejection(rejection: RejectionToRecord): Promise<void>;

  listEvents(appId: string, query: { userId?: string; limit: number }): Promise<StoredEventRow[]>;
  getUser(appId: string, userId: string): Promise<UserRow | null>;
  authStats(appId: string, sinceHour: number): Promise<OutcomeRow[]>;
  /** The newest failures, optionally of one JWT error code only. */
  authFailures(appId: string, limit: number, code?: string): Promise<FailureRow[]>;

  /** Every app's outcome totals from `sinceHour` on (for the dashboard's app list). */
  activity(sinceHour: number): Promise<AppActivityRow[]>;
  /** Stored events per minute from `since` (ms) on; minutes without events are absent. */
  eventsPerMinute(appId: string, since: number): Promise<MinuteCountRow[]>;
  /** The SDK name/version pairs that sent stored events from `since` (ms) on, most events first. */
  sdkVersions(appId: string, since: number): Promise<SdkVersionRow[]>;

  // Dashboard sessions (SPEC §5): a record per session, so logging out on one instance ends it
  // on all. `idHash` is the SHA-256 (hex) of the cookie's random part; the cookie is never stored.
  /** Records a session that lasts until `expiresAt` (ms). */
  createAdminSession(idHash: string, createdAt: number, expiresAt: number): Promise<void>;
  /** True when the session is recorded and its expiry is after `now`. */
  adminSessionActive(idHash: string, now: number): Promise<boolean>;
  /** Ends a session; an unknown one is no error. */
  deleteAdminSession(idHash: string): Promise<void>;
  /** Deletes the sessions expired at `now`; returns how many. */
  purgeExpiredAdminSessions(now: number): Promise<number>;
}

/** The database cannot be reached or cannot write now; the request may be retried. */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}

import type { JwtSettings } from '@signet/protocol';
import type { PublicJwk } from '@signet/verifier';

export interface AppRow {
  id: string;
  name: string;
  jwt: JwtSettings;
  createdAt: number;
  /** Moves on every change to the app's settings or keys; instances compare it to drop caches. */
  updatedAt: number;
  /** Days an event is kept after it was received; null keeps events forever. */
  retentionDays: number | null;
}

/** An app as created: without a retention, its events are kept forever. */
export type NewApp = Omit<AppRow, 'retentionDays'> & { retentionDays?: number | null };

/** What `PATCH /admin/v1/apps/:appId` may change; an omitted field keeps its value. */
export interface AppChanges {
  name?: string;
  retentionDays?: number | null;
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

/** What was left of a deleted app, counted as it was purged. */
export interface PurgedRows {
  events: number;
  profiles: number;
  aliases: number;
  failures: number;
  outcomes: number;
}

export type AddKeyResult = 'added' | 'limit' | 'exists' | 'no_app';
export type RemoveKeyResult = 'removed' | 'not_found' | 'last_key';
export type UpdateJwtResult = AppRow | 'no_app' | 'no_keys';

/**
 * What the admin API manages and ingestion looks up: settings, apps, their keys, the notice that
 * an app changed, and dashboard sessions.
 *
 * @example
 * await registry.createApp({ id: 'app_1', name: 'Shop', jwt, createdAt: now, updatedAt: now });
 * await registry.addKey('app_1', key, LIMITS.maxKeysPerApp); // 'added'
 */
export interface RegistryStore {
  getSetting(key: string): Promise<string | null>;
  /** Sets `key` unless it exists; returns the value now stored (first writer wins). */
  putSettingIfAbsent(key: string, value: string): Promise<string>;

  createApp(app: NewApp): Promise<void>;
  listApps(): Promise<AppRow[]>;
  getApp(appId: string): Promise<AppRow | null>;
  /** Renames the app or changes its retention; null when the app does not exist. */
  updateApp(appId: string, changes: AppChanges, now: number): Promise<AppRow | null>;
  /**
   * Deletes the app and its keys at once (its ingestion URL answers 404 on every instance), then
   * purges everything else of it in chunks; null when the app does not exist.
   */
  deleteApp(appId: string, now: number): Promise<PurgedRows | null>;
  /** Purges again what deleted apps may have left (a purge cut short, a batch racing the delete). */
  purgeDeletedApps(): Promise<number>;
  /**
   * Refuses `required` while the app has neither a key nor an identity provider (`jwksUrl` or
   * discovery), atomically with the key count.
   */
  updateJwtSettings(appId: string, jwt: JwtSettings, now: number): Promise<UpdateJwtResult>;

  listKeys(appId: string): Promise<KeyRow[]>;
  /** Adds a key unless the app already has `maxKeys` or one with the same kid. */
  addKey(appId: string, key: KeyRow, maxKeys: number): Promise<AddKeyResult>;
  /** Removes a key, refusing the last one while the app's mode is `required`. */
  removeKey(appId: string, kid: string, now: number): Promise<RemoveKeyResult>;

  /**
   * Calls `onChange(appId)` when another instance changes an app's settings or keys; returns a
   * function that stops listening. A single-process backend never calls it.
   */
  watchChanges(onChange: (appId: string) => void): Promise<() => Promise<void>>;
  /** Every app's `updatedAt`: the periodic check behind `watchChanges`. */
  appVersions(): Promise<Map<string, number>>;

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

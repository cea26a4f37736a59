import type { Generated } from 'kysely';

/*
 * The tables, as Kysely sees them. Times are integer milliseconds since the epoch on every
 * backend: they sort, compare and bucket the same way in SQLite and PostgreSQL.
 */

export interface AppsTable {
  id: string;
  name: string;
  jwt_mode: string;
  audience: string | null;
  issuer: string | null;
  clock_tolerance_seconds: number;
  max_token_lifetime_seconds: number;
  created_at: number;
  updated_at: number;
  /** Days an event is kept after it was received; null keeps events forever (migration 004). */
  retention_days: number | null;
  /** The identity provider's JWKS URL; null: none (migration 005). */
  jwks_url: string | null;
  /** 1: the JWKS URL comes from OpenID discovery on `issuer`. */
  jwks_discovery: number;
  /** The claim compared with the batch's user.id; `sub` by default. */
  user_id_claim: string;
}

export interface AppKeysTable {
  app_id: string;
  kid: string;
  label: string | null;
  type: string;
  /** JSON array of JWS algorithm names. */
  algorithms: string;
  /** JSON of the public JWK. */
  jwk: string;
  fingerprint: string;
  created_at: number;
  last_used_at: number | null;
  use_count: number;
}

/**
 * One row per stored batch (migration 006): what is the same for all of its events, so each
 * event row carries only its own fields and the user, verified and time filters of the events
 * API read batch indexes, written once per batch instead of once per event.
 */
export interface BatchesTable {
  /** Its events' seqs are `seq * EVENT_SEQS_PER_BATCH + position` (event-row.ts). */
  seq: number;
  app_id: string;
  batch_id: string;
  user_id: string | null;
  anonymous_id: string | null;
  /**
   * Who sent the batch, as duplicate detection sees it: `verified:<userId>`, `claimed:<userId>`
   * (unverified or not checked) or `anonymous:<anonymousId>`. Event ids are unique per sender.
   */
  sender: string;
  sdk_name: string | null;
  sdk_version: string | null;
  /** 1 verified, 0 unverified, null anonymous or not checked. */
  verified: number | null;
  /** The kid of the key that verified the batch's token; null when none did. */
  kid: string | null;
  received_at: number;
  /** How many of its events were stored (new, not duplicates). */
  events: number;
}

export interface EventsTable {
  /** Its batch's seq × EVENT_SEQS_PER_BATCH + its position in the batch: unique, and in order. */
  seq: number;
  app_id: string;
  id: string;
  type: string;
  name: string | null;
  session_id: string | null;
  /** The batch's sender: the scope of the event's id. */
  sender: string;
  /** The batch's, so the name filter reads one index in (received_at, seq) order. */
  received_at: number;
  /** The event as sent (known fields only), JSON. */
  body: string;
}

export interface UsersTable {
  app_id: string;
  user_id: string;
  /** JSON object of the attributes merged from verified batches only. */
  attributes: string;
  /** JSON object of the attributes merged from unverified or unchecked batches, kept apart. */
  unverified_attributes: string;
  first_seen: number;
  last_seen: number;
}

export interface AliasesTable {
  app_id: string;
  anonymous_id: string;
  user_id: string;
  created_at: number;
}

export interface AuthOutcomesTable {
  app_id: string;
  /** Start of the hour, ms. */
  hour: number;
  outcome: string;
  /** '' when the outcome has no error code, so the primary key needs no NULLs. */
  code: string;
  reason: string;
  batches: number;
  events: number;
}

export interface AuthFailuresTable {
  id: Generated<number>;
  app_id: string;
  at: number;
  mode: string;
  code: string;
  reason: string;
  kid: string | null;
  subject: string | null;
  user_id: string | null;
  sdk_name: string | null;
  sdk_version: string | null;
}

export interface AdminSessionsTable {
  /** SHA-256 (hex) of the session cookie's random part: the cookie itself is never stored. */
  id_hash: string;
  created_at: number;
  expires_at: number;
}

export interface AdminAuditTable {
  id: Generated<number>;
  at: number;
  action: string;
  app_id: string | null;
  /** `token:<8 hex>` or `session:<8 hex>`: which credential, never the secret. */
  actor: string;
  client_ip: string | null;
  /** JSON of the settings before and after a change, and what else the entry says. */
  before: string | null;
  after: string | null;
  details: string | null;
}

/** Apps deleted whose rows may still be being purged. */
export interface DeletedAppsTable {
  app_id: string;
  deleted_at: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface Database {
  apps: AppsTable;
  app_keys: AppKeysTable;
  batches: BatchesTable;
  events: EventsTable;
  users: UsersTable;
  aliases: AliasesTable;
  auth_outcomes: AuthOutcomesTable;
  auth_failures: AuthFailuresTable;
  settings: SettingsTable;
  admin_sessions: AdminSessionsTable;
  admin_audit: AdminAuditTable;
  deleted_apps: DeletedAppsTable;
}

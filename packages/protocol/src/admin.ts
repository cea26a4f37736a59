import type { EventContext } from './batch.ts';
import type { JwtErrorCode } from './errors.ts';
import type { JsonObject, JsonValue } from './json.ts';

/** How an app treats tokens (SPEC §4). */
export type JwtMode = 'disabled' | 'optional' | 'required';
export const JWT_MODES: readonly JwtMode[] = ['disabled', 'optional', 'required'];

export interface JwtSettings {
  mode: JwtMode;
  audience: string | null;
  issuer: string | null;
  clockToleranceSeconds: number;
  /** Longest `exp − iat` (or `exp − now` without `iat`) accepted; default 30 days, at most 1 year. */
  maxTokenLifetimeSeconds: number;
  /** The identity provider's JWKS document (SPEC §4.1); null when none is named. */
  jwksUrl: string | null;
  /** True: the JWKS URL is the `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  discovery: boolean;
  /** The claim that must equal the batch's `user.id`; default `sub`. */
  userIdClaim: string;
}

/** Body of `PUT /admin/v1/apps/:appId/jwt`: `mode` plus any settings to change. */
export interface JwtSettingsUpdate {
  mode: JwtMode;
  audience?: string | null;
  issuer?: string | null;
  clockToleranceSeconds?: number;
  /** null sets the default (30 days). */
  maxTokenLifetimeSeconds?: number | null;
  /** https; `issuer` is required with it. null removes it. */
  jwksUrl?: string | null;
  /** Find the JWKS through OpenID discovery on `issuer`; not with `jwksUrl`. */
  discovery?: boolean;
  /** null sets the default (`sub`). */
  userIdClaim?: string | null;
}

/** Why the last fetch of an app's JWKS (or discovery document) failed. */
export type JwksFetchErrorKind =
  | 'address_refused'
  | 'not_https'
  | 'redirect_refused'
  | 'http_status'
  | 'too_large'
  | 'timeout'
  | 'network'
  | 'invalid_document'
  | 'discovery_failed';

/** One usable signing key of an app's fetched JWKS. */
export interface JwksKeyInfo {
  kid: string;
  /** The JWK's own `alg`, when it names one. */
  alg: string | null;
  /** `RSA 2048`, `EC P-256`, `Ed25519`… */
  type: string;
  /** The JWS algorithms a token may use with this key. */
  algorithms: string[];
  fetchedAt: string;
}

/** Answer of `GET /admin/v1/apps/:appId/jwks` and `POST …/jwks/refresh` (this instance's view). */
export interface JwksStatus {
  configured: boolean;
  source: 'url' | 'discovery' | null;
  /** The URL fetched: the configured one, or the `jwks_uri` discovery found (null before). */
  jwksUrl: string | null;
  keys: JwksKeyInfo[];
  /** Keys in the document that were skipped: `use: enc`, unsupported type or size, bad `alg`. */
  ignoredKeys: number;
  fetchedAt: string | null;
  /** When the cached set goes stale and the next token fetches it again. */
  nextRefreshAt: string | null;
  lastError: { at: string; kind: JwksFetchErrorKind; message: string } | null;
}

export interface AppInfo {
  id: string;
  name: string;
  jwt: JwtSettings;
  createdAt: string;
  /** Days an event is kept after it was received (1–3650); null keeps events forever. */
  retentionDays: number | null;
}

/** Body of `PATCH /admin/v1/apps/:appId`: any of the fields; an omitted one keeps its value. */
export interface AppUpdate {
  name?: string;
  /** 1–3650, or null to keep events forever. */
  retentionDays?: number | null;
}

/** What an audit entry records (SPEC §5): admin changes and admin logins. */
export type AuditAction =
  | 'app.created'
  | 'app.renamed'
  | 'app.retention_changed'
  | 'app.deleted'
  | 'key.added'
  | 'key.removed'
  | 'jwt.changed'
  | 'user.erased'
  | 'admin.login'
  | 'admin.login_failed'
  | 'admin.logout';

/** One entry of `GET /admin/v1/audit`. */
export interface AuditEntry {
  /** Opaque, increasing with each entry. */
  id: string;
  at: string;
  action: AuditAction;
  appId: string | null;
  /** Which credential: `token:<first 8 hex of its SHA-256>` or `session:<first 8 hex of its id hash>`. */
  actor: string;
  clientIp: string | null;
  /** Settings before and after a change; null when the action has none. */
  before: JsonObject | null;
  after: JsonObject | null;
  /** A key's kid and fingerprint, an erasure's counts, a failed login's reason; never a user's data. */
  details: JsonObject | null;
}

/** Body of `POST /admin/v1/apps/:appId/keys`: exactly one of `pem` or `jwk`. */
export interface KeyCreate {
  pem?: string;
  jwk?: JsonObject;
  kid?: string;
  label?: string;
}

export interface KeyInfo {
  kid: string;
  label: string | null;
  /** Human-readable key type: `RSA 2048`, `EC P-256`, `Ed25519`. */
  type: string;
  /** The JWS algorithms this key may verify. */
  algorithms: string[];
  /** SHA-256 of the key's SPKI encoding, hex. */
  fingerprint: string;
  createdAt: string;
  lastUsedAt: string | null;
  useCount: number;
}

/** An event as the admin API returns it: as sent, plus where it came from. */
export interface StoredEvent {
  id: string;
  type: 'track' | 'page' | 'attributes' | 'alias';
  /** A track event's name; a page event's, when it was given one. */
  name?: string;
  timestamp: string;
  sessionId?: string;
  properties?: JsonObject;
  attributes?: { [key: string]: JsonValue };
  anonymousId?: string;
  /** As the SDK sent it: library, locale, timezone, and in browsers the page, screen, user agent and campaign. */
  context?: EventContext;
  userId: string | null;
  receivedAt: string;
  /** true / false for identified users; null for anonymous data or mode `disabled`. */
  verified: boolean | null;
  /** The kid of the key that verified the token (registered or the identity provider's); null when none did. */
  kid: string | null;
}

export interface UserProfile {
  userId: string;
  /** Merged from verified batches only. */
  attributes: { [key: string]: JsonValue };
  /** Merged from batches whose token failed or was not checked: never part of `attributes`. */
  unverifiedAttributes: { [key: string]: JsonValue };
  firstSeen: string;
  lastSeen: string;
}

/** How one batch's authentication ended. */
export type AuthOutcome = 'verified' | 'unverified' | 'rejected' | 'skipped' | 'anonymous';

export interface AuthStatsRow {
  /** Start of the hour, ISO-8601. */
  hour: string;
  outcome: AuthOutcome;
  code: JwtErrorCode | null;
  reason: string | null;
  batches: number;
  events: number;
}

export interface AuthFailure {
  at: string;
  mode: JwtMode;
  code: JwtErrorCode;
  reason: string;
  kid: string | null;
  subject: string | null;
  userId: string | null;
  sdk: { name: string; version: string } | null;
}

import type {
  AppInfo,
  AuthFailure,
  JwtErrorCode,
  JwtMode,
  KeyInfo,
  StoredEvent,
  UserProfile,
} from '@signet/protocol';
import type { AppRow, FailureRow, KeyRow, StoredEventRow, UserRow } from './store/store.ts';

/* Store rows to the admin API's wire shapes: milliseconds become ISO-8601 text. */

const iso = (ms: number): string => new Date(ms).toISOString();

export function appToWire(app: AppRow): AppInfo {
  return {
    id: app.id,
    name: app.name,
    jwt: app.jwt,
    createdAt: iso(app.createdAt),
    retentionDays: app.retentionDays,
  };
}

export function keyToWire(key: KeyRow): KeyInfo {
  return {
    kid: key.kid,
    label: key.label,
    type: key.type,
    algorithms: key.algorithms,
    fingerprint: key.fingerprint,
    createdAt: iso(key.createdAt),
    lastUsedAt: key.lastUsedAt === null ? null : iso(key.lastUsedAt),
    useCount: key.useCount,
  };
}

export function eventToWire(row: StoredEventRow): StoredEvent {
  return {
    ...(JSON.parse(row.body) as Omit<StoredEvent, 'userId' | 'receivedAt' | 'verified' | 'kid'>),
    userId: row.userId,
    receivedAt: iso(row.receivedAt),
    verified: row.verified,
    kid: row.kid,
  };
}

export function userToWire(row: UserRow): UserProfile {
  return {
    userId: row.userId,
    attributes: row.attributes,
    unverifiedAttributes: row.unverifiedAttributes,
    firstSeen: iso(row.firstSeen),
    lastSeen: iso(row.lastSeen),
  };
}

export function failureToWire(row: FailureRow): AuthFailure {
  return {
    at: iso(row.at),
    mode: row.mode as JwtMode,
    code: row.code as JwtErrorCode,
    reason: row.reason,
    kid: row.kid,
    subject: row.subject,
    userId: row.userId,
    sdk: row.sdkName === null ? null : { name: row.sdkName, version: row.sdkVersion ?? '' },
  };
}

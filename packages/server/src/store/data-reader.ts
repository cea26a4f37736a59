import type { JsonValue } from '@signet/protocol';

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

/**
 * What was stored, as the admin API shows it: events newest first, and user profiles.
 *
 * @example
 * const newest = await reader.listEvents('app_1', { userId: 'alice', limit: 50 });
 */
export interface DataReader {
  listEvents(appId: string, query: { userId?: string; limit: number }): Promise<StoredEventRow[]>;
  getUser(appId: string, userId: string): Promise<UserRow | null>;
}

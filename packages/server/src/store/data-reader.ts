import type { JsonValue } from '@signet/protocol';

export interface StoredEventRow {
  /** Where the row sits in the (receivedAt, seq) order: what a cursor points at. */
  seq: number;
  body: string;
  userId: string | null;
  anonymousId: string | null;
  receivedAt: number;
  verified: boolean | null;
  /** The key that verified the batch's token, or null. */
  kid: string | null;
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

/** A place in the (receivedAt, seq) order of an app's events; `seq` is unique per row. */
export interface EventPosition {
  receivedAt: number;
  seq: number;
}

/** Which events to read, and from where. Every filter is optional; `from`/`to` bound receivedAt. */
export interface EventQuery {
  userId?: string;
  name?: string;
  verified?: boolean;
  /** Inclusive lower bound on receivedAt, ms. */
  from?: number;
  /** Exclusive upper bound on receivedAt, ms. */
  to?: number;
  limit: number;
  /** `newest` (the default) reads down from the newest event, `oldest` up from the oldest. */
  order?: 'newest' | 'oldest';
  /** Only events strictly past this position in the chosen order (keyset paging). */
  after?: EventPosition;
}

/**
 * What was stored, as the admin API shows it: events newest first, and user profiles.
 *
 * @example
 * const newest = await reader.listEvents('app_1', { userId: 'alice', limit: 50 });
 */
export interface DataReader {
  /** A page of events in (receivedAt, seq) order, along an index for each filter (migration 006). */
  listEvents(appId: string, query: EventQuery): Promise<StoredEventRow[]>;
  getUser(appId: string, userId: string): Promise<UserRow | null>;
}

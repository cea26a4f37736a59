import type { AuthOutcome, JsonValue } from '@signet/protocol';
import type { WrittenGroupListener } from './written-group.ts';

export interface EventToStore {
  id: string;
  /** `attributes` and `alias` events change more than the events table; others are stored as sent. */
  type: 'track' | 'page' | 'attributes' | 'alias';
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

/** How many of a batch's events were stored, and how many its sender had already stored. */
export interface StoredBatch {
  accepted: number;
  duplicates: number;
}

/**
 * What ingestion writes: batches and refused batches. Each backend implements it once, as a
 * group-commit writer (concurrent calls share a transaction; one failing call fails alone).
 *
 * @example
 * const { accepted, duplicates } = await writer.storeBatch(batch);
 */
export interface IngestionWriter {
  /**
   * Stores a batch atomically: all new events or none, plus profile, aliases and counters.
   * An event is new unless the same sender (`senderOf`) already stored its id.
   */
  storeBatch(batch: BatchToStore): Promise<StoredBatch>;
  /** Counts a rejected batch and keeps its failure; stores no event. */
  recordRejection(rejection: RejectionToRecord): Promise<void>;
  /**
   * Calls `listener` after each group transaction with its size and duration (for /metrics);
   * the function returned stops it.
   */
  onGroupWritten(listener: WrittenGroupListener): () => void;
}

import type { JsonValue } from '@signet/protocol';
import type {
  BatchToStore,
  EventToStore,
  FailureToKeep,
  OutcomeToCount,
  RejectionToRecord,
} from './ingestion-writer.ts';

/* The rules of storing a batch that do not depend on the backend, shared by every writer. */

const HOUR_MS = 3_600_000;

/**
 * One call to an ingestion writer, as its group-commit queue holds it: a batch to store, or a
 * refused batch to count (both count an outcome and may keep a failure).
 */
export type IngestionRecord = { batch: BatchToStore } | { rejection: RejectionToRecord };

/** What every record counts: the outcome of its batch, how many events it carried, its failure. */
export function countedOf(record: IngestionRecord): {
  appId: string;
  at: number;
  outcome: OutcomeToCount;
  events: number;
  failure: FailureToKeep | null;
} {
  if ('rejection' in record) return record.rejection;
  const { batch } = record;
  return {
    appId: batch.appId,
    at: batch.receivedAt,
    outcome: batch.outcome,
    events: batch.events.length,
    failure: batch.failure,
  };
}

/** A batch may repeat an id; the first occurrence is the one kept, as on a re-send. */
export function firstOccurrences(events: EventToStore[]): EventToStore[] {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.id) && seen.add(e.id));
}

/**
 * Who sent a batch, as duplicate detection sees it: event ids are unique per sender, so an id
 * used by an anonymous, unverified or other user's batch never makes a verified event a
 * duplicate, and the answer reveals nothing about another sender's ids. Migration 002 computes
 * the same text in SQL for rows stored before it.
 */
export function senderOf(batch: Pick<BatchToStore, 'userId' | 'anonymousId' | 'verified'>): string {
  if (batch.userId === null) return `anonymous:${batch.anonymousId}`;
  return batch.verified === true ? `verified:${batch.userId}` : `claimed:${batch.userId}`;
}

/** Which profile column a batch's attributes merge into: only verified batches change `attributes`. */
export function attributesColumn(verified: boolean | null): 'attributes' | 'unverified_attributes' {
  return verified === true ? 'attributes' : 'unverified_attributes';
}

/**
 * The profile after new `attributes` events, applied in order: a shallow merge, the later value
 * of a key winning. Attributes stay JSON text end to end (a string may hold NUL or a lone
 * surrogate, which a database's JSON type could refuse), so merging happens here.
 */
export function mergeAttributes(storedJson: string, fresh: EventToStore[]): string {
  // A null-prototype object: attribute keys such as "__proto__" stay plain data.
  const attributes: Record<string, JsonValue> = Object.assign(Object.create(null), JSON.parse(storedJson));
  for (const e of fresh) {
    if (!e.attributes) continue;
    for (const [k, v] of Object.entries(e.attributes)) attributes[k] = v;
  }
  return JSON.stringify(attributes);
}

/** The start of the hour `at` falls in: the bucket of the outcome counters. */
export function hourOf(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

/** Stored as 1 / 0 / NULL: verified, checked and failed, not checked. */
export function verifiedFlag(verified: boolean | null): number | null {
  return verified === null ? null : verified ? 1 : 0;
}

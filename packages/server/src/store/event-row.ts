import { LIMITS } from '@signet/protocol';
import type { BatchToStore, EventToStore } from './ingestion-writer.ts';

/*
 * The columns of a stored batch and its events, in one place for both writers: SQLite binds a
 * row's values to one `?` each, PostgreSQL reads them by position from a JSON array per row. A
 * new column is added here, in a migration and in schema.ts.
 */

/**
 * Seqs each batch owns: an event's seq is its batch's seq × this + its position in the batch, so
 * a batch's events are one range of the events' primary key (no index from batch to events) and
 * (received_at, seq) orders events by batch, then position, on every backend and instance.
 */
export const EVENT_SEQS_PER_BATCH = 1024;
if (LIMITS.maxEventsPerBatch > EVENT_SEQS_PER_BATCH) throw new Error('a batch would outgrow its event seqs');

/** The event seq of the event at `position` in the batch stored as `batchSeq`. */
export function eventSeq(batchSeq: number, position: number): number {
  return batchSeq * EVENT_SEQS_PER_BATCH + position;
}

/** The columns a writer fills for each stored batch (its seq first), in `batchRow`'s order. */
export const BATCH_COLUMNS = [
  'seq',
  'app_id',
  'batch_id',
  'user_id',
  'anonymous_id',
  'sender',
  'sdk_name',
  'sdk_version',
  'verified',
  'kid',
  'received_at',
  'events',
] as const;

export type BatchColumn = (typeof BATCH_COLUMNS)[number];

/** One batch's values, in BATCH_COLUMNS order. */
export type BatchRow = [
  seq: number,
  appId: string,
  batchId: string,
  userId: string | null,
  anonymousId: string | null,
  sender: string,
  sdkName: string | null,
  sdkVersion: string | null,
  verified: number | null,
  /** The key that verified the batch's token, or null. */
  kid: string | null,
  receivedAt: number,
  /** Events stored of it. */
  events: number,
];

/** The row of `batch`, stored as `seq` by `sender` with `events` of its events new. */
export function batchRow(
  seq: number,
  batch: BatchToStore,
  sender: string,
  verified: number | null,
  events: number,
): BatchRow {
  return [
    seq,
    batch.appId,
    batch.batchId,
    batch.userId,
    batch.anonymousId,
    sender,
    batch.sdkName,
    batch.sdkVersion,
    verified,
    batch.keyUsed,
    batch.receivedAt,
    events,
  ];
}

/** The columns a writer fills for each stored event, in the order of `eventRow`'s values. */
export const EVENT_COLUMNS = [
  'seq',
  'app_id',
  'id',
  'type',
  'name',
  'session_id',
  'sender',
  'received_at',
  'body',
] as const;

export type EventColumn = (typeof EVENT_COLUMNS)[number];

/** One event's values, in EVENT_COLUMNS order. */
export type EventRow = [
  seq: number,
  appId: string,
  id: string,
  type: string,
  name: string | null,
  sessionId: string | null,
  sender: string,
  receivedAt: number,
  body: string,
];

/** The row of `event`, at `seq`, sent in `batch` by `sender`. */
export function eventRow(seq: number, batch: BatchToStore, event: EventToStore, sender: string): EventRow {
  return [
    seq,
    batch.appId,
    event.id,
    event.type,
    event.name,
    event.sessionId,
    sender,
    batch.receivedAt,
    event.body,
  ];
}

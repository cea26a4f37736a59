import type { BatchToStore, EventToStore } from './ingestion-writer.ts';

/*
 * The columns of a stored event, in one place for both writers: SQLite binds `eventRow`'s values
 * to one `?` each, PostgreSQL reads them by position from a JSON array per event. A new column
 * is added here, in a migration and in schema.ts.
 */

/** The columns a writer fills for each stored event, in the order of `eventRow`'s values. */
export const EVENT_COLUMNS = [
  'app_id',
  'id',
  'type',
  'name',
  'user_id',
  'anonymous_id',
  'session_id',
  'batch_id',
  'sender',
  'sdk_name',
  'sdk_version',
  'verified',
  'received_at',
  'body',
  'kid',
] as const;

export type EventColumn = (typeof EVENT_COLUMNS)[number];

/** One event's values, in EVENT_COLUMNS order. */
export type EventRow = [
  appId: string,
  id: string,
  type: string,
  name: string | null,
  userId: string | null,
  anonymousId: string | null,
  sessionId: string | null,
  batchId: string,
  sender: string,
  sdkName: string | null,
  sdkVersion: string | null,
  verified: number | null,
  receivedAt: number,
  body: string,
  /** The key that verified the batch's token, or null. */
  kid: string | null,
];

/** The row of `event`, sent in `batch` by `sender`; `verified` as `verifiedFlag` stores it. */
export function eventRow(
  batch: BatchToStore,
  event: EventToStore,
  sender: string,
  verified: number | null,
): EventRow {
  return [
    batch.appId,
    event.id,
    event.type,
    event.name,
    batch.userId,
    batch.anonymousId,
    event.sessionId,
    batch.batchId,
    sender,
    batch.sdkName,
    batch.sdkVersion,
    verified,
    batch.receivedAt,
    event.body,
    batch.keyUsed,
  ];
}

import type { EventPosition } from './data-reader.ts';

/** What one chunk deleted, and where the next chunk of the same pass starts. */
export interface DeletedChunk {
  deleted: number;
  /** The newest (receivedAt, seq) deleted; null when nothing was. */
  last: EventPosition | null;
}

/**
 * What the retention deleter asks of the store: an app's oldest events removed a bounded chunk
 * at a time, so each statement holds its locks (SQLite's one writer, PostgreSQL's row locks and
 * WAL) only briefly and ingestion goes on between chunks.
 *
 * @example
 * let chunk = await store.deleteEventsBefore('app_1', cutoff, 5_000);
 * while (chunk.deleted === 5_000) chunk = await store.deleteEventsBefore('app_1', cutoff, 5_000, chunk.last);
 */
export interface EventRetention {
  /**
   * Deletes at most `limit` of the app's events received before `before` (ms), oldest first,
   * along the batches' (app_id, received_at, seq) index, starting after `after` when given: a
   * pass goes on from where its last chunk ended, so PostgreSQL's index scan does not walk again
   * over the entries of rows it deleted (dead until vacuum).
   */
  deleteEventsBefore(
    appId: string,
    before: number,
    limit: number,
    after?: EventPosition | null,
  ): Promise<DeletedChunk>;
}

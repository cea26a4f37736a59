/**
 * What the retention deleter asks of the store: an app's oldest events removed a bounded chunk
 * at a time, so each statement holds its locks (SQLite's one writer, PostgreSQL's row locks and
 * WAL) only briefly and ingestion goes on between chunks.
 *
 * @example
 * const deleted = await store.deleteEventsBefore('app_1', Date.now() - 30 * 86_400_000, 5_000);
 */
export interface EventRetention {
  /**
   * Deletes at most `limit` of the app's events received before `before` (ms), oldest first,
   * along the (app_id, received_at, seq) index; answers how many it deleted.
   */
  deleteEventsBefore(appId: string, before: number, limit: number): Promise<number>;
}

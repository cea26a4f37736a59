/**
 * What one group transaction of the ingestion writer took: the records (batches and refused
 * batches) that shared it, and how long it held the writer. Both backends write one group at a
 * time, so the sum of `seconds` over a second says how busy that single lane is: near 1, the
 * writer is the ceiling and requests wait for it while the event loop idles (BENCHMARKS.md).
 */
export interface WrittenGroup {
  records: number;
  /** From BEGIN (SQLite) or the group statement (PostgreSQL) to the end of its commit. */
  seconds: number;
  /**
   * The COMMIT alone: its WAL writes and, with synchronous=full, the fsync. Null on PostgreSQL,
   * whose group statement commits as part of its round trip.
   */
  commitSeconds: number | null;
}

export type WrittenGroupListener = (group: WrittenGroup) => void;

/** The listeners of a writer's groups; one that throws cannot stop the others or the writer. */
export class WrittenGroupListeners {
  private readonly listeners: WrittenGroupListener[] = [];

  /** Adds `listener`; the function returned removes it again. */
  add(listener: WrittenGroupListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  emit(group: WrittenGroup): void {
    for (const listener of this.listeners) {
      try {
        listener(group);
      } catch {
        // A metrics listener's failure is not the batch's: the batch was stored.
      }
    }
  }
}

import type pg from 'pg';
import type { IngestionRecord } from '../batch-rules.ts';
import type { StoredBatch } from '../ingestion-writer.ts';
import type { OutageTest } from '../storage-unavailable.ts';
import type { WrittenGroup } from '../written-group.ts';
import { GroupStatement } from './postgres-group-statement.ts';
import { mergeProfiles } from './postgres-profile-merge.ts';

interface Pending {
  record: IngestionRecord;
  resolve: (stored: StoredBatch) => void;
  reject: (error: unknown) => void;
}

/** SQLSTATE deadlock_detected: the loser of a lock cycle stored nothing and may try again. */
const DEADLOCK = '40P01';
const ATTEMPTS = 3;

/**
 * Group commit for PostgreSQL, the one path of every batch and rejection: while one group is
 * being written, arriving records wait and then go together in the next, so under load many
 * share one round trip, one commit (one WAL flush) and one update of each hot counter row; alone,
 * a record goes at once. Callers are answered only after the commit. A group whose batches carry
 * profile attributes runs in a transaction: the group statement, then the merge of the profiles
 * it locked. Should a group fail, each of its records is retried alone, so one batch's problem is
 * never another's; an outage fails the whole group at once, as retrying cannot help.
 *
 * @example
 * const writer = new PostgresBatchWriter(pool, isPostgresOutage);
 * const { accepted, duplicates } = await writer.write({ batch });
 */
export class PostgresBatchWriter {
  private queue: Pending[] = [];
  private running = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly isOutage: OutageTest,
    /** Told of each group once it is answered, stored or not. */
    private readonly written: (group: WrittenGroup) => void = () => {},
  ) {}

  write(record: IngestionRecord): Promise<StoredBatch> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      const started = performance.now();
      try {
        const results = await this.storeRetryingDeadlocks(group.map((p) => p.record));
        group.forEach((p, i) => {
          p.resolve(results[i] as StoredBatch);
        });
      } catch (error) {
        if (group.length === 1 || this.isOutage(error)) for (const p of group) p.reject(error);
        else await Promise.all(group.map((p) => this.storeAlone(p)));
      }
      const seconds = (performance.now() - started) / 1000;
      this.written({ records: group.length, seconds, commitSeconds: null });
    }
    this.running = false;
  }

  private storeAlone(p: Pending): Promise<void> {
    return this.storeRetryingDeadlocks([p.record]).then(
      ([stored]) => p.resolve(stored as StoredBatch),
      p.reject,
    );
  }

  private async storeRetryingDeadlocks(records: IngestionRecord[]): Promise<StoredBatch[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store(records);
      } catch (error) {
        if ((error as { code?: unknown }).code !== DEADLOCK || attempt === ATTEMPTS) throw error;
      }
    }
  }

  private async store(records: IngestionRecord[]): Promise<StoredBatch[]> {
    const statement = new GroupStatement(records);
    if (!statement.mergesProfiles) {
      const { rows } = await this.pool.query(statement.query);
      return statement.stored(rows);
    }
    return this.inTransaction(async (client) => {
      const { rows } = await client.query(statement.query);
      await mergeProfiles(client, statement.profileMerges(rows));
      return statement.stored(rows);
    });
  }

  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      // A connection that cannot even roll back is broken: released with the error, it is closed.
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (rollbackError: Error) => rollbackError,
      );
      client.release(broken);
      throw error;
    }
  }
}

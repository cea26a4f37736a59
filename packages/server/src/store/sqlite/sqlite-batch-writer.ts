import { LIMITS } from '@signet/protocol';
import type Database from 'better-sqlite3';
import {
  attributesColumn,
  countedOf,
  firstOccurrences,
  hourOf,
  type IngestionRecord,
  mergeAttributes,
  senderOf,
  verifiedFlag,
} from '../batch-rules.ts';
import { BATCH_COLUMNS, batchRow, EVENT_COLUMNS, eventRow, eventSeq } from '../event-row.ts';
import type { BatchToStore, StoredBatch } from '../ingestion-writer.ts';
import type { WrittenGroup } from '../written-group.ts';

interface Pending {
  record: IngestionRecord;
  resolve: (stored: StoredBatch) => void;
  reject: (error: unknown) => void;
}

type Outcome = StoredBatch | { error: unknown };

const NOTHING_STORED: StoredBatch = { accepted: 0, duplicates: 0 };

/**
 * Writes batches and rejections to SQLite with group commit: every record that arrives while a
 * commit is being prepared joins the same transaction (one that fails rolls back alone and
 * nothing of it stays). Callers are answered only after the COMMIT. Statements are prepared
 * once; better-sqlite3 runs them synchronously, so a whole group is written in one turn of the
 * event loop.
 *
 * @example
 * const writer = new SqliteBatchWriter(connection, (write) => db.connection().execute(async () => write()));
 * const { accepted, duplicates } = await writer.write({ batch });
 */
export class SqliteBatchWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private statements: Statements | undefined;
  /** Time spent in COMMIT by the group being written. */
  private commitMs = 0;

  constructor(
    private readonly connection: Database.Database,
    /** Runs `write` while no other transaction holds the connection (Kysely's connection lock). */
    private readonly exclusively: (write: () => void) => Promise<void>,
    /** Told of each group once it is committed or rolled back. */
    private readonly written: (group: WrittenGroup) => void = () => {},
  ) {}

  write(record: IngestionRecord): Promise<StoredBatch> {
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const group = this.queue;
    this.queue = [];
    this.scheduled = false;
    let results: Outcome[] = [];
    try {
      await this.exclusively(() => {
        const started = performance.now();
        this.commitMs = 0;
        this.statements ??= prepare(this.connection);
        // Optimistic: the group as one transaction. Only if a record fails is it all rolled back
        // and written again with a savepoint per record, so that the failing one rolls back
        // alone: savepoints are costly when every record pays for them (BENCHMARKS.md).
        results = this.writeTogether(this.statements, group) ?? this.writeIsolated(this.statements, group);
        this.written({
          records: group.length,
          seconds: (performance.now() - started) / 1000,
          commitSeconds: this.commitMs / 1000,
        });
      });
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    group.forEach((p, i) => {
      const r = results[i] as Outcome;
      if ('error' in r) p.reject(r.error);
      else p.resolve(r);
    });
  }

  /** The group in one transaction, or null (nothing kept) as soon as one record fails. */
  private writeTogether(s: Statements, group: Pending[]): Outcome[] | null {
    return this.transaction(s, (seqs) => {
      const results: Outcome[] = [];
      for (const { record } of group) {
        try {
          results.push(writeOne(s, record, seqs));
        } catch {
          s.rollback.run();
          return null;
        }
      }
      return results;
    });
  }

  /** The group in one transaction, each record in a savepoint: a failing one rolls back alone. */
  private writeIsolated(s: Statements, group: Pending[]): Outcome[] {
    return this.transaction(s, (seqs) =>
      group.map(({ record }): Outcome => {
        s.savepoint.run();
        try {
          const stored = writeOne(s, record, seqs);
          s.release.run();
          return stored;
        } catch (error) {
          s.rollbackTo.run();
          s.release.run();
          return { error };
        }
      }),
    );
  }

  /** BEGIN, `write`, then COMMIT unless `write` ended the transaction itself. */
  private transaction<T>(s: Statements, write: (seqs: BatchSeqs) => T): T {
    s.begin.run();
    try {
      // Read under the write lock: no other connection can take a batch seq until COMMIT.
      const result = write({ last: s.lastBatchSeq.get() as number });
      if (this.connection.inTransaction) {
        const committing = performance.now();
        s.commit.run();
        this.commitMs += performance.now() - committing;
      }
      return result;
    } catch (error) {
      if (this.connection.inTransaction) s.rollback.run();
      throw error;
    }
  }
}

type Statements = ReturnType<typeof prepare>;

/** The last batch seq taken in this transaction: batch rows are inserted after their events. */
interface BatchSeqs {
  last: number;
}

function prepare(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT batch'),
    release: db.prepare('RELEASE batch'),
    rollbackTo: db.prepare('ROLLBACK TO batch'),
    // AUTOINCREMENT's counter: a seq once used (then erased) is never given again.
    lastBatchSeq: db
      .prepare("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'batches'), 0)")
      .pluck(),
    insertBatch: db.prepare(
      `INSERT INTO batches (${BATCH_COLUMNS.join(', ')}) VALUES (${BATCH_COLUMNS.map(() => '?').join(', ')})`,
    ),
    insertEvent: db.prepare(
      `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (app_id, sender, id) DO NOTHING`,
    ),
    upsertUser: db.prepare(
      `INSERT INTO users (app_id, user_id, attributes, first_seen, last_seen) VALUES (?, ?, '{}', ?, ?)
       ON CONFLICT (app_id, user_id) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
    ),
    attributes: profileColumn(db, 'attributes'),
    unverified_attributes: profileColumn(db, 'unverified_attributes'),
    insertAlias: db.prepare(
      `INSERT INTO aliases (app_id, anonymous_id, user_id, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (app_id, anonymous_id, user_id) DO NOTHING`,
    ),
    useKey: db.prepare(
      'UPDATE app_keys SET use_count = use_count + 1, last_used_at = ? WHERE app_id = ? AND kid = ?',
    ),
    countOutcome: db.prepare(
      `INSERT INTO auth_outcomes (app_id, hour, outcome, code, reason, batches, events) VALUES (?, ?, ?, ?, ?, 1, ?)
       ON CONFLICT (app_id, hour, outcome, code, reason)
       DO UPDATE SET batches = batches + 1, events = events + excluded.events`,
    ),
    keepFailure: db.prepare(
      `INSERT INTO auth_failures (app_id, at, mode, code, reason, kid, subject, user_id, sdk_name, sdk_version)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    trimFailures: db.prepare(
      `DELETE FROM auth_failures WHERE app_id = ? AND id <= (
         SELECT id FROM auth_failures WHERE app_id = ? ORDER BY id DESC LIMIT 1 OFFSET ${LIMITS.maxFailuresKept})`,
    ),
  };
}

/** Reads and writes one of a profile's two attribute columns. */
function profileColumn(db: Database.Database, column: 'attributes' | 'unverified_attributes') {
  return {
    read: db.prepare(`SELECT ${column} FROM users WHERE app_id = ? AND user_id = ?`).pluck(),
    write: db.prepare(`UPDATE users SET ${column} = ? WHERE app_id = ? AND user_id = ?`),
  };
}

/** One record, inside the group's transaction: its events if a batch, then its counters. */
function writeOne(s: Statements, record: IngestionRecord, seqs: BatchSeqs): StoredBatch {
  const stored = 'batch' in record ? writeEvents(s, record.batch, seqs) : NOTHING_STORED;
  const { appId, at, outcome, events, failure: f } = countedOf(record);
  s.countOutcome.run(appId, hourOf(at), outcome.outcome, outcome.code ?? '', outcome.reason ?? '', events);
  if (f) {
    s.keepFailure.run(
      appId,
      at,
      f.mode,
      f.code,
      f.reason,
      f.kid,
      f.subject,
      f.userId,
      f.sdkName,
      f.sdkVersion,
    );
    s.trimFailures.run(appId, appId);
  }
  return stored;
}

/**
 * A batch's new events, its row when any was new (a re-sent batch leaves none), then what they
 * change: the profile, aliases, the key's use.
 */
function writeEvents(s: Statements, b: BatchToStore, seqs: BatchSeqs): StoredBatch {
  const sender = senderOf(b);
  const seq = seqs.last + 1;
  const fresh = firstOccurrences(b.events).filter(
    (e, position) => s.insertEvent.run(...eventRow(eventSeq(seq, position), b, e, sender)).changes === 1,
  );
  if (fresh.length > 0) {
    s.insertBatch.run(...batchRow(seq, b, sender, verifiedFlag(b.verified), fresh.length));
    seqs.last = seq;
  }
  if (b.userId !== null) {
    s.upsertUser.run(b.appId, b.userId, b.receivedAt, b.receivedAt);
    if (fresh.some((e) => e.attributes)) {
      const profile = s[attributesColumn(b.verified)];
      const stored = profile.read.get(b.appId, b.userId) as string;
      profile.write.run(mergeAttributes(stored, fresh), b.appId, b.userId);
    }
    for (const e of fresh) if (e.aliasOf) s.insertAlias.run(b.appId, e.aliasOf, b.userId, b.receivedAt);
  }
  if (b.keyUsed !== null) s.useKey.run(b.receivedAt, b.appId, b.keyUsed);
  return { accepted: fresh.length, duplicates: b.events.length - fresh.length };
}

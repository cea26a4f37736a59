import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { BatchToStore } from '../ingestion-writer.ts';
import { KyselyStore } from '../kysely-store.ts';
import type { Database as Schema } from '../schema.ts';
import { SqliteBatchWriter } from './sqlite-batch-writer.ts';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  filename: string;
  /** How long a write waits for another connection's lock before the request gets 503. */
  busyTimeoutMs?: number;
}

/*
 * SQLite error codes that mean "not now" rather than "bad request": locked by another
 * connection, disk full or failing, file unreadable. Anything else is a bug and stays a 500.
 */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|NOMEM|PROTOCOL|NOTADB|CORRUPT)/;

/** The default backend: one embedded SQLite file, in WAL mode. */
export class SqliteStore extends KyselyStore {
  private constructor(
    db: Kysely<Schema>,
    private readonly connection: Database.Database,
  ) {
    super(db, 'sqlite');
    this.writer = new SqliteBatchWriter(connection, (write) =>
      // Holding Kysely's connection means no Kysely transaction is open while the group writes.
      db.connection().execute(async () => write()),
    );
  }

  private readonly writer: SqliteBatchWriter;

  static open(options: SqliteStoreOptions): SqliteStore {
    if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
    const connection = new Database(options.filename);
    connection.pragma('journal_mode = WAL');
    // WAL + NORMAL survives a process crash; only an OS crash can lose the last commits.
    connection.pragma('synchronous = NORMAL');
    connection.pragma('foreign_keys = ON');
    connection.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: connection }) });
    return new SqliteStore(db, connection);
  }

  protected isUnavailable(error: unknown): boolean {
    if (!this.connection.open) return true;
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && UNAVAILABLE.test(code);
  }

  /** Batches go through the group-commit writer: same rules, a fraction of the cost per batch. */
  override storeBatch(batch: BatchToStore): Promise<{ accepted: number; duplicates: number }> {
    return this.guard(() => this.writer.write(batch));
  }

  async ping(): Promise<void> {
    await this.guard(() => sql`select 1`.execute(this.db));
  }
}

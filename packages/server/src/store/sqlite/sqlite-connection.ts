import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export interface SqliteConnectionOptions {
  /** A file path, or ':memory:'. */
  filename: string;
  /** How long a write waits for another connection's lock before it fails (503). */
  busyTimeoutMs?: number;
  /**
   * `full` (default): every COMMIT waits for the disk (fsync), so a batch answered 200 survives
   * power loss; group commit shares one fsync among every batch of a group. `normal`: WAL
   * writes reach the OS only, which survives a process crash but not an OS crash or power loss.
   */
  synchronous?: 'full' | 'normal';
}

/** A connection to the store's file with the store's settings: WAL, durability, foreign keys. */
export function openSqliteConnection(options: SqliteConnectionOptions): Database.Database {
  if (options.filename !== ':memory:') mkdirSync(dirname(options.filename), { recursive: true });
  const connection = new Database(options.filename);
  connection.pragma('journal_mode = WAL');
  connection.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  connection.pragma('foreign_keys = ON');
  connection.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  return connection;
}

import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface SqliteBackup {
  bytes: number;
  apps: number;
  events: number;
}

/**
 * A consistent copy of a live SQLite database in one file, taken with `VACUUM INTO` on a
 * read-only connection: it reads one snapshot (the WAL included) while the server goes on
 * writing, and the copy is compact and has no -wal file to forget. The copy is written beside
 * `out` under a temporary name, checked (`PRAGMA quick_check`) and only then renamed to `out`,
 * so a backup that failed half-way never looks like one that worked.
 *
 * @example
 * const { bytes, events } = backupSqlite('./signet.db', './backups/signet-2026-12-02.db');
 */
export function backupSqlite(
  filename: string,
  out: string,
  options: { busyTimeoutMs?: number } = {},
): SqliteBackup {
  const source = new Database(filename, { readonly: true, fileMustExist: true });
  const partial = `${out}.partial-${randomBytes(4).toString('hex')}`;
  try {
    source.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    source.prepare('VACUUM INTO ?').run(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    source.close();
  }
  try {
    const copy = new Database(partial, { readonly: true, fileMustExist: true });
    let counts: { apps: number; events: number };
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
      counts = copy
        .prepare('SELECT (SELECT count(*) FROM apps) AS apps, (SELECT count(*) FROM events) AS events')
        .get() as { apps: number; events: number };
    } finally {
      copy.close();
    }
    renameSync(partial, out);
    return { bytes: statSync(out).size, ...counts };
  } catch (error) {
    if (existsSync(partial)) rmSync(partial, { force: true });
    throw error;
  }
}

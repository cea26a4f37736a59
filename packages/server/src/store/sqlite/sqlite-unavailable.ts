import type Database from 'better-sqlite3';
import type { OutageTest } from '../storage-unavailable.ts';

/*
 * SQLite error codes that mean "not now" rather than "bad request": locked by another
 * connection, disk full or failing, file unreadable. Anything else is a bug and stays a 500.
 */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|NOMEM|PROTOCOL|NOTADB|CORRUPT)/;

/** Recognises the outage errors of `connection`; once it is closed, every error is one. */
export function sqliteOutageTest(connection: Database.Database): OutageTest {
  return (error) => {
    if (!connection.open) return true;
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && UNAVAILABLE.test(code);
  };
}

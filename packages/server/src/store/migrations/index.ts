import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import * as initial from './001-initial.ts';
import * as senderScope from './002-sender-scope.ts';

/** Every migration in order; each receives the dialect so one list serves both backends. */
const MIGRATIONS = { '001-initial': initial, '002-sender-scope': senderScope };

export function migrationProvider(dialect: DialectName): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(MIGRATIONS)) {
        out[name] = { up: (db: Kysely<unknown>) => m.up(db, dialect) };
      }
      return out;
    },
  };
}

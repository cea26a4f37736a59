import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { DialectName } from '../dialect-name.ts';
import * as initial from './001-initial.ts';
import * as senderScope from './002-sender-scope.ts';
import * as eventQueries from './003-event-queries.ts';
import * as governance from './004-governance.ts';
import * as identityProvider from './005-identity-provider.ts';
import * as batches from './006-batches.ts';

/** Every migration in order; each receives the dialect so one list serves both backends. */
const MIGRATIONS = {
  '001-initial': initial,
  '002-sender-scope': senderScope,
  '003-event-queries': eventQueries,
  '004-governance': governance,
  '005-identity-provider': identityProvider,
  '006-batches': batches,
};

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

/** Runs the migrations `db` has not run yet; safe to call on every start. */
export async function migrateToLatest<DB>(db: Kysely<DB>, dialect: DialectName): Promise<void> {
  const { error } = await new Migrator({ db, provider: migrationProvider(dialect) }).migrateToLatest();
  if (error) throw error;
}

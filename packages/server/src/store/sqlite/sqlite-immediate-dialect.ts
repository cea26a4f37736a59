import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/**
 * Kysely's SQLite dialect, but every transaction starts with BEGIN IMMEDIATE: it takes the write
 * lock first, waiting for it under busy_timeout. The writer thread commits on its own connection,
 * and a deferred transaction that read before that commit could not take the lock afterwards at
 * all (SQLITE_BUSY_SNAPSHOT, which no wait cures).
 */
export class SqliteImmediateDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateTransactionDriver(this.settings);
  }
}

class ImmediateTransactionDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { BatchToStore } from '../ingestion-writer.ts';
import { KyselyStore } from '../kysely-store.ts';
import type { Database } from '../schema.ts';
import { isSimpleBatch, PostgresBatchWriter } from './postgres-batch-writer.ts';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database`. */
  url: string;
  /** Connections in the pool (SIGNET_DATABASE_POOL). */
  poolSize?: number;
  /** How long a request waits for a connection before it is answered 503. */
  connectTimeoutMs?: number;
  /** Where connection errors outside a request are reported (they must never crash the process). */
  onBackgroundError?: (error: Error) => void;
}

/** The channel every instance LISTENs on; the payload is the changed app's id. */
const CHANNEL = 'signet_app_changed';
/** Arbitrary constant for pg_advisory_lock: one migration run at a time across instances. */
const MIGRATION_LOCK = 74_217_001;
/** SQLSTATE deadlock_detected. */
const DEADLOCK = '40P01';

/*
 * Error classes that mean "the database is not there right now" (SQLSTATE): 08 connection
 * exceptions, 53 insufficient resources, 57P01–57P03 shutdown / cannot connect now. Plus the
 * socket-level errors, and the messages of a connection that died or a database closed to
 * connections.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[123])/;
const UNAVAILABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection error|not currently accepting connections|timeout exceeded when trying to connect|not queryable|Connection ended/i;

/** The backend for several instances sharing one PostgreSQL database. */
export class PostgresStore extends KyselyStore {
  private listener: pg.Client | null = null;

  private readonly writer: PostgresBatchWriter;

  private constructor(
    db: Kysely<Database>,
    pool: pg.Pool,
    private readonly options: PostgresStoreOptions,
  ) {
    super(db, 'postgres');
    this.writer = new PostgresBatchWriter(
      pool,
      (batch) => this.guard(() => this.storeInTransaction(batch)),
      (error) => this.isUnavailable(error),
    );
  }

  static open(options: PostgresStoreOptions): PostgresStore {
    const report = options.onBackgroundError ?? (() => undefined);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle or checked-out connection killed by the server emits 'error'; unhandled, it would
    // end the process. The pool drops the broken client; the next request gets a fresh one.
    pool.on('error', report);
    pool.on('connect', (client) => client.on('error', report));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return new PostgresStore(db, pool, options);
  }

  protected isUnavailable(error: unknown): boolean {
    const e = error as { code?: unknown; message?: unknown } | null;
    if (typeof e?.code === 'string' && (UNAVAILABLE_SQLSTATE.test(e.code) || UNAVAILABLE_NODE.has(e.code)))
      return true;
    return typeof e?.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message);
  }

  async ping(): Promise<void> {
    await this.guard(() => sql`select 1`.execute(this.db));
  }

  /** Migrations under an advisory lock, so instances starting together run them once. */
  override async migrate(): Promise<void> {
    await this.guard(() =>
      this.db.connection().execute(async (connection) => {
        await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection);
        try {
          await this.migrateWith(connection);
        } finally {
          await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection);
        }
      }),
    );
  }

  /**
   * Simple batches (track events only, no failure to keep: the common case) go through the
   * group writer; the others take one transaction each.
   */
  override storeBatch(batch: BatchToStore): Promise<{ accepted: number; duplicates: number }> {
    return isSimpleBatch(batch) ? this.guard(() => this.writer.write(batch)) : this.storeInTransaction(batch);
  }

  /** A deadlock with a concurrent batch of the same user is retried: the loser stored nothing. */
  private async storeInTransaction(batch: BatchToStore): Promise<{ accepted: number; duplicates: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await super.storeBatch(batch);
      } catch (error) {
        if ((error as { code?: unknown }).code !== DEADLOCK || attempt === 3) throw error;
      }
    }
  }

  /** Delivered to every instance when the writing transaction commits. */
  protected override async announceChange(trx: Transaction<Database>, appId: string): Promise<void> {
    await sql`select pg_notify(${CHANNEL}, ${appId})`.execute(trx);
  }

  /**
   * LISTENs on a dedicated connection. If that connection dies it is re-opened after a pause;
   * the registry's periodic version check covers anything missed meanwhile.
   */
  override async watchChanges(onChange: (appId: string) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: 5_000 });
      const reconnect = () => {
        if (this.listener === client) this.listener = null;
        client.end().catch(() => undefined);
        if (!stopped) retry = setTimeout(() => void connect().catch(() => reconnect()), 1_000).unref();
      };
      client.on('error', reconnect);
      client.on('notification', (message) => {
        if (message.channel === CHANNEL && message.payload) onChange(message.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        this.listener = client;
      } catch (error) {
        reconnect();
        if (!(error instanceof Error)) throw error;
      }
    };
    await connect();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await this.listener?.end().catch(() => undefined);
      this.listener = null;
    };
  }

  override async close(): Promise<void> {
    await this.listener?.end().catch(() => undefined);
    await super.close();
  }
}

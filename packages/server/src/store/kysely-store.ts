import { type AuthOutcome, type JsonValue, type JwtMode, LIMITS } from '@signet/protocol';
import type { PublicJwk } from '@signet/verifier';
import { type Expression, type Kysely, Migrator, type RawBuilder, sql, type Transaction } from 'kysely';
import {
  attributesColumn,
  firstOccurrences,
  hourOf,
  mergeAttributes,
  senderOf,
  verifiedFlag,
} from './batch-rules.ts';
import type { DialectName } from './dialect-name.ts';
import { migrationProvider } from './migrations/index.ts';
import type { Database } from './schema.ts';
import { StorageUnavailableError } from './storage-unavailable.ts';
import type {
  AddKeyResult,
  AppActivityRow,
  AppRow,
  BatchToStore,
  FailureRow,
  FailureToKeep,
  KeyRow,
  MinuteCountRow,
  OutcomeRow,
  OutcomeToCount,
  RejectionToRecord,
  RemoveKeyResult,
  SdkVersionRow,
  Store,
  StoredEventRow,
  UpdateJwtResult,
  UserRow,
} from './store.ts';

const MINUTE_MS = 60_000;
const FAILURES_KEPT = LIMITS.maxFailuresKept;

/**
 * The Store written once over Kysely; a backend supplies the connection, its dialect name and
 * how to recognise "the database is unavailable" among its driver's errors.
 */
export abstract class KyselyStore implements Store {
  protected constructor(
    protected readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /** True when `error` means the database is unreachable or cannot write right now. */
  protected abstract isUnavailable(error: unknown): boolean;

  /** Runs `work`, turning the backend's outage errors into StorageUnavailableError. */
  protected async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof StorageUnavailableError) throw error;
      if (this.isUnavailable(error)) {
        throw new StorageUnavailableError(`database unavailable: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async migrate(): Promise<void> {
    await this.guard(() => this.migrateWith(this.db));
  }

  protected async migrateWith(db: Kysely<Database>): Promise<void> {
    const migrator = new Migrator({ db, provider: migrationProvider(this.dialect) });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  }

  /** Tells other instances, on commit, that the app changed; one process needs no message. */
  protected async announceChange(_trx: Transaction<Database>, _appId: string): Promise<void> {}

  async watchChanges(_onChange: (appId: string) => void): Promise<() => Promise<void>> {
    return async () => {};
  }

  appVersions(): Promise<Map<string, number>> {
    return this.guard(async () => {
      const rows = await this.db.selectFrom('apps').select(['id', 'updated_at']).execute();
      return new Map(rows.map((r) => [r.id, Number(r.updated_at)]));
    });
  }

  /** The larger of two values: `greatest` in PostgreSQL, the scalar `max` in SQLite. */
  private greatest(a: Expression<unknown>, b: number): RawBuilder<number> {
    return sql<number>`${sql.raw(this.dialect === 'postgres' ? 'greatest' : 'max')}(${a}, ${b})`;
  }

  /** Marks the app changed (its cached verifier must go) and tells the other instances. */
  private async changed(trx: Transaction<Database>, appId: string, now: number): Promise<void> {
    await trx
      .updateTable('apps')
      // Strictly increasing, even for two changes within one millisecond.
      .set((eb) => ({ updated_at: this.greatest(sql`${eb.ref('updated_at')} + 1`, now) }))
      .where('id', '=', appId)
      .execute();
    await this.announceChange(trx, appId);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  abstract ping(): Promise<void>;

  getSetting(key: string): Promise<string | null> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.value ?? null;
    });
  }

  putSettingIfAbsent(key: string, value: string): Promise<string> {
    return this.guard(async () => {
      await this.db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      const row = await this.db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      return row.value;
    });
  }

  createApp(app: AppRow): Promise<void> {
    return this.guard(async () => {
      await this.db
        .insertInto('apps')
        .values({
          id: app.id,
          name: app.name,
          jwt_mode: app.jwt.mode,
          audience: app.jwt.audience,
          issuer: app.jwt.issuer,
          clock_tolerance_seconds: app.jwt.clockToleranceSeconds,
          max_token_lifetime_seconds: app.jwt.maxTokenLifetimeSeconds,
          created_at: app.createdAt,
          updated_at: app.updatedAt,
        })
        .execute();
    });
  }

  listApps(): Promise<AppRow[]> {
    return this.guard(async () => {
      const rows = await this.db.selectFrom('apps').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toAppRow);
    });
  }

  getApp(appId: string): Promise<AppRow | null> {
    return this.guard(async () => {
      const row = await this.db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();
      return row ? toAppRow(row) : null;
    });
  }

  updateJwtSettings(appId: string, jwt: AppRow['jwt'], now: number): Promise<UpdateJwtResult> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const app = await trx.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();
        if (!app) return 'no_app';
        if (jwt.mode === 'required' && (await countKeys(trx, appId)) === 0) return 'no_keys';
        await trx
          .updateTable('apps')
          .set({
            jwt_mode: jwt.mode,
            audience: jwt.audience,
            issuer: jwt.issuer,
            clock_tolerance_seconds: jwt.clockToleranceSeconds,
            max_token_lifetime_seconds: jwt.maxTokenLifetimeSeconds,
          })
          .where('id', '=', appId)
          .execute();
        await this.changed(trx, appId, now);
        return { ...toAppRow(app), jwt };
      }),
    );
  }

  listKeys(appId: string): Promise<KeyRow[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom('app_keys')
        .selectAll()
        .where('app_id', '=', appId)
        .orderBy('created_at')
        .orderBy('kid')
        .execute();
      return rows.map((r) => ({
        kid: r.kid,
        label: r.label,
        type: r.type,
        algorithms: JSON.parse(r.algorithms) as string[],
        jwk: JSON.parse(r.jwk) as PublicJwk,
        fingerprint: r.fingerprint,
        createdAt: Number(r.created_at),
        lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
        useCount: Number(r.use_count),
      }));
    });
  }

  addKey(appId: string, key: KeyRow, maxKeys: number): Promise<AddKeyResult> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        if (!(await lockApp(trx, appId, this.dialect))) return 'no_app';
        const existing = await trx
          .selectFrom('app_keys')
          .select('kid')
          .where('app_id', '=', appId)
          .where('kid', '=', key.kid)
          .executeTakeFirst();
        if (existing) return 'exists';
        if ((await countKeys(trx, appId)) >= maxKeys) return 'limit';
        await trx
          .insertInto('app_keys')
          .values({
            app_id: appId,
            kid: key.kid,
            label: key.label,
            type: key.type,
            algorithms: JSON.stringify(key.algorithms),
            jwk: JSON.stringify(key.jwk),
            fingerprint: key.fingerprint,
            created_at: key.createdAt,
            last_used_at: null,
            use_count: 0,
          })
          .execute();
        await this.changed(trx, appId, key.createdAt);
        return 'added';
      }),
    );
  }

  removeKey(appId: string, kid: string, now: number): Promise<RemoveKeyResult> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const app = await lockApp(trx, appId, this.dialect);
        if (!app) return 'not_found';
        const key = await trx
          .selectFrom('app_keys')
          .select('kid')
          .where('app_id', '=', appId)
          .where('kid', '=', kid)
          .executeTakeFirst();
        if (!key) return 'not_found';
        if (app.jwt_mode === 'required' && (await countKeys(trx, appId)) <= 1) return 'last_key';
        await trx.deleteFrom('app_keys').where('app_id', '=', appId).where('kid', '=', kid).execute();
        await this.changed(trx, appId, now);
        return 'removed';
      }),
    );
  }

  storeBatch(batch: BatchToStore): Promise<{ accepted: number; duplicates: number }> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const unique = firstOccurrences(batch.events);
        const verified = verifiedFlag(batch.verified);
        const sender = senderOf(batch);
        const inserted = await trx
          .insertInto('events')
          .values(
            unique.map((e) => ({
              app_id: batch.appId,
              id: e.id,
              type: e.type,
              name: e.name,
              user_id: batch.userId,
              anonymous_id: batch.anonymousId,
              session_id: e.sessionId,
              batch_id: batch.batchId,
              sender,
              sdk_name: batch.sdkName,
              sdk_version: batch.sdkVersion,
              verified,
              received_at: batch.receivedAt,
              body: e.body,
            })),
          )
          .onConflict((oc) => oc.columns(['app_id', 'sender', 'id']).doNothing())
          .returning('id')
          .execute();
        const isNew = new Set(inserted.map((r) => r.id));
        const fresh = unique.filter((e) => isNew.has(e.id));

        if (batch.userId !== null) {
          await this.touchUser(trx, batch, fresh);
          const aliases = fresh.flatMap((e) => (e.aliasOf ? [e.aliasOf] : []));
          if (aliases.length > 0) {
            await trx
              .insertInto('aliases')
              .values(
                aliases.map((anonymousId) => ({
                  app_id: batch.appId,
                  anonymous_id: anonymousId,
                  user_id: batch.userId as string,
                  created_at: batch.receivedAt,
                })),
              )
              .onConflict((oc) => oc.columns(['app_id', 'anonymous_id', 'user_id']).doNothing())
              .execute();
          }
        }
        if (batch.keyUsed !== null) {
          await trx
            .updateTable('app_keys')
            .set((eb) => ({ use_count: eb('use_count', '+', 1), last_used_at: batch.receivedAt }))
            .where('app_id', '=', batch.appId)
            .where('kid', '=', batch.keyUsed)
            .execute();
        }
        await countOutcome(trx, batch.appId, batch.receivedAt, batch.outcome, batch.events.length);
        if (batch.failure) await keepFailure(trx, batch.appId, batch.receivedAt, batch.failure);
        return { accepted: fresh.length, duplicates: batch.events.length - fresh.length };
      }),
    );
  }

  /**
   * Creates or refreshes the profile, merging new attribute events in batch order: into
   * `attributes` for a verified batch, into `unverified_attributes` for any other.
   */
  private async touchUser(
    trx: Transaction<Database>,
    batch: BatchToStore,
    fresh: BatchToStore['events'],
  ): Promise<void> {
    const userId = batch.userId as string;
    // Create the profile if absent first: concurrent first batches of one user then both find
    // the row and serialise on its lock instead of one failing on the primary key.
    await trx
      .insertInto('users')
      .values({
        app_id: batch.appId,
        user_id: userId,
        attributes: '{}',
        unverified_attributes: '{}',
        first_seen: batch.receivedAt,
        last_seen: batch.receivedAt,
      })
      .onConflict((oc) => oc.columns(['app_id', 'user_id']).doNothing())
      .execute();
    const column = attributesColumn(batch.verified);
    const existing = await lockUser(trx, batch.appId, userId, this.dialect);
    await trx
      .updateTable('users')
      .set((eb) => ({
        [column]: mergeAttributes(existing[column], fresh),
        last_seen: this.greatest(eb.ref('last_seen'), batch.receivedAt),
      }))
      .where('app_id', '=', batch.appId)
      .where('user_id', '=', userId)
      .execute();
  }

  recordRejection(rejection: RejectionToRecord): Promise<void> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        await countOutcome(trx, rejection.appId, rejection.at, rejection.outcome, rejection.events);
        await keepFailure(trx, rejection.appId, rejection.at, rejection.failure);
      }),
    );
  }

  listEvents(appId: string, query: { userId?: string; limit: number }): Promise<StoredEventRow[]> {
    return this.guard(async () => {
      let q = this.db
        .selectFrom('events')
        .select(['body', 'user_id', 'anonymous_id', 'received_at', 'verified'])
        .where('app_id', '=', appId);
      if (query.userId !== undefined) q = q.where('user_id', '=', query.userId);
      const rows = await q.orderBy('seq', 'desc').limit(query.limit).execute();
      return rows.map((r) => ({
        body: r.body,
        userId: r.user_id,
        anonymousId: r.anonymous_id,
        receivedAt: Number(r.received_at),
        verified: r.verified === null ? null : r.verified === 1,
      }));
    });
  }

  getUser(appId: string, userId: string): Promise<UserRow | null> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('users')
        .selectAll()
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!row) return null;
      return {
        userId: row.user_id,
        attributes: JSON.parse(row.attributes) as Record<string, JsonValue>,
        unverifiedAttributes: JSON.parse(row.unverified_attributes) as Record<string, JsonValue>,
        firstSeen: Number(row.first_seen),
        lastSeen: Number(row.last_seen),
      };
    });
  }

  authStats(appId: string, sinceHour: number): Promise<OutcomeRow[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom('auth_outcomes')
        .selectAll()
        .where('app_id', '=', appId)
        .where('hour', '>=', sinceHour)
        .orderBy('hour')
        .orderBy('outcome')
        .orderBy('code')
        .orderBy('reason')
        .execute();
      return rows.map((r) => ({
        hour: Number(r.hour),
        outcome: r.outcome as AuthOutcome,
        code: r.code === '' ? null : r.code,
        reason: r.reason === '' ? null : r.reason,
        batches: Number(r.batches),
        events: Number(r.events),
      }));
    });
  }

  authFailures(appId: string, limit: number, code?: string): Promise<FailureRow[]> {
    return this.guard(async () => {
      let q = this.db.selectFrom('auth_failures').selectAll().where('app_id', '=', appId);
      if (code !== undefined) q = q.where('code', '=', code);
      const rows = await q.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({
        at: Number(r.at),
        mode: r.mode,
        code: r.code,
        reason: r.reason,
        kid: r.kid,
        subject: r.subject,
        userId: r.user_id,
        sdkName: r.sdk_name,
        sdkVersion: r.sdk_version,
      }));
    });
  }

  activity(sinceHour: number): Promise<AppActivityRow[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom('auth_outcomes')
        .select((eb) => [
          'app_id',
          'outcome',
          eb.fn.sum<number | string>('batches').as('batches'),
          eb.fn.sum<number | string>('events').as('events'),
        ])
        .where('hour', '>=', sinceHour)
        .groupBy(['app_id', 'outcome'])
        .orderBy('app_id')
        .orderBy('outcome')
        .execute();
      return rows.map((r) => ({
        appId: r.app_id,
        outcome: r.outcome as AuthOutcome,
        batches: Number(r.batches),
        events: Number(r.events),
      }));
    });
  }

  eventsPerMinute(appId: string, since: number): Promise<MinuteCountRow[]> {
    return this.guard(async () => {
      // Integer division on both backends; a literal divisor, so PostgreSQL sees the same
      // expression in SELECT and GROUP BY.
      const minute = sql<number | string>`received_at / ${sql.lit(MINUTE_MS)}`;
      const rows = await this.db
        .selectFrom('events')
        .select((eb) => [minute.as('minute'), eb.fn.countAll<number | string>().as('events')])
        .where('app_id', '=', appId)
        .where('received_at', '>=', since)
        .groupBy(minute)
        .orderBy(minute)
        .execute();
      return rows.map((r) => ({ minute: Number(r.minute) * MINUTE_MS, events: Number(r.events) }));
    });
  }

  sdkVersions(appId: string, since: number): Promise<SdkVersionRow[]> {
    return this.guard(async () => {
      const rows = await this.db
        .selectFrom('events')
        .select((eb) => [
          'sdk_name',
          'sdk_version',
          eb.fn.countAll<number | string>().as('events'),
          eb.fn.max('received_at').as('last_seen'),
        ])
        .where('app_id', '=', appId)
        .where('received_at', '>=', since)
        .groupBy(['sdk_name', 'sdk_version'])
        .execute();
      return rows
        .map((r) => ({
          name: r.sdk_name,
          version: r.sdk_version,
          events: Number(r.events),
          lastSeen: Number(r.last_seen),
        }))
        .sort((a, b) => b.events - a.events || b.lastSeen - a.lastSeen);
    });
  }

  // Dashboard sessions: see the Store interface.
  createAdminSession(idHash: string, createdAt: number, expiresAt: number): Promise<void> {
    return this.guard(async () => {
      await this.db
        .insertInto('admin_sessions')
        .values({ id_hash: idHash, created_at: createdAt, expires_at: expiresAt })
        .execute();
    });
  }

  adminSessionActive(idHash: string, now: number): Promise<boolean> {
    return this.guard(async () => {
      const row = await this.db
        .selectFrom('admin_sessions')
        .select('id_hash')
        .where('id_hash', '=', idHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  deleteAdminSession(idHash: string): Promise<void> {
    return this.guard(async () => {
      await this.db.deleteFrom('admin_sessions').where('id_hash', '=', idHash).execute();
    });
  }

  purgeExpiredAdminSessions(now: number): Promise<number> {
    return this.guard(async () => {
      const result = await this.db
        .deleteFrom('admin_sessions')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }
}

function toAppRow(row: Database['apps'] & Record<string, unknown>): AppRow {
  return {
    id: row.id,
    name: row.name,
    jwt: {
      mode: row.jwt_mode as JwtMode,
      audience: row.audience,
      issuer: row.issuer,
      clockToleranceSeconds: Number(row.clock_tolerance_seconds),
      maxTokenLifetimeSeconds: Number(row.max_token_lifetime_seconds),
    },
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

async function countKeys(trx: Transaction<Database>, appId: string): Promise<number> {
  const row = await trx
    .selectFrom('app_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('app_id', '=', appId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Reads the app row, locking it on PostgreSQL so key changes for one app serialise. */
async function lockApp(trx: Transaction<Database>, appId: string, dialect: DialectName) {
  let q = trx.selectFrom('apps').selectAll().where('id', '=', appId);
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirst();
}

async function lockUser(trx: Transaction<Database>, appId: string, userId: string, dialect: DialectName) {
  let q = trx
    .selectFrom('users')
    .select(['attributes', 'unverified_attributes'])
    .where('app_id', '=', appId)
    .where('user_id', '=', userId);
  if (dialect === 'postgres') q = q.forUpdate();
  return q.executeTakeFirstOrThrow();
}

async function countOutcome(
  trx: Transaction<Database>,
  appId: string,
  at: number,
  outcome: OutcomeToCount,
  events: number,
): Promise<void> {
  await trx
    .insertInto('auth_outcomes')
    .values({
      app_id: appId,
      hour: hourOf(at),
      outcome: outcome.outcome,
      code: outcome.code ?? '',
      reason: outcome.reason ?? '',
      batches: 1,
      events,
    })
    .onConflict((oc) =>
      oc.columns(['app_id', 'hour', 'outcome', 'code', 'reason']).doUpdateSet((eb) => ({
        batches: eb('auth_outcomes.batches', '+', 1),
        events: eb('auth_outcomes.events', '+', eb.ref('excluded.events')),
      })),
    )
    .execute();
}

/** Keeps a failure and trims the app's list to the newest FAILURES_KEPT. */
async function keepFailure(
  trx: Transaction<Database>,
  appId: string,
  at: number,
  f: FailureToKeep,
): Promise<void> {
  await trx
    .insertInto('auth_failures')
    .values({
      app_id: appId,
      at,
      mode: f.mode,
      code: f.code,
      reason: f.reason,
      kid: f.kid,
      subject: f.subject,
      user_id: f.userId,
      sdk_name: f.sdkName,
      sdk_version: f.sdkVersion,
    })
    .execute();
  const cutoff = await trx
    .selectFrom('auth_failures')
    .select('id')
    .where('app_id', '=', appId)
    .orderBy('id', 'desc')
    .offset(FAILURES_KEPT)
    .limit(1)
    .executeTakeFirst();
  if (cutoff) {
    await trx.deleteFrom('auth_failures').where('app_id', '=', appId).where('id', '<=', cutoff.id).execute();
  }
}

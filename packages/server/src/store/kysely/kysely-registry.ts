import type { JwtMode } from '@signet/protocol';
import type { PublicJwk } from '@signet/verifier';
import { type Kysely, type Selectable, type SelectQueryBuilder, sql, type Transaction } from 'kysely';
import type { AppRow, RegistryStore } from '../registry-store.ts';
import type { AppsTable, Database } from '../schema.ts';
import { purgeAppRows } from './purge-app-rows.ts';

/** The registry's parts that differ by backend; each backend's folder supplies them. */
export interface RegistryDialect {
  /**
   * Locks the app row read before a change of the app's keys, so that key changes of one app
   * run one after the other.
   */
  forUpdate<O>(query: SelectQueryBuilder<Database, 'apps', O>): SelectQueryBuilder<Database, 'apps', O>;
  /** Tells the other instances, once `trx` commits, that the app changed. */
  announceChange(trx: Transaction<Database>, appId: string): Promise<void>;
  watchChanges: RegistryStore['watchChanges'];
  /** Whether a deleted app's purge pauses between chunks so that ingestion can write meanwhile. */
  purgePauses: boolean;
}

/**
 * Settings, apps, keys and dashboard sessions, written once over Kysely for every backend.
 *
 * @example
 * const registry = kyselyRegistry(db, { forUpdate: (q) => q.forUpdate(), announceChange, watchChanges });
 */
export function kyselyRegistry(db: Kysely<Database>, dialect: RegistryDialect): RegistryStore {
  /** Marks the app changed (its cached verifier must go) and tells the other instances. */
  const changed = async (trx: Transaction<Database>, appId: string, now: number) => {
    await trx
      .updateTable('apps')
      // Strictly increasing, even for two changes within one millisecond.
      .set((eb) => ({
        updated_at: sql<number>`case when ${eb.ref('updated_at')} + 1 > ${now} then ${eb.ref('updated_at')} + 1 else ${now} end`,
      }))
      .where('id', '=', appId)
      .execute();
    await dialect.announceChange(trx, appId);
  };
  const lockApp = (trx: Transaction<Database>, appId: string) =>
    dialect.forUpdate(trx.selectFrom('apps').selectAll().where('id', '=', appId)).executeTakeFirst();

  return {
    async getSetting(key) {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value ?? null;
    },

    async putSettingIfAbsent(key, value) {
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      return row.value;
    },

    async createApp(app) {
      await db
        .insertInto('apps')
        .values({
          id: app.id,
          name: app.name,
          jwt_mode: app.jwt.mode,
          audience: app.jwt.audience,
          issuer: app.jwt.issuer,
          clock_tolerance_seconds: app.jwt.clockToleranceSeconds,
          max_token_lifetime_seconds: app.jwt.maxTokenLifetimeSeconds,
          jwks_url: app.jwt.jwksUrl,
          jwks_discovery: app.jwt.discovery ? 1 : 0,
          user_id_claim: app.jwt.userIdClaim,
          created_at: app.createdAt,
          updated_at: app.updatedAt,
          retention_days: app.retentionDays ?? null,
        })
        .execute();
    },

    async listApps() {
      const rows = await db.selectFrom('apps').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toAppRow);
    },

    async getApp(appId) {
      const row = await db.selectFrom('apps').selectAll().where('id', '=', appId).executeTakeFirst();
      return row ? toAppRow(row) : null;
    },

    updateApp(appId, changes, now) {
      return db.transaction().execute(async (trx) => {
        if (!(await lockApp(trx, appId))) return null;
        const set: { name?: string; retention_days?: number | null } = {};
        if (changes.name !== undefined) set.name = changes.name;
        if (changes.retentionDays !== undefined) set.retention_days = changes.retentionDays;
        if (Object.keys(set).length > 0) {
          await trx.updateTable('apps').set(set).where('id', '=', appId).execute();
          await changed(trx, appId, now);
        }
        const row = await trx
          .selectFrom('apps')
          .selectAll()
          .where('id', '=', appId)
          .executeTakeFirstOrThrow();
        return toAppRow(row);
      });
    },

    async deleteApp(appId, now) {
      const deleted = await db.transaction().execute(async (trx) => {
        if (!(await lockApp(trx, appId))) return false;
        await trx.deleteFrom('app_keys').where('app_id', '=', appId).execute();
        await trx.deleteFrom('apps').where('id', '=', appId).execute();
        // Kept until the next start's purgeDeletedApps: it sweeps what a batch racing this delete stored.
        await trx
          .insertInto('deleted_apps')
          .values({ app_id: appId, deleted_at: now })
          .onConflict((oc) => oc.column('app_id').doNothing())
          .execute();
        await dialect.announceChange(trx, appId);
        return true;
      });
      return deleted ? purgeAppRows(db, appId, dialect.purgePauses) : null;
    },

    async purgeDeletedApps() {
      const rows = await db.selectFrom('deleted_apps').select('app_id').execute();
      for (const row of rows) {
        await purgeAppRows(db, row.app_id, dialect.purgePauses);
        await db.deleteFrom('deleted_apps').where('app_id', '=', row.app_id).execute();
      }
      return rows.length;
    },

    updateJwtSettings(appId, jwt, now) {
      return db.transaction().execute(async (trx) => {
        // Locked like addKey/removeKey: a concurrent removal of the last key cannot slip between
        // the count and the switch to required.
        const app = await lockApp(trx, appId);
        if (!app) return 'no_app';
        // Keys or an identity provider: either lets a token pass (SPEC §4.1).
        const provider = jwt.jwksUrl !== null || jwt.discovery;
        if (jwt.mode === 'required' && !provider && (await countKeys(trx, appId)) === 0) return 'no_keys';
        await trx
          .updateTable('apps')
          .set({
            jwt_mode: jwt.mode,
            audience: jwt.audience,
            issuer: jwt.issuer,
            clock_tolerance_seconds: jwt.clockToleranceSeconds,
            max_token_lifetime_seconds: jwt.maxTokenLifetimeSeconds,
            jwks_url: jwt.jwksUrl,
            jwks_discovery: jwt.discovery ? 1 : 0,
            user_id_claim: jwt.userIdClaim,
          })
          .where('id', '=', appId)
          .execute();
        await changed(trx, appId, now);
        return { ...toAppRow(app), jwt };
      });
    },

    async listKeys(appId) {
      const rows = await db
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
    },

    addKey(appId, key, maxKeys) {
      return db.transaction().execute(async (trx) => {
        if (!(await lockApp(trx, appId))) return 'no_app';
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
        await changed(trx, appId, key.createdAt);
        return 'added';
      });
    },

    removeKey(appId, kid, now) {
      return db.transaction().execute(async (trx) => {
        const app = await lockApp(trx, appId);
        if (!app) return 'not_found';
        const key = await trx
          .selectFrom('app_keys')
          .select('kid')
          .where('app_id', '=', appId)
          .where('kid', '=', kid)
          .executeTakeFirst();
        if (!key) return 'not_found';
        const provider = app.jwks_url !== null || Number(app.jwks_discovery) === 1;
        if (app.jwt_mode === 'required' && !provider && (await countKeys(trx, appId)) <= 1) return 'last_key';
        await trx.deleteFrom('app_keys').where('app_id', '=', appId).where('kid', '=', kid).execute();
        await changed(trx, appId, now);
        return 'removed';
      });
    },

    watchChanges: (onChange) => dialect.watchChanges(onChange),

    async appVersions() {
      const rows = await db.selectFrom('apps').select(['id', 'updated_at']).execute();
      return new Map(rows.map((r) => [r.id, Number(r.updated_at)]));
    },

    async createAdminSession(idHash, createdAt, expiresAt) {
      await db
        .insertInto('admin_sessions')
        .values({ id_hash: idHash, created_at: createdAt, expires_at: expiresAt })
        .execute();
    },

    async adminSessionActive(idHash, now) {
      const row = await db
        .selectFrom('admin_sessions')
        .select('id_hash')
        .where('id_hash', '=', idHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row !== undefined;
    },

    async deleteAdminSession(idHash) {
      await db.deleteFrom('admin_sessions').where('id_hash', '=', idHash).execute();
    },

    async purgeExpiredAdminSessions(now) {
      const result = await db.deleteFrom('admin_sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

function toAppRow(row: Selectable<AppsTable>): AppRow {
  return {
    id: row.id,
    name: row.name,
    jwt: {
      mode: row.jwt_mode as JwtMode,
      audience: row.audience,
      issuer: row.issuer,
      clockToleranceSeconds: Number(row.clock_tolerance_seconds),
      maxTokenLifetimeSeconds: Number(row.max_token_lifetime_seconds),
      jwksUrl: row.jwks_url,
      discovery: Number(row.jwks_discovery) === 1,
      userIdClaim: row.user_id_claim,
    },
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    retentionDays: row.retention_days === null ? null : Number(row.retention_days),
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

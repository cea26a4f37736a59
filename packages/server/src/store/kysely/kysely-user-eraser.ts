import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { UserEraser } from '../user-eraser.ts';

/**
 * Erasure written once for every backend: one transaction over the user's events (along the
 * (app, user, …) index), aliases, kept failures and profile.
 *
 * @example
 * const eraser = kyselyUserEraser(db);
 */
export function kyselyUserEraser(db: Kysely<Database>): UserEraser {
  return {
    eraseUser(appId, userId) {
      return db.transaction().execute(async (trx) => {
        const events = await trx
          .deleteFrom('events')
          .where('app_id', '=', appId)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        const aliases = await trx
          .deleteFrom('aliases')
          .where('app_id', '=', appId)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        const failures = await trx
          .deleteFrom('auth_failures')
          .where('app_id', '=', appId)
          .where((eb) => eb.or([eb('subject', '=', userId), eb('user_id', '=', userId)]))
          .executeTakeFirst();
        const profile = await trx
          .deleteFrom('users')
          .where('app_id', '=', appId)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return {
          events: Number(events.numDeletedRows),
          aliases: Number(aliases.numDeletedRows),
          failures: Number(failures.numDeletedRows),
          profile: Number(profile.numDeletedRows),
        };
      });
    },
  };
}

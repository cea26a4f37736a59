import type { Kysely } from 'kysely';
import { senderOf } from '../batch-rules.ts';
import type { Database } from '../schema.ts';
import type { UserEraser } from '../user-eraser.ts';

/**
 * Erasure written once for every backend: one transaction over the user's events (along the
 * (app, sender, id) key) and batches, aliases, kept failures and profile.
 *
 * @example
 * const eraser = kyselyUserEraser(db);
 */
export function kyselyUserEraser(db: Kysely<Database>): UserEraser {
  return {
    eraseUser(appId, userId) {
      return db.transaction().execute(async (trx) => {
        // The user's events are the ones their batches sent, verified or claimed: along the
        // (app_id, sender, id) key. Anonymous events have no user.
        const events = await trx
          .deleteFrom('events')
          .where('app_id', '=', appId)
          .where('sender', 'in', [
            senderOf({ userId, anonymousId: null, verified: true }),
            senderOf({ userId, anonymousId: null, verified: false }),
          ])
          .executeTakeFirst();
        await trx.deleteFrom('batches').where('app_id', '=', appId).where('user_id', '=', userId).execute();
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

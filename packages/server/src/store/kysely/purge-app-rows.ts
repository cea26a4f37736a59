import type { Kysely } from 'kysely';
import type { PurgedRows } from '../registry-store.ts';
import type { Database } from '../schema.ts';

/** Rows deleted per statement: short enough that ingestion's writes get the database in between. */
export const PURGE_CHUNK = 5_000;

/**
 * Deletes every row a deleted app left (events, profiles, aliases, auth failures and outcome
 * counts), the big tables in chunks of PURGE_CHUNK rows, each chunk its own statement, so a purge
 * of millions of events never holds the database for long. Safe to repeat.
 */
export async function purgeAppRows(db: Kysely<Database>, appId: string): Promise<PurgedRows> {
  const purged: PurgedRows = { events: 0, profiles: 0, aliases: 0, failures: 0, outcomes: 0 };
  const chunks = async (remove: () => Promise<bigint>) => {
    let total = 0;
    for (;;) {
      const n = Number(await remove());
      total += n;
      if (n < PURGE_CHUNK) return total;
    }
  };
  purged.events = await chunks(async () => {
    const result = await db
      .deleteFrom('events')
      .where('seq', 'in', (eb) =>
        eb.selectFrom('events').select('seq').where('app_id', '=', appId).limit(PURGE_CHUNK),
      )
      .executeTakeFirst();
    return result.numDeletedRows;
  });
  purged.profiles = await chunks(async () => {
    const result = await db
      .deleteFrom('users')
      .where('app_id', '=', appId)
      .where('user_id', 'in', (eb) =>
        eb.selectFrom('users').select('user_id').where('app_id', '=', appId).limit(PURGE_CHUNK),
      )
      .executeTakeFirst();
    return result.numDeletedRows;
  });
  purged.aliases = await chunks(async () => {
    const result = await db
      .deleteFrom('aliases')
      .where('app_id', '=', appId)
      .where('anonymous_id', 'in', (eb) =>
        eb.selectFrom('aliases').select('anonymous_id').where('app_id', '=', appId).limit(PURGE_CHUNK),
      )
      .executeTakeFirst();
    return result.numDeletedRows;
  });
  // At most maxFailuresKept rows, and a few outcome counts per hour: one statement each.
  const failures = await db.deleteFrom('auth_failures').where('app_id', '=', appId).executeTakeFirst();
  purged.failures = Number(failures.numDeletedRows);
  const outcomes = await db.deleteFrom('auth_outcomes').where('app_id', '=', appId).executeTakeFirst();
  purged.outcomes = Number(outcomes.numDeletedRows);
  return purged;
}

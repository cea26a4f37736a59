import { type Kysely, sql } from 'kysely';
import type { DialectName } from '../dialect-name.ts';

/*
 * Tokens from the app's identity provider (SPEC §4.1):
 * - `apps.jwks_url`: the provider's JWKS document (null: none);
 * - `apps.jwks_discovery`: 1 when the JWKS is found through OpenID discovery on the issuer;
 * - `apps.user_id_claim`: the claim that must equal the batch's user.id (`sub` for every
 *   existing app, as before).
 */
export async function up(db: Kysely<unknown>, _dialect: DialectName): Promise<void> {
  await db.schema.alterTable('apps').addColumn('jwks_url', 'text').execute();
  await db.schema
    .alterTable('apps')
    .addColumn('jwks_discovery', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('apps')
    .addColumn('user_id_claim', 'text', (c) => c.notNull().defaultTo(sql`'sub'`))
    .execute();
}

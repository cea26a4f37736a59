import type pg from 'pg';
import { mergeAttributes } from '../batch-rules.ts';
import type { EventToStore } from '../ingestion-writer.ts';

/** One profile's new `attributes` events of a group, per column, in the order they are applied. */
export interface ProfileMerge {
  appId: string;
  userId: string;
  attributes: EventToStore[];
  unverified_attributes: EventToStore[];
}

const READ_PROFILES = `
SELECT app_id, user_id, attributes, unverified_attributes FROM users
WHERE (app_id, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
FOR UPDATE`;

const WRITE_PROFILES = `
UPDATE users SET attributes = m.attributes, unverified_attributes = m.unverified_attributes
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS m(app_id, user_id, attributes, unverified_attributes)
WHERE users.app_id = m.app_id AND users.user_id = m.user_id`;

type ProfileRow = { app_id: string; user_id: string; attributes: string; unverified_attributes: string };

/**
 * Applies `merges` with `mergeAttributes`, the rule SQLite applies too, inside the transaction of
 * the group statement: that statement's upsert already holds each profile's row lock, so a
 * batch of the same user on another instance waits, then merges onto this result.
 */
export async function mergeProfiles(client: pg.ClientBase, merges: ProfileMerge[]): Promise<void> {
  if (merges.length === 0) return;
  const { rows } = await client.query<ProfileRow>({
    name: 'signet_read_profiles',
    text: READ_PROFILES,
    values: [merges.map((m) => m.appId), merges.map((m) => m.userId)],
  });
  const stored = new Map(rows.map((row) => [`${row.app_id}\u0000${row.user_id}`, row]));
  const merged = merges.map((m) => {
    const row = stored.get(`${m.appId}\u0000${m.userId}`) as ProfileRow;
    return [
      m.appId,
      m.userId,
      m.attributes.length > 0 ? mergeAttributes(row.attributes, m.attributes) : row.attributes,
      m.unverified_attributes.length > 0
        ? mergeAttributes(row.unverified_attributes, m.unverified_attributes)
        : row.unverified_attributes,
    ];
  });
  await client.query({
    name: 'signet_write_profiles',
    text: WRITE_PROFILES,
    values: [0, 1, 2, 3].map((i) => merged.map((row) => row[i])),
  });
}

/** What an erasure deleted (SPEC §5): counts only, never the data. */
export interface ErasureCounts {
  /** The user's events, verified and claimed. */
  events: number;
  /** Aliases linking an anonymous id to the user. */
  aliases: number;
  /** Kept authentication failures naming the user as subject or claimed user id. */
  failures: number;
  /** 1 when the profile (verified and unverified attributes) was deleted, else 0. */
  profile: number;
}

/**
 * Erasure of one user's data in one app (a legal duty in most countries): afterwards nothing of
 * the user is returned by any endpoint.
 *
 * @example
 * const counts = await eraser.eraseUser('app_1', 'alice'); // { events: 12, aliases: 1, failures: 0, profile: 1 }
 */
export interface UserEraser {
  /** Deletes everything stored of the user, atomically; all counts 0 when nothing was. */
  eraseUser(appId: string, userId: string): Promise<ErasureCounts>;
}

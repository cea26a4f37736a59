import type { Clock, StorageAdapter } from './runtime.ts';
import { type Frozen, isObject, StoredRecord } from './stored-record.ts';
import { uuidv7 } from './uuid-v7.ts';

/** Who new events belong to: the identified user, or else the anonymous id. */
export interface IdentityRecord {
  userId?: string;
  anonymousId: string;
}

/** Events are bound to a user by this key: `i:<userId>` or `a:<anonymousId>`. */
export type UserKey = string;

export const userKeyOf = (identity: Frozen<IdentityRecord>): UserKey =>
  identity.userId === undefined ? `a:${identity.anonymousId}` : `i:${identity.userId}`;

/** The user id of an identified user key, or undefined for an anonymous one. */
export const userIdOf = (key: UserKey): string | undefined =>
  key.startsWith('i:') ? key.slice(2) : undefined;

/** The persisted identity, shared by tabs. */
export class Identity {
  private readonly record: StoredRecord<IdentityRecord>;
  private readonly fresh: () => IdentityRecord;
  /** The last identity `currentKeyJson` read, and its key as JSON. */
  private lastIdentity: Frozen<IdentityRecord> | undefined;
  private lastKeyJson = '';

  constructor(storage: StorageAdapter, key: string, clock: Clock) {
    this.fresh = () => ({ anonymousId: uuidv7(clock.now()) });
    this.record = new StoredRecord<IdentityRecord>(
      storage,
      key,
      this.fresh,
      (value) =>
        isObject(value) &&
        typeof value.anonymousId === 'string' &&
        value.anonymousId !== '' &&
        (value.userId === undefined || (typeof value.userId === 'string' && value.userId !== '')),
    );
    // Persist the anonymous id at once so that it stays the same across reloads.
    this.record.write(this.record.read());
  }

  current(): Frozen<IdentityRecord> {
    return this.record.read();
  }

  /**
   * The current user's key as JSON text, as queued events store it: made once per stored
   * identity (reads of an unchanged record return the same object), not on every event.
   */
  currentKeyJson(): string {
    const identity = this.current();
    if (identity !== this.lastIdentity) {
      this.lastIdentity = identity;
      this.lastKeyJson = JSON.stringify(userKeyOf(identity));
    }
    return this.lastKeyJson;
  }

  identify(userId: string): Frozen<IdentityRecord> {
    const next = { ...this.current(), userId };
    this.record.write(next);
    return next;
  }

  /** Back to anonymous, with a new anonymous id (as Segment's `reset()`). */
  reset(): void {
    this.record.write(this.fresh());
  }
}

import type { Clock, StorageAdapter } from './runtime.ts';
import { type Frozen, isObject, StoredRecord } from './stored-record.ts';
import { uuidv7 } from './uuid-v7.ts';

/** The persisted session: its id, last activity, and the auth-failure rule's state. */
export interface SessionRecord {
  id: string;
  /** Last activity, ms (device clock). */
  last: number;
  /** Consecutive authentication failures in this session (SPEC B4). */
  failures: number;
  /** True after 10 consecutive failures: no sync until the next session. */
  paused: boolean;
}

/** How finely last activity is stored. */
const ACTIVITY_RESOLUTION_MS = 1_000;

/** Most consecutive auth failures before syncing stops for the session (reference SDK rule). */
export const MAX_AUTH_FAILURES = 10;

/**
 * Sessions end after a period of inactivity (persisted, so a reload continues the session) or
 * when the app starts a new one. A new session clears the auth-failure count and the pause.
 */
export class Session {
  private readonly record: StoredRecord<SessionRecord | null>;

  constructor(
    storage: StorageAdapter,
    key: string,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onNewSession: () => void,
  ) {
    this.record = new StoredRecord<SessionRecord | null>(
      storage,
      key,
      () => null,
      (value) =>
        isObject(value) &&
        typeof value.id === 'string' &&
        Number.isFinite(value.last) &&
        Number.isInteger(value.failures) &&
        typeof value.paused === 'boolean',
    );
  }

  /** The current session, started when there is none or the last one timed out. */
  current(now = this.clock.now()): Frozen<SessionRecord> {
    const record = this.record.read();
    if (record && now - record.last <= this.timeoutMs) return record;
    return this.start(now);
  }

  /**
   * Records activity at `now`; returns the session id events carry. The stored time moves at most
   * once a second: sessions last minutes, and a write per event doubled the cost of track().
   */
  touch(now = this.clock.now()): string {
    const record = this.current(now);
    if (now - record.last >= ACTIVITY_RESOLUTION_MS || now < record.last) {
      this.record.write({ ...record, last: now });
    }
    return record.id;
  }

  start(now = this.clock.now()): SessionRecord {
    const record: SessionRecord = {
      id: uuidv7(now),
      last: now,
      failures: 0,
      paused: false,
    };
    this.record.write(record);
    this.onNewSession();
    return record;
  }

  /** Counts one failure; returns true when this failure pauses syncing. */
  authFailed(): boolean {
    const record = this.current();
    const failures = record.failures + 1;
    const pausing = !record.paused && failures >= MAX_AUTH_FAILURES;
    this.record.write({ ...record, failures, paused: record.paused || pausing });
    return pausing;
  }

  /** Any successful sync resets the count. */
  synced(): void {
    const record = this.current();
    if (record.failures === 0) return;
    this.record.write({ ...record, failures: 0 });
  }
}

import type { JsonObject } from '@signet/protocol';
import type { StorageAdapter } from './runtime.ts';
import { isObject, StoredRecord } from './stored-record.ts';

const NONE: JsonObject = Object.freeze({});

/**
 * Super properties (PostHog's and Mixpanel's name; Segment's closest is a middleware): merged
 * into the properties of every `track` and `page`, the call's own properties winning. Persisted,
 * so they hold across reloads, restarts and tabs, until `unregister` or `logout()`.
 */
export class SuperProperties {
  // Held as unknown values: Frozen<JsonObject> is a type too deep for the compiler.
  private readonly record: StoredRecord<Record<string, unknown>>;

  constructor(
    private readonly storage: StorageAdapter,
    private readonly key: string,
  ) {
    this.record = new StoredRecord<Record<string, unknown>>(storage, key, () => NONE, isObject);
  }

  /**
   * `properties` with the super properties under them: the same object when there are none
   * (the usual case costs no copy).
   */
  mergeInto(properties: JsonObject | undefined): JsonObject | undefined {
    const current = this.current();
    if (current === NONE || Object.keys(current).length === 0) return properties;
    return { ...current, ...properties };
  }

  /** The stored super properties (frozen: change them through `register` / `unregister`). */
  current(): Readonly<JsonObject> {
    return this.record.read() as JsonObject;
  }

  /** Adds or replaces these keys. Throws (a cycle, a BigInt) before storing anything. */
  register(properties: JsonObject): void {
    this.record.write({ ...this.current(), ...properties });
  }

  unregister(key: string): void {
    const next = { ...this.current() };
    delete next[key];
    if (Object.keys(next).length > 0) this.record.write(next);
    else this.clear();
  }

  clear(): void {
    this.storage.removeItem(this.key);
  }
}

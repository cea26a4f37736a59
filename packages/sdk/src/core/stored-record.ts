import type { StorageAdapter } from './runtime.ts';

/** A plain JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One JSON record under one storage key, read on every access so that tabs sharing the storage
 * see each other's writes. Unreadable data, and readable JSON of the wrong shape (`null`, a
 * number, a string written by another script), reads as the fallback rather than breaking the SDK.
 */
export class StoredRecord<T> {
  constructor(
    private readonly storage: StorageAdapter,
    private readonly key: string,
    private readonly fallback: () => T,
    private readonly isValid: (value: unknown) => boolean,
  ) {}

  read(): T {
    try {
      const text = this.storage.getItem(this.key);
      if (text !== null) {
        const value: unknown = JSON.parse(text);
        if (this.isValid(value)) return value as T;
      }
    } catch {
      // fall through: a corrupt record is replaced by a fresh one
    }
    return this.fallback();
  }

  /** Returns false when the value is only kept in memory (storage missing or full). */
  write(value: T): boolean {
    return this.storage.setItem(this.key, JSON.stringify(value)) !== false;
  }

  update(change: (value: T) => T): T {
    const next = change(this.read());
    this.write(next);
    return next;
  }
}

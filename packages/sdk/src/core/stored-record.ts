import type { StorageAdapter } from './runtime.ts';

/**
 * One JSON record under one storage key, read on every access so that tabs sharing the storage
 * see each other's writes. Unreadable data reads as the fallback rather than breaking the SDK.
 */
export class StoredRecord<T> {
  constructor(
    private readonly storage: StorageAdapter,
    private readonly key: string,
    private readonly fallback: () => T,
  ) {}

  read(): T {
    try {
      const text = this.storage.getItem(this.key);
      if (text !== null) return JSON.parse(text) as T;
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

import type { StorageAdapter } from './runtime.ts';

/** A plain JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A parsed record, frozen all the way down: it is shared by every read of the same text. */
export type Frozen<T> = T extends object ? { readonly [K in keyof T]: Frozen<T[K]> } : T;

/** A `JSON.parse` reviver that freezes every object and array as it is built. */
const freeze = (_key: string, value: unknown) => Object.freeze(value);

/**
 * One JSON record under one storage key, read on every access so that tabs sharing the storage
 * see each other's writes. Unreadable data, and readable JSON of the wrong shape (`null`, a
 * number, a string written by another script), reads as the fallback rather than breaking the SDK.
 *
 * The text read back is compared with the last text parsed, and while it is the same the parsed
 * value is reused (`track()` reads two records per call, and parsing them was a fifth of its
 * cost). That value is frozen, so no caller can change what the next read returns; a change is
 * made by writing a new value.
 */
export class StoredRecord<T> {
  private parsedText: string | null = null;
  private parsed: Frozen<T> | undefined;

  constructor(
    private readonly storage: StorageAdapter,
    private readonly key: string,
    private readonly fallback: () => T,
    private readonly isValid: (value: unknown) => boolean,
  ) {}

  read(): Frozen<T> {
    try {
      const text = this.storage.getItem(this.key);
      if (text !== null) {
        if (text === this.parsedText) return this.parsed as Frozen<T>;
        const value: unknown = JSON.parse(text, freeze);
        if (this.isValid(value)) {
          this.parsed = value as Frozen<T>;
          this.parsedText = text;
          return this.parsed;
        }
      }
    } catch {
      // fall through: a corrupt record is replaced by a fresh one
    }
    return this.fallback() as Frozen<T>;
  }

  /** Returns false when the value is only kept in memory (storage missing or full). */
  write(value: T): boolean {
    return this.storage.setItem(this.key, JSON.stringify(value)) !== false;
  }
}

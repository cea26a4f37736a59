import type { StorageAdapter } from '../core/runtime.ts';

/**
 * The part of `@react-native-async-storage/async-storage` the SDK uses, in both its shapes:
 * version 3 (`getMany`/`setMany`/`removeMany`) and versions 1–2 (`multiGet`/`multiSet`/
 * `multiRemove`); without either, one call per key. Typed here so that the SDK's declarations
 * need neither React Native nor the package installed.
 */
export interface AsyncStorageLike {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<unknown>;
  removeItem(key: string): Promise<unknown>;
  getAllKeys(): Promise<readonly string[]>;
  getMany?(keys: string[]): Promise<Record<string, string | null>>;
  setMany?(entries: Record<string, string>): Promise<unknown>;
  removeMany?(keys: string[]): Promise<unknown>;
  multiGet?(keys: readonly string[]): Promise<readonly (readonly [string, string | null])[]>;
  multiSet?(pairs: [string, string][]): Promise<unknown>;
  multiRemove?(keys: readonly string[]): Promise<unknown>;
}

/**
 * AsyncStorage is the package's default export, which arrives wrapped differently by each
 * bundler and build: as `default` of the ES module (Metro, the ESM build), or once more inside
 * `default` when the CommonJS build requires its CommonJS form (Jest in an app's tests).
 */
export function asyncStorageOf(module: unknown): AsyncStorageLike {
  let candidate = module as { default?: unknown; getItem?: unknown } | undefined;
  for (let depth = 0; depth < 3 && candidate; depth++) {
    if (typeof candidate.getItem === 'function') return candidate as AsyncStorageLike;
    candidate = candidate.default as typeof candidate;
  }
  return module as AsyncStorageLike;
}

async function readAll(store: AsyncStorageLike, keys: string[]): Promise<[string, string | null][]> {
  if (keys.length === 0) return [];
  if (store.getMany) {
    const values = await store.getMany(keys);
    return keys.map((key) => [key, values[key] ?? null]);
  }
  if (store.multiGet) return (await store.multiGet(keys)).map(([key, value]) => [key, value]);
  return Promise.all(
    keys.map(async (key): Promise<[string, string | null]> => [key, await store.getItem(key)]),
  );
}

async function writeAll(store: AsyncStorageLike, sets: [string, string][], removes: string[]): Promise<void> {
  const work: Promise<unknown>[] = [];
  if (sets.length > 0) {
    if (store.setMany) work.push(store.setMany(Object.fromEntries(sets)));
    else if (store.multiSet) work.push(store.multiSet(sets));
    else for (const [key, value] of sets) work.push(store.setItem(key, value));
  }
  if (removes.length > 0) {
    if (store.removeMany) work.push(store.removeMany(removes));
    else if (store.multiRemove) work.push(store.multiRemove(removes));
    else for (const key of removes) work.push(store.removeItem(key));
  }
  await Promise.all(work);
}

/**
 * Reads every key under `prefix` from AsyncStorage, then serves the SDK's synchronous storage
 * from that copy in memory: reads never wait, and each write changes the copy at once and is
 * written to AsyncStorage in the background, coalesced with the writes of the same turn (a
 * `track()` writes its event and the session's activity). `persist()`, which `flush()`,
 * `logout()` and `close()` await, resolves once everything written so far is on disk. A write
 * AsyncStorage refuses stays pending and is tried again with the next; meanwhile `setItem`
 * returns false, which `stats().storageFallbacks` counts. Keys of the app's own are never read.
 * Storage that cannot be read at all starts empty (logged) rather than failing the SDK.
 *
 * @example
 * const storage = await openAsyncStorage(AsyncStorage, 'signet:APP_ID:');
 */
export async function openAsyncStorage(
  store: AsyncStorageLike,
  prefix: string,
  log: (message: string) => void = () => {},
): Promise<StorageAdapter> {
  const map = new Map<string, string>();
  try {
    const keys = (await store.getAllKeys()).filter((key) => key.startsWith(prefix));
    for (const [key, value] of await readAll(store, keys)) if (value !== null) map.set(key, value);
  } catch (error) {
    // Unreadable storage must not cost the app its events: they are kept in memory and
    // written when AsyncStorage takes writes again. What it held is not seen by this run.
    log(`AsyncStorage could not be read (${String(error)}): starting from nothing`);
  }

  /** Writes not yet on disk: the newest value of each key, or null for a removal. */
  const pending = new Map<string, string | null>();
  let writing: Promise<void> = Promise.resolve();
  let scheduled = false;
  let failing = false;

  const writePending = async () => {
    scheduled = false;
    if (pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    const sets = batch.filter((entry): entry is [string, string] => entry[1] !== null);
    const removes = batch.filter(([, value]) => value === null).map(([key]) => key);
    try {
      await writeAll(store, sets, removes);
      failing = false;
    } catch (error) {
      // Keep what failed unless a newer write of the same key came meanwhile.
      for (const [key, value] of batch) if (!pending.has(key)) pending.set(key, value);
      if (!failing) log(`AsyncStorage write failed (${String(error)}): kept in memory, tried again`);
      failing = true;
    }
  };
  const writeSoon = () => {
    if (scheduled) return;
    scheduled = true;
    writing = writing.then(writePending);
  };

  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => {
      map.set(key, value);
      pending.set(key, value);
      writeSoon();
      return !failing;
    },
    removeItem: (key) => {
      if (!map.delete(key) && !pending.has(key)) return;
      pending.set(key, null);
      writeSoon();
    },
    keys: () => [...map.keys()],
    persist: async () => {
      await writing;
      if (pending.size > 0) {
        writeSoon();
        await writing;
      }
    },
  };
}

import type { StorageAdapter } from './runtime.ts';

/**
 * A storage adapter that keeps everything in memory (lost on exit).
 *
 * @example
 * Signet.init({ appId, endpoint, storage: memoryStorage() });
 */
export function memoryStorage(): StorageAdapter {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => {
      map.set(key, value);
      return true;
    },
    removeItem: (key) => {
      map.delete(key);
    },
    keys: () => [...map.keys()],
  };
}

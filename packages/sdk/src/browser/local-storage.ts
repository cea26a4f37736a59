import type { StorageAdapter } from '../core/runtime.ts';

/**
 * `localStorage`, falling back to memory for a write it cannot take (storage missing, disabled,
 * or full). `setItem` then returns false, which `stats().storageFallbacks` counts.
 *
 * @example
 * Signet.init({ appId, endpoint, storage: localStorageAdapter() });
 */
export function localStorageAdapter(): StorageAdapter {
  const memory = new Map<string, string>();
  let store: Storage | null = null;
  try {
    store = globalThis.localStorage ?? null;
  } catch {
    // Some browsers throw on access when storage is disabled.
  }
  return {
    getItem(key) {
      const kept = memory.get(key);
      if (kept !== undefined) return kept;
      try {
        return store?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    setItem(key, value) {
      try {
        if (store) {
          store.setItem(key, value);
          memory.delete(key);
          return true;
        }
      } catch {
        // QuotaExceededError: keep it in memory for this page's life.
      }
      memory.set(key, value);
      return false;
    },
    removeItem(key) {
      memory.delete(key);
      try {
        store?.removeItem(key);
      } catch {}
    },
    keys() {
      const keys = new Set(memory.keys());
      try {
        for (let i = 0; store && i < store.length; i++) keys.add(store.key(i) as string);
      } catch {}
      return [...keys];
    },
  };
}

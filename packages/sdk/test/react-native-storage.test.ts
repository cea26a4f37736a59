import { createAsyncStorage } from '@react-native-async-storage/async-storage/jest';
import { describe, expect, it } from 'vitest';
import {
  type AsyncStorageLike,
  asyncStorageOf,
  openAsyncStorage,
} from '../src/react-native/async-storage.ts';

// The AsyncStorage adapter on the package's own in-memory implementation (version 3), and on a
// version-2-shaped store (multiGet/multiSet/multiRemove) made over it.

/** A store with only the calls of @react-native-async-storage/async-storage 1.x–2.x. */
function version2(store: AsyncStorageLike, calls: string[]): AsyncStorageLike {
  return {
    getItem: (key) => store.getItem(key),
    setItem: (key, value) => store.setItem(key, value),
    removeItem: (key) => store.removeItem(key),
    getAllKeys: () => store.getAllKeys(),
    multiGet: async (keys) => {
      calls.push(`multiGet ${keys.length}`);
      return Promise.all(keys.map(async (key) => [key, await store.getItem(key)] as const));
    },
    multiSet: async (pairs) => {
      calls.push(`multiSet ${pairs.length}`);
      for (const [key, value] of pairs) await store.setItem(key, value);
    },
    multiRemove: async (keys) => {
      calls.push(`multiRemove ${keys.length}`);
      for (const key of keys) await store.removeItem(key);
    },
  };
}

describe('openAsyncStorage', () => {
  it('reads only its own prefix, serves reads from memory, and writes each turn’s changes in one call', async () => {
    const store = createAsyncStorage('adapter-v3');
    await store.setItem('signet:a:identity', '{"anonymousId":"x"}');
    await store.setItem('app:own', 'not ours');
    const storage = await openAsyncStorage(store, 'signet:a:');
    expect(storage.keys()).toEqual(['signet:a:identity']);
    storage.setItem('signet:a:q:1', 'e1');
    storage.setItem('signet:a:q:2', 'e2');
    storage.removeItem('signet:a:identity');
    expect(storage.getItem('signet:a:q:1')).toBe('e1');
    expect(await store.getItem('signet:a:q:1')).toBeNull(); // not yet
    await storage.persist?.();
    expect(await store.getMany(['signet:a:q:1', 'signet:a:q:2', 'signet:a:identity', 'app:own'])).toEqual({
      'signet:a:q:1': 'e1',
      'signet:a:q:2': 'e2',
      'signet:a:identity': null,
      'app:own': 'not ours',
    });
  });

  it('uses multiGet/multiSet/multiRemove on versions 1–2', async () => {
    const calls: string[] = [];
    const inner = createAsyncStorage('adapter-v2');
    await inner.setItem('signet:a:q:1', 'e1');
    const storage = await openAsyncStorage(version2(inner, calls), 'signet:a:');
    expect(storage.getItem('signet:a:q:1')).toBe('e1');
    storage.setItem('signet:a:q:2', 'e2');
    storage.removeItem('signet:a:q:1');
    await storage.persist?.();
    expect(calls).toEqual(['multiGet 1', 'multiSet 1', 'multiRemove 1']);
    expect(await inner.getAllKeys()).toEqual(['signet:a:q:2']);
  });

  it('keeps writes AsyncStorage refused and tries them again; meanwhile setItem reports the fallback', async () => {
    const inner = createAsyncStorage('adapter-failing');
    let broken = true;
    const store: AsyncStorageLike = {
      ...inner,
      setMany: async (entries) => {
        if (broken) throw new Error('disk full');
        await inner.setMany(entries);
      },
    };
    const lines: string[] = [];
    const storage = await openAsyncStorage(store, 'signet:a:', (line) => lines.push(line));
    storage.setItem('signet:a:q:1', 'e1');
    await storage.persist?.();
    expect(storage.setItem('signet:a:q:2', 'e2')).toBe(false);
    expect(lines).toEqual(['AsyncStorage write failed (Error: disk full): kept in memory, tried again']);
    broken = false;
    await storage.persist?.();
    expect(await inner.getMany(['signet:a:q:1', 'signet:a:q:2'])).toEqual({
      'signet:a:q:1': 'e1',
      'signet:a:q:2': 'e2',
    });
    expect(storage.setItem('signet:a:q:3', 'e3')).toBe(true);
  });

  it('starts empty (logged) when AsyncStorage cannot be read', async () => {
    const lines: string[] = [];
    const inner = createAsyncStorage('adapter-unreadable');
    const storage = await openAsyncStorage(
      { ...inner, getAllKeys: async () => Promise.reject(new Error('no database')) },
      'signet:a:',
      (line) => lines.push(line),
    );
    expect(storage.keys()).toEqual([]);
    expect(lines[0]).toContain('could not be read');
  });
});

describe('asyncStorageOf', () => {
  it('finds AsyncStorage however the default export arrives (ES module, CommonJS, CommonJS in Node mode)', async () => {
    const store = createAsyncStorage('interop');
    expect(asyncStorageOf(store)).toBe(store);
    expect(asyncStorageOf({ default: store, createAsyncStorage })).toBe(store);
    expect(asyncStorageOf({ default: { __esModule: true, default: store } })).toBe(store);
  });
});

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StorageAdapter } from '../core/runtime.ts';

/**
 * A storage adapter over one JSON file. Reads happen once, at creation; writes are coalesced and
 * land atomically (write a temporary file, then rename over the old one), so a crash leaves
 * either the old or the new state, never half of one. Pending writes are also flushed
 * synchronously when the process exits.
 *
 * @example
 * Signet.init({ appId, endpoint, storage: fileStorage('/var/lib/my-app/signet.json') });
 */
export function fileStorage(path: string): StorageAdapter {
  const map = new Map<string, string>();
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    for (const [key, value] of Object.entries(data)) if (typeof value === 'string') map.set(key, value);
  } catch (error) {
    // A missing file is a fresh start; an unreadable one is moved aside rather than lost.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      try {
        renameSync(path, `${path}.corrupt-${Date.now()}`);
      } catch {}
    }
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const snapshot = () => JSON.stringify(Object.fromEntries(map));
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();

  const writeSoon = () => {
    if (dirty) return;
    dirty = true;
    writing = writing.then(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      if (!dirty) return;
      dirty = false;
      try {
        await writeFile(tmp, snapshot(), { mode: 0o600 });
        await rename(tmp, path);
      } catch {
        // Disk full or the directory removed: the data stays in memory and the next write retries.
        dirty = true;
      }
    });
  };
  const writeNow = () => {
    if (!dirty) return;
    try {
      writeFileSync(tmp, snapshot(), { mode: 0o600 });
      renameSync(tmp, path);
      dirty = false;
    } catch {
      // Same as above: kept in memory; an exit handler must never throw.
    }
  };
  process.once('exit', writeNow);

  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => {
      map.set(key, value);
      writeSoon();
      return true;
    },
    removeItem: (key) => {
      if (map.delete(key)) writeSoon();
    },
    keys: () => [...map.keys()],
    persist: async () => {
      await writing;
      writeNow();
    },
  };
}

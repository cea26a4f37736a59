import { parentPort } from 'node:worker_threads';
import { LRUCache } from 'lru-cache';
import { createThisThreadCheck, type ThisThreadCheck } from './this-thread-check.ts';
import type { WorkerAnswer, WorkerBatch } from './verification-workers.ts';

/**
 * A worker thread's side of {@link checkOnWorker}: the same fast-jwt check as on the calling
 * thread, so a batch of tokens is checked on another core. Each check is made the first time
 * its id is seen and kept (most recently used) for the tokens after it.
 */
const port = parentPort;
if (!port) throw new Error('verification-worker.ts runs only as a worker thread');

const checks = new LRUCache<string, ThisThreadCheck>({ max: 1_000 });

port.on('message', ({ batch, specs, items }: WorkerBatch) => {
  const made = specs.map(({ id, jwk, alg, settings }) => {
    let check = checks.get(id);
    if (!check) {
      check = createThisThreadCheck({ kid: id, algorithms: [alg], jwk }, alg, settings);
      checks.set(id, check);
    }
    return check;
  });
  const answers = items.map(([token, nowSeconds, specIndexes]) => {
    for (let i = 0; i < specIndexes.length; i++) {
      const payload = made[specIndexes[i] as number]?.(token, nowSeconds);
      if (payload) return [i, payload] as const;
    }
    return null;
  });
  port.postMessage({ batch, answers } satisfies WorkerAnswer);
});
port.postMessage('ready');

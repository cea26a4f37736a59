import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStorage } from '../src/core/memory-storage.ts';
import { SignetClient } from '../src/core/signet-client.ts';
import { fileStorage } from '../src/node/file-storage.ts';

/*
 * The cost of `track()`: queueing one event with 3 properties (id, session, storage write), with
 * sending out of the picture (nothing is flushed during the run). `npm run bench:track -w @signet/sdk`.
 */
/** Odd, so the median is one round; many, because a few rounds on a shared machine stall. */
const ROUNDS = 21;
/**
 * Rounds run first and not counted: V8 needs about 10 rounds (20,000 calls) to settle its
 * optimised code, longer for the second storage, whose different shape makes it re-optimise.
 */
const WARM_UP_ROUNDS = 10;
const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
for (const [label, storage] of [
  ['memory storage', memoryStorage()],
  ['Node file storage', fileStorage(join(dir, 'q.json'))],
] as const) {
  const transport = async () => ({ status: 200, headers: { get: () => null }, json: async () => ({}) });
  const client = new SignetClient(
    {
      appId: 'bench',
      endpoint: 'http://127.0.0.1:9',
      flushAt: 500,
      flushIntervalMs: 3_600_000,
      maxQueueSize: 100_000,
    },
    { storage, transport, sdkName: 'bench' },
  );
  const runs: number[] = [];
  for (let round = -WARM_UP_ROUNDS; round < ROUNDS; round++) {
    const n = 2000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) client.track('Added to cart', { sku: `A${i}`, price: 9.99, qty: 1 });
    if (round >= 0) runs.push(Number(process.hrtime.bigint() - start) / 1000 / n);
    for (const key of storage.keys()) if (key.includes(':q:')) storage.removeItem(key);
    await client.close();
  }
  runs.sort((a, b) => a - b);
  const median = runs[(ROUNDS - 1) / 2]?.toFixed(2);
  console.log(`track() with ${label}: median ${median} µs per call (${ROUNDS} rounds of 2000)`);
}

// Memory held by 10,000 queued events (memory storage, nothing sent), measured after GC.
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  const storage = memoryStorage();
  const transport = async () => ({ status: 200, headers: { get: () => null }, json: async () => ({}) });
  gc();
  const before = process.memoryUsage().heapUsed;
  const client = new SignetClient(
    {
      appId: 'mem',
      endpoint: 'http://127.0.0.1:9',
      flushAt: 500,
      flushIntervalMs: 3_600_000,
      maxQueueSize: 100_000,
    },
    { storage, transport, sdkName: 'bench' },
  );
  for (let i = 0; i < 10_000; i++) client.track('Added to cart', { sku: `A${i}`, price: 9.99, qty: 1 });
  gc();
  const mb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  console.log(
    `memory for 10,000 queued events: ${mb.toFixed(1)} MB (heap, after GC; ${client.stats().queued} queued)`,
  );
  await client.close();
} else {
  console.log('memory for 10,000 queued events: run with node --expose-gc to measure');
}
rmSync(dir, { recursive: true, force: true });

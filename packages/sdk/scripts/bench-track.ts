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
  for (let round = 0; round < 5; round++) {
    const n = 2000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) client.track('Added to cart', { sku: `A${i}`, price: 9.99, qty: 1 });
    runs.push(Number(process.hrtime.bigint() - start) / 1000 / n);
    for (const key of storage.keys()) if (key.includes(':q:')) storage.removeItem(key);
    await client.close();
  }
  runs.sort((a, b) => a - b);
  console.log(`track() with ${label}: median ${runs[2]?.toFixed(2)} µs per call (5 rounds of 2000)`);
}
rmSync(dir, { recursive: true, force: true });

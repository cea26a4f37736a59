/**
 * Retention while ingesting (SPEC §5 `retentionDays`): a real `signet serve` process holds
 * BENCH_EVENTS events (default 1,000,000) received 31–60 days ago, and takes anonymous 20-event
 * batches from BENCH_CONNECTIONS (default 8) concurrent clients. For BENCH_SECONDS (default 5)
 * it ingests alone (the baseline); then the app's retention is set to 30 days through the admin
 * API and the server's own deleter (SIGNET_RETENTION_INTERVAL_MS=1000, 5,000 rows a statement)
 * removes them all while the load goes on. Prints the delete rate and ingestion's batches/s,
 * median and p99 latency in both phases. SQLite always; PostgreSQL when it answers.
 *
 *   npm run bench:retention
 *   BENCH_EVENTS=200000 BENCH_ONLY=sqlite npm run bench:retention
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresUnavailable, startServerProcess } from '@signet/test-services';
import { analyzeEvents, seedEvents } from './seed-events.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ONLY = process.env.BENCH_ONLY;
const ADMIN = `bench-admin-${randomBytes(16).toString('hex')}`;
const DAY = 86_400_000;

interface Load {
  batches: number;
  seconds: number;
  medianMs: number;
  p99Ms: number;
}
interface Figures {
  backend: string;
  deleted: number;
  deleteSeconds: number;
  baseline: Load;
  duringDelete: Load;
}

async function main(): Promise<void> {
  const results: Figures[] = [];
  if (ONLY !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'signet-bench-retention-'));
    try {
      results.push(await measure('sqlite', `sqlite:${join(dir, 'signet.db')}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (ONLY !== 'sqlite') {
    if (postgresUnavailable) console.log(`postgres skipped: ${postgresUnavailable}`);
    else {
      const database = await createTestDatabase();
      try {
        results.push(await measure('postgres', database.url));
      } finally {
        await database.drop();
      }
    }
  }
  console.log(
    '\n| backend | deleted | delete time | deleted/s | ingestion alone: batches/s, median, p99 | while deleting: batches/s, median, p99 |',
  );
  console.log('|---|---:|---:|---:|---|---|');
  const load = (l: Load) =>
    `${Math.round(l.batches / l.seconds).toLocaleString('en-US')}/s, ${l.medianMs.toFixed(1)} ms, ${l.p99Ms.toFixed(1)} ms`;
  for (const r of results) {
    console.log(
      `| ${r.backend} | ${r.deleted.toLocaleString('en-US')} | ${r.deleteSeconds.toFixed(1)} s | ` +
        `${Math.round(r.deleted / r.deleteSeconds).toLocaleString('en-US')} | ${load(r.baseline)} | ${load(r.duringDelete)} |`,
    );
  }
}

async function measure(backend: string, databaseUrl: string): Promise<Figures> {
  console.log(`\n## ${backend}`);
  const server = await startServerProcess({
    SIGNET_DATABASE_URL: databaseUrl,
    SIGNET_ADMIN_TOKEN: ADMIN,
    SIGNET_RETENTION_INTERVAL_MS: '1000',
  });
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  try {
    const appId = (await admin('POST', '/apps', { name: 'Retention bench' })).id as string;
    const now = Date.now();
    const oldest = now - 60 * DAY;
    const seedSeconds = await seedEvents(databaseUrl, appId, EVENTS, oldest, now - 31 * DAY);
    console.log(`seeded ${EVENTS.toLocaleString('en-US')} events in ${seedSeconds.toFixed(1)} s`);
    if (backend === 'postgres') await analyzeEvents(databaseUrl);

    const baselineEnd = performance.now() + SECONDS * 1000;
    const alone = await (await ingest(server.url, appId, () => performance.now() > baselineEnd)).run();

    // Old events remain while this window (the oldest minute) or the whole old range answers one.
    const anyIn = async (from: number, to: number) =>
      (
        await admin(
          'GET',
          `/apps/${appId}/events?limit=1&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
        )
      ).events.length > 0;
    let started = 0;
    let done = 0;
    const load = await ingest(server.url, appId, () => done > 0);
    const running = load.run();
    await admin('PATCH', `/apps/${appId}`, { retentionDays: 30 });
    while (done === 0) {
      const t = performance.now();
      if (started === 0 && !(await anyIn(oldest, oldest + 60_000))) started = t;
      if (started > 0 && !(await anyIn(oldest, now - 30 * DAY))) done = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const during = await running;
    const figures: Figures = {
      backend,
      deleted: EVENTS,
      deleteSeconds: (done - started) / 1000,
      baseline: alone,
      duringDelete: during,
    };
    console.log(JSON.stringify(figures));
    return figures;
  } finally {
    await server.stop();
  }
}

/** CONNECTIONS clients posting 20-event anonymous batches back to back until `stop()` says so. */
async function ingest(url: string, appId: string, stop: () => boolean) {
  return {
    async run(): Promise<Load> {
      const latencies: number[] = [];
      const started = performance.now();
      const client = async () => {
        while (!stop()) {
          const sentAt = new Date().toISOString();
          const body = JSON.stringify({
            batchId: randomUUID(),
            sentAt,
            sdk: { name: 'signet-bench', version: '1.0.0' },
            user: { anonymousId: randomUUID() },
            events: Array.from({ length: 20 }, (_, i) => ({
              id: randomUUID(),
              type: 'track',
              name: 'Viewed',
              timestamp: sentAt,
              properties: { i },
            })),
          });
          const t = performance.now();
          const res = await fetch(`${url}/v1/apps/${appId}/batch`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
          latencies.push(performance.now() - t);
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, client));
      latencies.sort((a, b) => a - b);
      const at = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
      return {
        batches: latencies.length,
        seconds: (performance.now() - started) / 1000,
        medianMs: at(0.5),
        p99Ms: at(0.99),
      };
    },
  };
}

await main();

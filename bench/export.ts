/**
 * Export at scale (SPEC §5): seeds BENCH_EVENTS events (default 1,000,000) through the store's
 * own batch writer, then exports them through the real HTTP endpoint of a real `signet serve`
 * process, reading the NDJSON as a client would and sampling the server's RSS from /proc every
 * 50 ms. Prints, per backend: seed time, export time and rate, bytes, the server's RSS before
 * and its peak during the export. SQLite always; PostgreSQL when it answers at 127.0.0.1:5432.
 * (The query plans on 1,000,000 rows come from event-indexes.test.ts with SIGNET_PLAN_ROWS.)
 *
 *   npm run bench:export
 *   BENCH_EVENTS=200000 BENCH_ONLY=sqlite npm run bench:export
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '@signet/server';
import { createTestDatabase, postgresUnavailable, startServerProcess } from '@signet/test-services';

type BatchToStore = Parameters<Store['storeBatch']>[0];

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ONLY = process.env.BENCH_ONLY;
const PER_BATCH = 500;
/** Batches in flight at once while seeding: the group-commit writer shares a transaction among them. */
const SEED_CONCURRENCY = 8;
const ADMIN = `bench-admin-${randomBytes(16).toString('hex')}`;
const DAY = 86_400_000;
const NAMES = ['Viewed', 'Added to cart', 'Bought', 'Searched', 'Signed in', 'Shared', 'Rated', 'Opened'];

interface Figures {
  backend: string;
  events: number;
  seedSeconds: number;
  exportSeconds: number;
  eventsPerSecond: number;
  megabytes: number;
  rssBeforeMb: number;
  rssPeakMb: number;
}

async function main(): Promise<void> {
  const results: Figures[] = [];
  if (ONLY !== 'postgres') results.push(await onSqlite());
  if (ONLY !== 'sqlite') {
    if (postgresUnavailable) console.log(`postgres skipped: ${postgresUnavailable}`);
    else results.push(await onPostgres());
  }
  console.log(
    '\n| backend | events | seed | export | events/s | NDJSON | server RSS before | server RSS peak during export |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.backend} | ${r.events.toLocaleString('en-US')} | ${r.seedSeconds.toFixed(1)} s | ${r.exportSeconds.toFixed(1)} s | ` +
        `${Math.round(r.eventsPerSecond).toLocaleString('en-US')} | ${r.megabytes.toFixed(0)} MB | ${r.rssBeforeMb.toFixed(0)} MB | ${r.rssPeakMb.toFixed(0)} MB |`,
    );
  }
}

async function onSqlite(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-export-'));
  const url = `sqlite:${join(dir, 'signet.db')}`;
  try {
    return await measure('sqlite', url);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(): Promise<Figures> {
  const database = await createTestDatabase();
  try {
    return await measure('postgres', database.url);
  } finally {
    await database.drop();
  }
}

async function measure(backend: string, databaseUrl: string): Promise<Figures> {
  console.log(`\n## ${backend}`);
  const server = await startServerProcess({ SIGNET_DATABASE_URL: databaseUrl, SIGNET_ADMIN_TOKEN: ADMIN });
  try {
    const created = await fetch(`${server.url}/admin/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Export bench' }),
    });
    const appId = ((await created.json()) as { id: string }).id;

    const seedStarted = performance.now();
    await seed(databaseUrl, appId);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    console.log(`seeded ${EVENTS.toLocaleString('en-US')} events in ${seedSeconds.toFixed(1)} s`);

    const rssBefore = rssMb(server.pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, rssMb(server.pid));
    }, 50);
    const started = performance.now();
    const res = await fetch(`${server.url}/admin/v1/apps/${appId}/events/export`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    if (!res.ok || !res.body) throw new Error(`export answered ${res.status}`);
    let lines = 0;
    let bytes = 0;
    for await (const chunk of res.body) {
      bytes += chunk.length;
      for (const byte of chunk) if (byte === 10) lines += 1;
    }
    const exportSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, rssMb(server.pid));
    if (lines !== EVENTS) throw new Error(`exported ${lines} lines, seeded ${EVENTS}`);
    const figures: Figures = {
      backend,
      events: lines,
      seedSeconds,
      exportSeconds,
      eventsPerSecond: lines / exportSeconds,
      megabytes: bytes / 1_048_576,
      rssBeforeMb: rssBefore,
      rssPeakMb: rssPeak,
    };
    console.log(JSON.stringify(figures));
    return figures;
  } finally {
    await server.stop();
  }
}

/** Seeds EVENTS events over the last 30 days, in 500-event batches of one user each. */
async function seed(databaseUrl: string, appId: string): Promise<void> {
  const store = openStore(databaseUrl, { poolSize: 4 });
  const batches = Math.ceil(EVENTS / PER_BATCH);
  const end = Date.now() - DAY;
  const start = end - 30 * DAY;
  let next = 0;
  const worker = async () => {
    for (let b = next++; b < batches; b = next++) {
      const receivedAt = start + Math.floor(((end - start) * b) / batches);
      await store.storeBatch(batchOf(appId, b, receivedAt, Math.min(PER_BATCH, EVENTS - b * PER_BATCH)));
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  await store.close();
}

function batchOf(appId: string, b: number, receivedAt: number, count: number): BatchToStore {
  const user = `user-${b % 2_000}`;
  // One batch in ten unverified, as an optional-mode app might see.
  const verified = b % 10 !== 0;
  return {
    appId,
    batchId: randomUUID(),
    receivedAt,
    userId: user,
    anonymousId: null,
    sdkName: 'signet-web',
    sdkVersion: '1.0.0',
    verified,
    events: Array.from({ length: count }, (_, i) => {
      const id = randomUUID();
      const name = NAMES[(b + i) % NAMES.length] as string;
      const timestamp = new Date(receivedAt - 1_000).toISOString();
      const body = JSON.stringify({
        id,
        type: 'track',
        name,
        timestamp,
        properties: { sku: `sku-${i % 300}`, price: (i % 50) + 0.99, currency: 'EUR' },
        context: {
          library: { name: 'signet-web', version: '1.0.0' },
          locale: 'en-GB',
          timezone: 'Europe/London',
        },
      });
      return { id, type: 'track' as const, name, sessionId: null, body };
    }),
    outcome: verified
      ? { outcome: 'verified', code: null, reason: null }
      : { outcome: 'unverified', code: 'INVALID_SIGNATURE', reason: 'signature_invalid' },
    keyUsed: null,
    failure: null,
  };
}

/** The process's resident set, MB, from /proc (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

await main();

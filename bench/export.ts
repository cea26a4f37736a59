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
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresUnavailable, startServerProcess } from '@signet/test-services';
import { analyzeEvents, seedEvents } from './seed-events.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ONLY = process.env.BENCH_ONLY;
const ADMIN = `bench-admin-${randomBytes(16).toString('hex')}`;
const DAY = 86_400_000;

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

    const end = Date.now() - DAY;
    const seedSeconds = await seedEvents(databaseUrl, appId, EVENTS, end - 30 * DAY, end);
    console.log(`seeded ${EVENTS.toLocaleString('en-US')} events in ${seedSeconds.toFixed(1)} s`);
    if (backend === 'postgres') await analyzeEvents(databaseUrl);

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

/** The process's resident set, MB, from /proc (Linux). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

await main();

/**
 * Ingestion throughput: compiled Signet servers (ES256, `required`, batches with fresh
 * time-ordered ids) on SQLite (synchronous=full, the default, and =normal, the opt-out) and on
 * PostgreSQL, against bare node:http parsing the same body. The load comes from wrk (a C
 * program, one thread; bench/wrk-batch.lua builds each body), so the ceiling is not capped by a
 * load generator sharing the server's two cores. Servers take turns (A B C A B C …, bare first)
 * and each figure is the median of its rounds; ratios are taken within one run. Scenarios: the
 * main shape (20 events, 32 connections, one token), a new token every 50 batches, batches of 1
 * and 100 events, 8 and 64 connections. Targets 127.0.0.1 only; PostgreSQL is skipped when absent.
 * Each round also reports the cores its parts used (cpu-shares.ts): which thread is the ceiling.
 *
 *   npm run bench:ingest                                 # every scenario (about 5 minutes)
 *   BENCH_SCENARIOS=main BENCH_ROUNDS=5 npm run bench:ingest
 *   BENCH_SECONDS=10 npm run bench:ingest
 *   BENCH_SCENARIOS=main BENCH_ONLY=sqlite BENCH_PROFILE_DIR=/tmp/prof npm run bench:ingest
 *       # one server under load, writing a --cpu-prof (summarise: node bench/profile-summary.mjs FILE)
 *   BENCH_COMPARE_TREE=/tmp/before npm run bench:ingest  # also a SQLite server from another (built) checkout
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { type CpuShares, cpuShares, cpuSnapshot } from './cpu-shares.ts';
import { type WriterShares, writerShares, writerSnapshot } from './writer-groups.ts';
import { writerLimits } from './writer-limit.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Turns per server in the main scenario (A B C A B C …); each figure is the median of them. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Turns per server in the other scenarios (batch sizes, connections, token churn). */
const SWEEP_ROUNDS = Number(process.env.BENCH_SWEEP_ROUNDS ?? 2);
const ADMIN = `bench-admin-${randomBytes(16).toString('hex')}`;
const root = new URL('..', import.meta.url).pathname;
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** Tokens signed ahead per server (signing during the load would take the load generator's time). */
const TOKENS_AHEAD = 4_000;
/** Another checkout (built, with its node_modules) whose SQLite server is measured in turn with this one. */
const COMPARE_TREE = process.env.BENCH_COMPARE_TREE;

type ServerKey = 'bare' | 'sqlite' | 'sqlite-normal' | 'sqlite-inline' | 'postgres' | 'compare';

interface Scenario {
  name: string;
  events: number;
  connections: number;
  /** A new token every this many batches, as users' tokens are renewed; 0 sends one token throughout. */
  tokenChurn: number;
  rounds: number;
  servers: ServerKey[];
}

const ALL: ServerKey[] = ['bare', 'sqlite', 'sqlite-normal', 'sqlite-inline', 'postgres', 'compare'];
const SWEPT: ServerKey[] = ['bare', 'sqlite', 'postgres'];
/** The batch shape of issue #19: the ratios, and the writer limit's shape (writer-limit.ts). */
const MAIN: Scenario = {
  name: 'main',
  events: 20,
  connections: 32,
  tokenChurn: 0,
  rounds: ROUNDS,
  servers: ALL,
};
const SCENARIOS: Scenario[] = [
  MAIN,
  { name: 'churn-50', events: 20, connections: 32, tokenChurn: 50, rounds: SWEEP_ROUNDS, servers: SWEPT },
  { name: 'events-1', events: 1, connections: 32, tokenChurn: 0, rounds: SWEEP_ROUNDS, servers: SWEPT },
  { name: 'events-100', events: 100, connections: 32, tokenChurn: 0, rounds: SWEEP_ROUNDS, servers: SWEPT },
  { name: 'connections-8', events: 20, connections: 8, tokenChurn: 0, rounds: SWEEP_ROUNDS, servers: SWEPT },
  {
    name: 'connections-64',
    events: 20,
    connections: 64,
    tokenChurn: 0,
    rounds: SWEEP_ROUNDS,
    servers: SWEPT,
  },
].filter((s) => !process.env.BENCH_SCENARIOS || process.env.BENCH_SCENARIOS.split(',').includes(s.name));
/** Only these servers (e.g. `sqlite` alone, to profile it); every server by default. */
const ONLY = process.env.BENCH_ONLY?.split(',') as ServerKey[] | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts a plain-JavaScript server process and waits until it says it is listening. */
async function start(script: string, env: Record<string, string>, tree = root): Promise<ChildProcess> {
  const profiling = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profiling, script], {
    cwd: tree,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => (/ready|running at/.test(String(d)) ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return child;
}

/** Batches sent to each URL so far: later rounds go on with new tokens instead of cached ones. */
const sentTo = new Map<string, number>();
const WRK_SCRIPT = join(root, 'bench', 'wrk-batch.lua');

interface Server {
  key: ServerKey;
  name: string;
  url: string;
  tokens: string[];
  child: ChildProcess;
}

/**
 * One round of load from wrk (C, one thread), which leaves the other core to the server: a
 * load generator in Node took a core and capped the bare server, flattering every ratio.
 */
async function load(server: Server, scenario: Scenario) {
  const { url, tokens } = server;
  const churn = scenario.tokenChurn;
  const sent = sentTo.get(url) ?? 0;
  const first = churn > 0 ? Math.floor(sent / churn) % Math.max(1, tokens.length) : 0;
  const tokensFile = join(tmpdir(), `signet-bench-tokens-${process.pid}.txt`);
  writeFileSync(tokensFile, [...tokens.slice(first), ...tokens.slice(0, first)].join('\n'));
  // Bare node:http has no /metrics (it would parse the empty body of a GET and fail).
  const writerNow = () => (server.key === 'bare' ? Promise.resolve(null) : writerSnapshot(url));
  const writerBefore = await writerNow();
  const cpuBefore = cpuSnapshot(server.child.pid as number);
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const wrk = spawn(
      'wrk',
      ['-t1', `-c${scenario.connections}`, `-d${SECONDS}s`, '--latency', '-s', WRK_SCRIPT, url],
      {
        env: {
          ...process.env,
          BENCH_TOKENS_FILE: tokens.length > 0 ? tokensFile : '',
          BENCH_TOKEN_CHURN: String(churn),
          BENCH_EVENTS: String(scenario.events),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let text = '';
    wrk.stdout.on('data', (d: Buffer) => {
      text += String(d);
    });
    wrk.once('error', reject);
    wrk.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}`))));
  });
  const cpu = cpuShares(cpuBefore, cpuSnapshot(server.child.pid as number));
  const writer = writerShares(writerBefore, await writerNow(), (performance.now() - started) / 1000);
  rmSync(tokensFile, { force: true });
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
    .exec(output)
    ?.slice(1)
    .reduce((sum, n) => sum + Number(n), 0);
  sentTo.set(url, sent + requests);
  const ok = requests - non2xx;
  return {
    batchesPerSecond: Math.round(ok / SECONDS),
    p50Ms: latencyMs(output, '50%'),
    p99Ms: latencyMs(output, '99%'),
    failed: non2xx + (errors ?? 0),
    rssMb: memoryMb(server.child, 'VmRSS'),
    cpu,
    writer,
  };
}

/** A percentile from wrk's --latency table (`50%  1.23ms`), in milliseconds. */
function latencyMs(output: string, percentile: string): number {
  const match = new RegExp(`${percentile}\\s+([\\d.]+)(us|ms|s)`).exec(output);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

/** The process's resident memory now (VmRSS) or at its peak (VmHWM), in MB (Linux). */
function memoryMb(child: ChildProcess, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const kb = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
    return Math.round(kb / 1024);
  } catch {
    return Number.NaN;
  }
}

/** wrk is a Debian package (`apt-get install wrk`); without it there is no honest ceiling to measure. */
function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // wrk --version exits 1 after printing; only a missing binary throws ENOENT.
    if ((error as { code?: string }).code === 'ENOENT') {
      process.stderr.write(
        'bench:ingest needs wrk (apt-get update && apt-get install -y wrk); not measuring.\n',
      );
      process.exit(1);
    }
  }
}

const PG_ADMIN = process.env.SIGNET_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh PostgreSQL database for the run, or null (with the reason printed) when there is none. */
async function postgresDatabase(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const name = `signet_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 2_000 });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (error) {
    process.stderr.write(`PostgreSQL skipped: ${(error as Error).message}\n`);
    return null;
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * Starts a compiled Signet server (what `signet serve` runs) on `databaseUrl` with one app in
 * `required` mode, and signs tokens for it ahead of the load.
 */
async function startSignet(
  key: ServerKey,
  name: string,
  databaseUrl: string,
  env: Record<string, string> = {},
  tree = root,
): Promise<Server> {
  const port = await freePort();
  const child = await start(join(tree, 'packages/server/dist/main.js'), {
    PORT: String(port),
    SIGNET_DATABASE_URL: databaseUrl,
    SIGNET_ADMIN_TOKEN: ADMIN,
    SIGNET_LOG_LEVEL: 'warn',
    SIGNET_RATE_LIMIT_APP_PER_MINUTE: '0',
    SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: '0',
    ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  const admin = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as { id: string };
  };
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const app = await admin('POST', '/admin/v1/apps', { name: 'bench' });
  await admin('POST', `/admin/v1/apps/${app.id}/keys`, { pem: await exportSPKI(publicKey) });
  await admin('PUT', `/admin/v1/apps/${app.id}/jwt`, { mode: 'required' });
  const tokens: string[] = [];
  const churning = SCENARIOS.some((s) => s.tokenChurn > 0);
  for (let i = 0; i < (churning ? TOKENS_AHEAD : 1); i++) {
    // A distinct jti per token: each one is new to the server's cache.
    tokens.push(
      await new SignJWT({ sub: 'user-1', jti: String(i) })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    );
  }
  return { key, name, child, url: `${base}/v1/apps/${app.id}/batch`, tokens };
}

interface Round {
  scenario: string;
  server: string;
  batchesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  rssMb: number;
  cpu: CpuShares;
  writer: WriterShares | null;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Each server's median round of a scenario, its ratio to bare's median, and its latency. */
function summarise(scenario: Scenario, rounds: Round[], servers: Server[]) {
  const of = (name: string) => rounds.filter((r) => r.scenario === scenario.name && r.server === name);
  const bare = median(of('bare node:http').map((r) => r.batchesPerSecond));
  return servers.map((s) => {
    const mine = of(s.name);
    const batches = median(mine.map((r) => r.batchesPerSecond));
    // Latency of the round nearest the median, so throughput and latency describe one round.
    const typical = [...mine].sort(
      (a, b) => Math.abs(a.batchesPerSecond - batches) - Math.abs(b.batchesPerSecond - batches),
    )[0] as Round;
    return {
      server: s.name,
      'batches/s (rounds)': mine.map((r) => r.batchesPerSecond).join(', '),
      'batches/s (median)': Math.round(batches),
      'events/s': Math.round(batches * scenario.events),
      'p50 ms': typical.p50Ms,
      'p99 ms': typical.p99Ms,
      'RSS MB': Math.max(...mine.map((r) => r.rssMb)),
      failed: mine.reduce((sum, r) => sum + r.failed, 0),
      ratio: bare > 0 ? Number((batches / bare).toFixed(3)) : Number.NaN,
      // Cores used in that round (cpu-shares.ts): which thread is the ceiling, and what stays idle.
      'main thread': typical.cpu.main,
      'busiest other thread': typical.cpu.busiestThread,
      postgres: typical.cpu.postgres,
      'rest (wrk, kernel)': typical.cpu.rest,
      idle: typical.cpu.idle,
      // The writer writes one group at a time: busy near 1 makes it the ceiling (writer-groups.ts).
      'writer busy': typical.writer?.busy ?? '–',
      'commit share': typical.writer?.commitShare ?? '–',
      'batches per group': typical.writer?.batchesPerGroup ?? '–',
    };
  });
}

/**
 * Each Signet server's writer limit (writer-limit.ts), from its rounds of the main batch shape at
 * every connection count: the figure a ratio cannot pass by overlapping the threads better.
 */
function writerLimitsOf(rounds: Round[]) {
  const shape = SCENARIOS.filter((s) => s.events === MAIN.events && s.tokenChurn === MAIN.tokenChurn).map(
    (s) => s.name,
  );
  const bare = median(
    rounds
      .filter((r) => r.scenario === MAIN.name && r.server === 'bare node:http')
      .map((r) => r.batchesPerSecond),
  );
  return writerLimits(
    rounds.flatMap((r) =>
      r.writer && shape.includes(r.scenario)
        ? [
            {
              server: r.server,
              batchesPerSecond: r.batchesPerSecond,
              batchesPerGroup: r.writer.batchesPerGroup,
              msPerGroup: r.writer.msPerGroup,
            },
          ]
        : [],
    ),
    bare,
  );
}

async function main() {
  requireWrk();
  const wanted = (key: ServerKey) =>
    (!ONLY || ONLY.includes(key)) && SCENARIOS.some((s) => s.servers.includes(key));
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
  const servers: Server[] = [];
  const database = wanted('postgres') ? await postgresDatabase() : null;
  try {
    if (wanted('bare')) {
      const port = await freePort();
      const child = await start(join(root, 'bench/bare-server.mjs'), { PORT: String(port) });
      servers.push({
        key: 'bare',
        name: 'bare node:http',
        url: `http://127.0.0.1:${port}/`,
        tokens: [],
        child,
      });
    }
    if (wanted('sqlite'))
      servers.push(await startSignet('sqlite', 'signet (SQLite)', `sqlite:${join(dir, 'full.db')}`));
    if (wanted('sqlite-normal'))
      servers.push(
        await startSignet(
          'sqlite-normal',
          'signet (SQLite, synchronous=normal)',
          `sqlite:${join(dir, 'normal.db')}`,
          {
            SIGNET_SQLITE_SYNCHRONOUS: 'normal',
          },
        ),
      );
    if (wanted('sqlite-inline'))
      servers.push(
        await startSignet(
          'sqlite-inline',
          'signet (SQLite, writer on the event loop)',
          `sqlite:${join(dir, 'inline.db')}`,
          {
            SIGNET_SQLITE_WRITER_THREAD: 'false',
          },
        ),
      );
    if (database) servers.push(await startSignet('postgres', 'signet (PostgreSQL)', database.url));
    if (COMPARE_TREE && wanted('compare'))
      servers.push(
        await startSignet(
          'compare',
          `signet (SQLite, ${COMPARE_TREE})`,
          `sqlite:${join(dir, 'compare.db')}`,
          {},
          COMPARE_TREE,
        ),
      );
    const rounds: Round[] = [];
    const summaries: Record<string, ReturnType<typeof summarise>> = {};
    for (const scenario of SCENARIOS) {
      const taking = servers.filter((s) => scenario.servers.includes(s.key));
      process.stderr.write(
        `\n${scenario.name}: ${scenario.events} events per batch, ${scenario.connections} connections, ` +
          `${scenario.tokenChurn ? `a new token every ${scenario.tokenChurn} batches` : 'one token'}\n`,
      );
      for (let round = 1; round <= scenario.rounds; round++) {
        for (const server of taking) {
          process.stderr.write(`  round ${round}: ${server.name} for ${SECONDS} s … `);
          const r = await load(server, scenario);
          const { main: loop, busiestThread, postgres, rest, idle } = r.cpu;
          const w = r.writer;
          process.stderr.write(
            `${r.batchesPerSecond} batches/s; cores: main thread ${loop}, busiest other thread ${busiestThread}, ` +
              `postgres ${postgres}, rest ${rest}, idle ${idle}` +
              (w
                ? `; writer busy ${w.busy}${w.commitShare === null ? '' : ` (commit ${w.commitShare})`}, ${w.batchesPerGroup} batches per group`
                : '') +
              '\n',
          );
          rounds.push({ scenario: scenario.name, server: server.name, ...r });
        }
      }
      summaries[scenario.name] = summarise(scenario, rounds, taking);
      console.log(
        `\n${scenario.name} (${scenario.events} events/batch, ${scenario.connections} connections, token churn ${scenario.tokenChurn || 'none'}; median of ${scenario.rounds} rounds of ${SECONDS} s)`,
      );
      console.table(summaries[scenario.name]);
    }
    const limits = writerLimitsOf(rounds);
    if (limits.length > 0) {
      console.log(
        `\nwriter limit (${MAIN.events}-event batches, one token, every connection count; bare is the main scenario's median)`,
      );
      console.table(limits);
    }
    const peak = Object.fromEntries(servers.map((s) => [s.name, memoryMb(s.child, 'VmHWM')]));
    console.log('\npeak RSS (MB) over the whole run:', peak);
    writeFileSync(
      join(root, 'bench/results.json'),
      `${JSON.stringify({ at: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, seconds: SECONDS, scenarios: SCENARIOS, rounds, summaries, writerLimits: limits, peakRssMb: peak }, null, 2)}\n`,
    );
  } finally {
    // SIGINT: the servers shut down cleanly, so a --cpu-prof is written.
    for (const s of servers) s.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, PROFILE_DIR ? 3_000 : 300));
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

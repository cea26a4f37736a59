/**
 * Ingestion throughput: Signet (ES256, `required`, 20-event batches with fresh time-ordered ids)
 * on SQLite and on PostgreSQL, against bare node:http parsing the same body. The load comes from
 * wrk (a C program, one thread, 32 connections; bench/wrk-batch.lua builds each body), so the
 * ceiling is not capped by a load generator sharing the server's cores. Runs the servers in
 * turn (A B C A B C …) and reports ratios measured within this run. Targets 127.0.0.1 only.
 * PostgreSQL is skipped when absent.
 *
 *   npm run bench            # 2 rounds of 5 s per server
 *   BENCH_SECONDS=10 npm run bench
 *   BENCH_PROFILE_DIR=/tmp/prof npm run bench:ingest   # each Signet server writes a --cpu-prof there
 *   BENCH_TOKEN_CHURN=50 npm run bench:ingest          # a new token every 50 batches (0: one token)
 *   BENCH_COMPARE_TREE=/tmp/before npm run bench:ingest # also a SQLite server from another checkout
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Turns per server (A B C A B C …); each ratio takes every server's best round. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const EVENTS = 20;
const ADMIN = `bench-admin-${randomBytes(16).toString('hex')}`;
const root = new URL('..', import.meta.url).pathname;
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
/** A new token every this many batches, as users' tokens are renewed; 0 sends one token throughout. */
const TOKEN_CHURN = Number(process.env.BENCH_TOKEN_CHURN ?? 0);
/** Tokens signed ahead per server (signing during the load would take the load generator's time). */
const TOKENS_AHEAD = 4_000;
/** Another checkout (with its node_modules) whose server is measured in turn with this one. */
const COMPARE_TREE = process.env.BENCH_COMPARE_TREE;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function start(
  script: string,
  env: Record<string, string>,
  profile = false,
  tree = root,
): Promise<ChildProcess> {
  const profiling = profile && PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(
    process.execPath,
    [...profiling, '--conditions=@signet/source', '--import', 'tsx', script],
    {
      cwd: tree,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => (/ready|running at/.test(String(d)) ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return child;
}

/** Batches sent to each URL so far: later rounds go on with new tokens instead of cached ones. */
const sentTo = new Map<string, number>();
const WRK_SCRIPT = join(root, 'bench', 'wrk-batch.lua');

/**
 * One round of load from wrk (C, one thread), which leaves the other core to the server: a
 * load generator in Node took a core and capped the bare server, flattering every ratio.
 */
async function load(url: string, tokens: string[]) {
  const sent = sentTo.get(url) ?? 0;
  const first = TOKEN_CHURN > 0 ? Math.floor(sent / TOKEN_CHURN) % Math.max(1, tokens.length) : 0;
  const tokensFile = join(tmpdir(), `signet-bench-tokens-${process.pid}.txt`);
  writeFileSync(tokensFile, [...tokens.slice(first), ...tokens.slice(0, first)].join('\n'));
  const output = await new Promise<string>((resolve, reject) => {
    const wrk = spawn(
      'wrk',
      ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-s', WRK_SCRIPT, url],
      {
        env: {
          ...process.env,
          BENCH_TOKENS_FILE: tokens.length > 0 ? tokensFile : '',
          BENCH_TOKEN_CHURN: String(TOKEN_CHURN),
          BENCH_EVENTS: String(EVENTS),
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
    eventsPerSecond: Math.round((ok * EVENTS) / SECONDS),
    p50Ms: latencyMs(output, '50%'),
    p99Ms: latencyMs(output, '99%'),
    non2xx: non2xx + (errors ?? 0),
  };
}

/** A percentile from wrk's --latency table (`50%  1.23ms`), in milliseconds. */
function latencyMs(output: string, percentile: string): number {
  const match = new RegExp(`${percentile}\\s+([\\d.]+)(us|ms|s)`).exec(output);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
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

/** Starts a Signet process on `databaseUrl` with one app in `required` mode and tokens for it. */
async function startSignet(databaseUrl: string, tree = root) {
  const port = await freePort();
  const child = await start(
    'packages/server/src/main.ts',
    {
      PORT: String(port),
      SIGNET_DATABASE_URL: databaseUrl,
      SIGNET_ADMIN_TOKEN: ADMIN,
      SIGNET_LOG_LEVEL: 'warn',
      SIGNET_RATE_LIMIT_APP_PER_MINUTE: '0',
      SIGNET_RATE_LIMIT_CLIENT_PER_MINUTE: '0',
    },
    true,
    tree,
  );
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
  for (let i = 0; i < (TOKEN_CHURN > 0 ? TOKENS_AHEAD : 1); i++) {
    // A distinct jti per token: each one is new to the server's cache.
    tokens.push(
      await new SignJWT({ sub: 'user-1', jti: String(i) })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    );
  }
  return { child, url: `${base}/v1/apps/${app.id}/batch`, tokens };
}

interface Round {
  name: string;
  batchesPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

async function main() {
  requireWrk();
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
  const barePort = await freePort();
  const bare = await start('bench/bare-server.ts', { PORT: String(barePort) });
  const sqlite = await startSignet(`sqlite:${join(dir, 'bench.db')}`);
  const database = await postgresDatabase();
  const postgres = database ? await startSignet(database.url) : null;
  const compared = COMPARE_TREE ? await startSignet(`sqlite:${join(dir, 'compare.db')}`, COMPARE_TREE) : null;
  const targets: [string, string, string[]][] = [
    ['bare node:http', `http://127.0.0.1:${barePort}/`, []],
    ['signet (SQLite)', sqlite.url, sqlite.tokens],
  ];
  if (compared) targets.push([`signet (SQLite, ${COMPARE_TREE})`, compared.url, compared.tokens]);
  if (postgres) targets.push(['signet (PostgreSQL)', postgres.url, postgres.tokens]);
  try {
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, url, tokens] of targets) {
        process.stderr.write(`round ${round}: ${name} for ${SECONDS} s … `);
        const r = await load(url, tokens);
        process.stderr.write(`${r.batchesPerSecond} batches/s\n`);
        rounds.push({ name, ...r });
      }
    }
    const best = (name: string) =>
      Math.max(0, ...rounds.filter((r) => r.name === name).map((r) => r.batchesPerSecond));
    const ratios = Object.fromEntries(
      targets.slice(1).map(([name]) => [name, Number((best(name) / best('bare node:http')).toFixed(3))]),
    );
    console.table(rounds);
    for (const [name, ratio] of Object.entries(ratios))
      console.log(`ratio ${name} / bare (best of ${ROUNDS} rounds each): ${ratio}`);
    writeFileSync(
      join(root, 'bench/results.json'),
      `${JSON.stringify({ at: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, seconds: SECONDS, connections: CONNECTIONS, eventsPerBatch: EVENTS, tokenChurn: TOKEN_CHURN, rounds, ratios }, null, 2)}\n`,
    );
  } finally {
    // SIGINT: the servers shut down cleanly, so a --cpu-prof is written.
    for (const child of [bare, sqlite.child, postgres?.child, compared?.child]) child?.kill('SIGINT');
    await new Promise((r) => setTimeout(r, PROFILE_DIR ? 3_000 : 300));
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

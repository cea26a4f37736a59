// `npm run pack:check` (part of `npm test`): packs every published package, installs the
// tarballs the way a user would (an empty project, only the tarballs and the public registry),
// and tries each there: the SDK imported as ESM and CJS (SignetBackend from @signet/sdk/node run
// with plain node) and type-checked under three module resolutions (the React Native entry's
// types included), the issuer signing a token from plain `node`, and `npx signet serve` answering
// /healthz and serving the dashboard. Prints each package's tarball and install size.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLISHED = ['@signet/protocol', '@signet/verifier', '@signet/sdk', '@signet/issuer', '@signet/server'];
/** What a backend that only signs tokens must never pull in (SPEC §8). */
const NOT_IN_ISSUER = ['fastify', 'pg', 'better-sqlite3', 'ioredis', 'kysely', 'tsx', 'esbuild', 'commander'];
const TSC = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface Packed {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

const work = mkdtempSync(join(tmpdir(), 'signet-pack-check-'));
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
  if (!ok) failures.push(what);
};
const run = (cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, stdio: 'pipe' });

try {
  // 1. Pack: compiled JavaScript and declarations only, never a raw .ts file.
  const packed = JSON.parse(
    run(root, 'npm', ['pack', '--json', '--pack-destination', work, ...PUBLISHED.flatMap((p) => ['-w', p])]),
  ) as Packed[];
  const tarball = (name: string) => join(work, (packed.find((p) => p.name === name) as Packed).filename);
  for (const p of packed) {
    const rawTs = p.files.filter((f) => /\.(ts|tsx|mts|cts)$/.test(f.path) && !/\.d\.[mc]?ts$/.test(f.path));
    check(rawTs.length === 0, `${p.name}: no TypeScript source in the tarball (${rawTs.length} found)`);
  }

  // 2. Install each audience's packages into an empty project, as users would.
  const project = (name: string, packages: string[]) => {
    const dir = join(work, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
    const started = Date.now();
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', ...packages.map(tarball)], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (install.status !== 0) throw new Error(`npm install in ${name} failed:\n${install.stderr}`);
    // npm prints engine warnings on stderr.
    const warned = /EBADENGINE/.test(install.stderr);
    check(!warned, `${name}: installs without an engine warning on Node ${process.version}`);
    return { dir, seconds: (Date.now() - started) / 1000 };
  };
  const app = project('app', ['@signet/sdk', '@signet/protocol']);
  const backend = project('backend', ['@signet/issuer', '@signet/verifier', '@signet/protocol']);
  const operator = project('operator', [
    '@signet/server',
    '@signet/issuer',
    '@signet/verifier',
    '@signet/protocol',
  ]);

  // 3. The SDK: ESM and CJS, Node and browser entry points, and types under every resolution.
  writeFileSync(
    join(app.dir, 'esm.mjs'),
    `import { Signet } from '@signet/sdk';
import * as browser from '@signet/sdk/browser';
import { SignetBackend } from '@signet/sdk/node';
if (typeof Signet.init !== 'function' || typeof browser.Signet.init !== 'function') process.exit(1);
// The backend client for many users: made, given an event, closed (nothing listens on port 9).
const backend = SignetBackend.init({ appId: 'app_1', endpoint: 'http://127.0.0.1:9' });
backend.track({ userId: 'user-42', name: 'Invoice paid' });
await backend.close();
if (backend.stats().queued !== 1) process.exit(1);`,
  );
  writeFileSync(
    join(app.dir, 'cjs.cjs'),
    `const { Signet } = require('@signet/sdk');
const { SignetBackend } = require('@signet/sdk/node');
if (typeof Signet.init !== 'function' || typeof SignetBackend.init !== 'function') process.exit(1);`,
  );
  for (const script of ['esm.mjs', 'cjs.cjs']) {
    check(tryRun(app.dir, process.execPath, [script]), `@signet/sdk: ${script} imports it with plain node`);
  }
  writeFileSync(
    join(app.dir, 'integration.ts'),
    `import { type BatchEvent, Signet } from '@signet/sdk';
import type { Signet as BrowserSignet } from '@signet/sdk/browser';
import { SignetBackend, type SignetBackendStats } from '@signet/sdk/node';
// Types only: React Native is not installed here, so its entry is never loaded.
import type { AsyncStorageLike, Signet as NativeSignet } from '@signet/sdk/react-native';

export async function startBackend(token: string): Promise<SignetBackendStats> {
  const backend = SignetBackend.init({
    appId: 'app_1',
    endpoint: 'http://127.0.0.1:4000',
    tokenProvider: async (userId: string) => \`token-for-\${userId}\`,
  });
  backend.registerAuthenticationListener((error) => {
    const user: string = error.data.userIdentifier;
    void user;
  });
  backend.identify({ userId: 'user-42', token, traits: { plan: 'pro' } });
  backend.track({ userId: 'user-42', name: 'Invoice paid', properties: { amount: 120 } });
  backend.page({ userId: 'user-7', name: 'Invoice' });
  await backend.flush();
  await backend.close();
  return backend.stats();
}

export async function startNative(native: typeof NativeSignet, asyncStorage: AsyncStorageLike): Promise<number> {
  const signet = native.init({
    appId: 'app_1',
    endpoint: 'https://collect.example.com',
    networkRequest: { authorization: { jwtEnabled: true } },
    asyncStorage,
  });
  signet.identify('user-42', { plan: 'pro' });
  signet.page('Home');
  signet.track('Added to cart', { sku: 'A1' });
  await signet.flush();
  return signet.stats().queued;
}

export async function start(token: string): Promise<number> {
  const signet = Signet.init({
    appId: 'app_1',
    endpoint: 'http://127.0.0.1:4000',
    networkRequest: { authorization: { jwtEnabled: true } },
    tokenProvider: async (userIdentifier: string) => \`token-for-\${userIdentifier}\`,
    beforeSend: (event: BatchEvent) => {
      if (event.type === 'track' && event.name === 'Debug') return null;
      if (event.context) delete event.context.timezone;
      return event;
    },
  });
  const off = signet.registerAuthenticationListener((error) => {
    const code: string = error.data.code;
    void code;
  });
  signet.identify('user-42', { plan: 'pro' });
  signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'user-42' });
  signet.register({ app_version: '2.4.0' });
  signet.page('Pricing', { plan_shown: 'pro' });
  signet.track('Added to cart', { sku: 'A1' });
  signet.unregister('app_version');
  const optedOut: boolean = signet.isOptedOut();
  if (optedOut) signet.optIn();
  await signet.flush();
  off();
  const other: typeof BrowserSignet | null = null;
  void other;
  return signet.stats().queued;
}
`,
  );
  const typeRoots = join(root, 'node_modules', '@types');
  for (const [module, resolution] of [
    ['nodenext', 'nodenext'],
    ['esnext', 'bundler'],
    ['commonjs', 'node10'],
  ] as const) {
    const ok = tryRun(app.dir, process.execPath, [
      TSC,
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      'false',
      '--module',
      module,
      '--moduleResolution',
      resolution,
      '--target',
      'es2022',
      '--lib',
      'es2022,dom',
      '--typeRoots',
      typeRoots,
      '--types',
      'node',
      'integration.ts',
    ]);
    check(
      ok,
      `@signet/sdk: a strict integration type-checks under ${resolution} resolution (skipLibCheck false)`,
    );
  }

  // 4. The issuer from plain node: a key pair, a token, and its own verdict on it.
  writeFileSync(
    join(backend.dir, 'sign.mjs'),
    `import { createTokenIssuer, generateKeyPair, verifyToken } from '@signet/issuer';
const pair = await generateKeyPair({ alg: 'ES256' });
const issuer = createTokenIssuer({ privateKey: pair.privateKeyPem, ttl: '15m' });
const token = await issuer.issue('user-42');
const verdict = await verifyToken(token, [pair.publicKeyPem], { subject: 'user-42' });
if (!verdict.ok) { console.error(JSON.stringify(verdict)); process.exit(1); }`,
  );
  check(
    tryRun(backend.dir, process.execPath, ['sign.mjs']),
    '@signet/issuer: signs and verifies a token with plain node',
  );
  const backendPackages = installedPackages(backend.dir);
  const unwanted = NOT_IN_ISSUER.filter((name) => backendPackages.includes(name));
  check(
    unwanted.length === 0,
    `@signet/issuer: pulls in none of ${NOT_IN_ISSUER.join(', ')} (${unwanted.join(', ') || 'none'})`,
  );

  // 5. The server from its bin: --help, then serve with the dashboard, on a real port.
  check(tryRun(operator.dir, 'npx', ['signet', '--help']), '@signet/server: npx signet --help');
  const port = await freePort();
  const server = spawn(
    'npx',
    ['signet', 'serve', '--port', String(port), '--database-url', 'sqlite:./signet.db'],
    {
      cwd: operator.dir,
      env: {
        ...process.env,
        SIGNET_ADMIN_TOKEN: 'pack-check-admin-token-0123456789abcdef',
        SIGNET_LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
      detached: true,
    },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    const health = await poll(`${base}/healthz`, 30_000);
    check(health === 200, `@signet/server: npx signet serve answers /healthz (${health})`);
    const page = await fetch(`${base}/`).then(async (r) => ({ status: r.status, text: await r.text() }));
    check(
      page.status === 200 && page.text.includes('/assets/') && !page.text.includes('npm run build'),
      '@signet/server: serves the built dashboard at /',
    );
    // A batch stored and read back: the installed package's compiled writer thread at work.
    const admin = { authorization: 'Bearer pack-check-admin-token-0123456789abcdef' };
    const app = (await fetch(`${base}/admin/v1/apps`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'pack-check' }),
    }).then((r) => r.json())) as { id: string };
    const now = new Date().toISOString();
    const stored = await fetch(`${base}/v1/apps/${app.id}/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        batchId: randomUUID(),
        sentAt: now,
        user: { anonymousId: 'pack-check' },
        events: [{ id: randomUUID(), type: 'track', name: 'Installed', timestamp: now }],
      }),
    }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const events = (await fetch(`${base}/admin/v1/apps/${app.id}/events`, { headers: admin }).then((r) =>
      r.json(),
    )) as { events: unknown[] };
    check(
      stored.status === 200 && events.events.length === 1,
      `@signet/server: stores a batch and reads it back (${stored.status} ${stored.body}, ${events.events.length} event)`,
    );
  } finally {
    stop(server);
  }

  // 6. Figures for the release notes.
  process.stdout.write('\npackage            tarball   unpacked  files\n');
  for (const p of packed) {
    process.stdout.write(
      `${p.name.padEnd(18)} ${kb(p.size).padStart(8)} ${kb(p.unpackedSize).padStart(9)} ${String(p.files.length).padStart(6)}\n`,
    );
  }
  process.stdout.write('\ninstall (empty project, tarballs + public registry)  packages  size\n');
  for (const [what, project] of [
    ['@signet/sdk', app],
    ['@signet/issuer', backend],
    ['@signet/server', operator],
  ] as const) {
    const count = installedPackages(project.dir).length;
    const size = bytesUnder(join(project.dir, 'node_modules'));
    process.stdout.write(
      `${what.padEnd(52)} ${String(count).padStart(8)}  ${(size / 1_048_576).toFixed(1)} MB (${project.seconds.toFixed(0)} s)\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  process.stderr.write(`\npack:check: ${failures.length} check(s) failed\n`);
  process.exit(1);
}
process.stdout.write('\npack:check: every package installs and works from its tarball\n');

function tryRun(cwd: string, command: string, args: string[]): boolean {
  try {
    run(cwd, command, args);
    return true;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    process.stderr.write(`${command} ${args.join(' ')}:\n${stdout ?? ''}${stderr ?? ''}\n`);
    return false;
  }
}

/** Every package folder in node_modules (scoped ones counted one by one). */
function installedPackages(dir: string): string[] {
  const modules = join(dir, 'node_modules');
  const names: string[] = [];
  const walk = (folder: string, prefix: string) => {
    for (const entry of readdirSync(folder)) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@') && prefix === '') walk(join(folder, entry), `${entry}/`);
      else names.push(`${prefix}${entry}`);
      const nested = join(folder, entry, 'node_modules');
      if (prefix === '' && !entry.startsWith('@') && exists(nested)) walk(nested, '');
    }
  };
  walk(modules, '');
  return names;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function bytesUnder(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** GETs `url` until it answers or `timeoutMs` passes; the last status, or 0 when never answered. */
async function poll(url: string, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      return (await fetch(url)).status;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return 0;
}

/** Ends `npx` and the server it started (one process group). */
function stop(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

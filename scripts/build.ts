// `npm run build`, also run by `npm ci` (prepare), `npm start`, `npm run demo` and `npm test`:
// compiles what users install and what the repository runs to JavaScript (tsc, incremental),
// then builds the SDK's bundles and the dashboard when their sources changed. Nothing compiles
// TypeScript at run time afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = (...path: string[]) => join(root, ...path);

/** The newest modification time under `path` (a file or a folder). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** True when `output` is missing or older than any of `inputs`. */
function stale(output: string, inputs: string[]): boolean {
  return !existsSync(output) || statSync(output).mtimeMs < Math.max(...inputs.map(newest));
}

async function timed(what: string, work: () => unknown): Promise<void> {
  const started = Date.now();
  await work();
  process.stdout.write(`build: ${what} in ${Date.now() - started} ms\n`);
}

await timed('packages compiled (tsc -b tsconfig.build.json)', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', at('tsconfig.build.json')], { stdio: 'inherit' });
});

const protocolSources = at('packages/protocol/src');
if (
  stale(at('packages/sdk/dist/signet.iife.js'), [
    at('packages/sdk/src'),
    at('packages/sdk/scripts'),
    protocolSources,
  ])
) {
  await timed('SDK bundles and types built', async () => {
    const { buildSdk } = await import('../packages/sdk/scripts/build.ts');
    await buildSdk();
  });
}

const dashboard = at('packages/dashboard');
const dashboardInputs = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) =>
  join(dashboard, p),
);
if (stale(at('packages/server/dashboard/index.html'), [...dashboardInputs, protocolSources])) {
  await timed('dashboard built into packages/server/dashboard', async () => {
    const { build } = await import('vite');
    await build({ configFile: join(dashboard, 'vite.config.ts') });
  });
}

// Builds the dashboard when dist/ is missing or older than any source file, so `npm start`
// and the browser tests always serve the current UI without rebuilding when nothing changed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'index.html');

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Builds unless dist/index.html is newer than src/, index.html, vite.config.ts and package.json. */
export async function ensureBuilt(): Promise<boolean> {
  const inputs = ['src', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(root, p));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...inputs.map(newest))) return false;
  const { build } = await import('vite');
  await build({ configFile: join(root, 'vite.config.ts') });
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const rebuilt = await ensureBuilt();
  process.stdout.write(
    rebuilt ? `dashboard built in ${Date.now() - started} ms\n` : 'dashboard is up to date\n',
  );
}

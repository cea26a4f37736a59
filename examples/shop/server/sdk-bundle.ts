import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where the SDK's workspace lives (its sources and its build script). */
const sdkRoot = dirname(fileURLToPath(import.meta.resolve('@signet/sdk/package.json')));

/** The default build directory: the shop's own, so the SDK's dist/ (with its types) stays as it is. */
export const DEFAULT_SDK_BUILD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.sdk-build');

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/**
 * The path of the SDK's script-tag build (`signet.iife.js`, sets `window.Signet`), built with the
 * SDK's own build script when missing or older than the SDK's sources. The page loads it from the
 * shop itself: no CDN, and the demo always runs the SDK of this checkout.
 *
 * @example
 * const bundle = await ensureSdkBundle(); // …/examples/shop/.sdk-build/signet.iife.js
 */
export async function ensureSdkBundle(outDir = DEFAULT_SDK_BUILD_DIR): Promise<string> {
  const bundle = join(outDir, 'signet.iife.js');
  const inputs = ['src', 'scripts', 'package.json'].map((p) => join(sdkRoot, p));
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= Math.max(...inputs.map(newest))) return bundle;
  // A path computed at run time: the build script belongs to the SDK's workspace, not this one.
  const script = pathToFileURL(join(sdkRoot, 'scripts', 'build.ts')).href;
  const { buildSdk } = (await import(script)) as {
    buildSdk(outDir: string, options: { types: boolean }): Promise<{ iife: string }>;
  };
  return (await buildSdk(outDir, { types: false })).iife;
}

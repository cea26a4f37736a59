import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

/*
 * Builds the SDK with esbuild: ESM and CJS for Node, for browsers (bundlers) and for React Native
 * (Metro), a minified script-tag IIFE that sets `window.Signet`, and (unless `types: false`)
 * declarations with tsc.
 * Used by `npm run build -w @signet/sdk` and by the tests, which build into a temp directory.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BuildResult {
  outDir: string;
  /** The script-tag bundle, minified. */
  iife: string;
}

export async function buildSdk(
  outDir = join(root, 'dist'),
  options: { types?: boolean } = {},
): Promise<BuildResult> {
  rmSync(outDir, { recursive: true, force: true });
  const common = {
    bundle: true,
    logLevel: 'silent',
    legalComments: 'none',
    absWorkingDir: root,
    // Workspace packages (the protocol) are bundled from their TypeScript sources.
    conditions: ['@signet/source', 'module'],
  } satisfies BuildOptions;
  const entries = [
    { entry: 'src/node/index.ts', name: 'node', platform: 'node', target: 'node20' },
    { entry: 'src/browser/index.ts', name: 'browser', platform: 'browser', target: 'es2020' },
    // Metro reads the ESM build (CJS for older setups); the app's own React Native and
    // AsyncStorage are imported, never bundled.
    {
      entry: 'src/react-native/index.ts',
      name: 'react-native',
      platform: 'neutral',
      target: 'es2020',
      external: ['react-native', '@react-native-async-storage/async-storage'],
    },
  ] as const;
  await Promise.all(
    entries.flatMap(({ entry, name, platform, target, ...rest }) =>
      (['esm', 'cjs'] as const).map((format) =>
        build({
          ...common,
          entryPoints: [entry],
          outfile: join(outDir, `${name}.${format === 'esm' ? 'mjs' : 'cjs'}`),
          platform,
          target,
          format,
          ...('external' in rest && { external: [...rest.external] }),
        }),
      ),
    ),
  );
  const iife = join(outDir, 'signet.iife.js');
  await build({
    ...common,
    entryPoints: ['src/browser/iife.ts'],
    outfile: iife,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    minify: true,
  });
  if (options.types !== false) {
    const typesDir = join(outDir, 'types');
    execFileSync(
      process.execPath,
      [
        join(root, '../../node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        typesDir,
      ],
      { cwd: root, stdio: 'inherit' },
    );
    // Published declarations name the .js files a consumer's resolver expects.
    const rewrite = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) rewrite(path);
        else
          writeFileSync(path, readFileSync(path, 'utf8').replace(/(from '\.{1,2}\/[^']+)\.ts'/g, "$1.js'"));
      }
    };
    rewrite(typesDir);
  }
  return { outDir, iife };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { iife } = await buildSdk();
  console.log(`built ${iife}`);
}

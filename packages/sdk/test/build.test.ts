import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildResult, buildSdk } from '../scripts/build.ts';

/** The size budget of the script-tag bundle, min+gzip (Segment's analytics-next: 29.8 KB). */
const BUDGET_BYTES = 10 * 1024;
const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');

let built: BuildResult;
const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8'));

beforeAll(async () => {
  built = await buildSdk(mkdtempSync(join(tmpdir(), 'signet-sdk-build-')));
}, 60_000);
afterAll(() => rmSync(built.outDir, { recursive: true, force: true }));

describe('builds', () => {
  it(`keeps the browser bundle within ${BUDGET_BYTES} bytes min+gzip, and the README says its size`, () => {
    const minified = readFileSync(built.iife);
    // Node's zlib at its default level (6), as `gzip` and most servers compress.
    const size = gzipSync(minified).length;
    console.log(`browser bundle: ${minified.length} B minified, ${size} B min+gzip`);
    expect(size).toBeLessThanOrEqual(BUDGET_BYTES);

    // Every size figure in the SDK README is this build's: change the code, change the figure.
    const bytes = (text: string) => Number(text.replaceAll(',', ''));
    const gzipFigures = [...readme.matchAll(/([\d,]+) B min\+gzip/g)].map((m) => bytes(m[1] as string));
    const minifiedFigures = [...readme.matchAll(/([\d,]+) B minified/g)].map((m) => bytes(m[1] as string));
    const kbFigures = [...readme.matchAll(/(\d+(?:\.\d)?) KB min\+gzip/g)].map((m) => m[1]);
    expect(gzipFigures.length + kbFigures.length, 'the README gives the size').toBeGreaterThan(0);
    const say = `write ${size.toLocaleString('en')} B min+gzip (${(size / 1024).toFixed(1)} KB), ${minified.length.toLocaleString('en')} B minified in packages/sdk/README.md`;
    expect(gzipFigures, say).toEqual(gzipFigures.map(() => size));
    expect(minifiedFigures, say).toEqual(minifiedFigures.map(() => minified.length));
    expect(kbFigures, say).toEqual(kbFigures.map(() => (size / 1024).toFixed(1)));
  });

  it('has a file behind every target of the exports map, declarations included', () => {
    const targets: string[] = [];
    const walk = (value: unknown) => {
      if (typeof value === 'string') targets.push(value);
      else if (value && typeof value === 'object') Object.values(value).forEach(walk);
    };
    walk(pkg.exports);
    for (const target of targets.filter((t) => t.startsWith('./dist/'))) {
      expect(existsSync(join(built.outDir, target.slice('./dist/'.length))), target).toBe(true);
    }
    const types = readFileSync(join(built.outDir, 'types/node/index.d.ts'), 'utf8');
    expect(types).toContain("from '../core/index.js'");
  });

  it('loads as ESM and as CJS, and the IIFE sets window.Signet', async () => {
    const esm = await import(pathToFileURL(join(built.outDir, 'node.mjs')).href);
    expect(typeof esm.Signet.init).toBe('function');
    expect(typeof esm.SignetBackend.init).toBe('function');
    const cjs = createRequire(import.meta.url)(join(built.outDir, 'node.cjs'));
    expect(typeof cjs.Signet.init).toBe('function');
    expect(typeof cjs.SignetBackend.init).toBe('function');
    const browserEsm = readFileSync(join(built.outDir, 'browser.mjs'), 'utf8');
    expect(browserEsm).not.toMatch(/from ["']node:/);
    // React Native: the app's own React Native and AsyncStorage are imported, never bundled;
    // nothing of Node's (it cannot be loaded here: React Native is not installed).
    for (const file of ['react-native.mjs', 'react-native.cjs']) {
      const code = readFileSync(join(built.outDir, file), 'utf8');
      expect(code, file).toMatch(/(from |require\()"react-native"/);
      expect(code, file).toMatch(/(from |require\()"@react-native-async-storage\/async-storage"/);
      expect(code, file).not.toMatch(/["']node:|SignetBackend/);
    }
    const sandbox: { Signet?: { init: unknown } } = {};
    new Function('globalThis', readFileSync(built.iife, 'utf8'))(sandbox);
    expect(typeof sandbox.Signet?.init).toBe('function');
  });
});

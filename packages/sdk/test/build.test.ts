import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildResult, buildSdk } from '../scripts/build.ts';

/** The size budget of the script-tag bundle, min+gzip (Segment's analytics-next: 29.8 KB). */
const BUDGET_BYTES = 8 * 1024;

let built: BuildResult;
const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8'));

beforeAll(async () => {
  built = await buildSdk(mkdtempSync(join(tmpdir(), 'signet-sdk-build-')));
}, 60_000);
afterAll(() => rmSync(built.outDir, { recursive: true, force: true }));

describe('builds', () => {
  it(`keeps the browser bundle within ${BUDGET_BYTES} bytes min+gzip`, () => {
    const size = gzipSync(readFileSync(built.iife)).length;
    console.log(`browser bundle: ${readFileSync(built.iife).length} B minified, ${size} B min+gzip`);
    expect(size).toBeLessThanOrEqual(BUDGET_BYTES);
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
    const cjs = createRequire(import.meta.url)(join(built.outDir, 'node.cjs'));
    expect(typeof cjs.Signet.init).toBe('function');
    const browserEsm = readFileSync(join(built.outDir, 'browser.mjs'), 'utf8');
    expect(browserEsm).not.toMatch(/from ["']node:/);
    const sandbox: { Signet?: { init: unknown } } = {};
    new Function('globalThis', readFileSync(built.iife, 'utf8'))(sandbox);
    expect(typeof sandbox.Signet?.init).toBe('function');
  });
});

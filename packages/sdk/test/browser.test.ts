import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserAvailable, launchChromium } from '@signet/test-browser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildSdk } from '../scripts/build.ts';
import { deadPort, realServer } from './real-server.ts';

// The script-tag bundle in real headless Chromium against the real server in required mode.
// The page is served from another origin than the server, as on a customer's site (CORS).

const available = browserAvailable('SDK browser tests');

let server: Awaited<ReturnType<typeof realServer>>;
let endpoint: string;
let dead: string;
let pages: Server;
let origin: string;
let browser: Browser;
let buildDir: string;

beforeAll(async () => {
  if (!available) return;
  buildDir = mkdtempSync(join(tmpdir(), 'signet-sdk-browser-'));
  const { iife } = await buildSdk(buildDir, { types: false });
  const bundle = readFileSync(iife, 'utf8');
  server = await realServer();
  endpoint = await server.listen();
  dead = `http://127.0.0.1:${await deadPort()}`;
  pages = createServer((req, res) => {
    if (req.url === '/signet.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><script src="/signet.js"></script>');
    }
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(pages.address() as { port: number }).port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  if (!available) return;
  await browser?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await server?.close();
  rmSync(buildDir, { recursive: true, force: true });
});

interface InitArgs {
  appId: string;
  endpoint: string;
  user?: string;
  token?: string;
}

/** Starts the SDK in the page as a site would, with sends only when asked (or on page hide). */
async function init(page: Page, args: InitArgs): Promise<void> {
  await page.evaluate((a) => {
    const w = window as unknown as { Signet: any; signet: any };
    w.signet = w.Signet.init({
      appId: a.appId,
      endpoint: a.endpoint,
      networkRequest: { authorization: { jwtEnabled: true } },
      flushAt: 500,
      flushIntervalMs: 3_600_000,
      debug: (window as any).DEBUG === true,
    });
    if (a.user) w.signet.identify(a.user);
    if (a.token) w.signet.passAuthenticationDetails({ type: 'jwt', token: a.token, userIdentifier: a.user });
  }, args);
}

const call = <T>(page: Page, fn: string, ...args: unknown[]) =>
  page.evaluate(([f, a]) => (window as any).signet[f as string](...(a as unknown[])), [
    fn,
    args,
  ] as const) as Promise<T>;

const queuedIds = (page: Page) =>
  page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.includes(':q:'))
      .map((k) => k.split(':q:')[1])
      .sort(),
  );

describe.skipIf(!available)('browser SDK in Chromium', () => {
  it('keeps events in localStorage across a reload and sends them, same ids, once the server is reachable', async () => {
    const app = await server.createApp('required');
    const page = await browser.newPage();
    await page.goto(origin);
    await init(page, { appId: app.appId, endpoint: dead });
    for (const name of ['a', 'b', 'c']) await call(page, 'track', name);
    await call(page, 'flush'); // network down: kept
    const before = await queuedIds(page);
    expect(before).toHaveLength(3);
    await page.reload();
    expect(await queuedIds(page)).toEqual(before);
    const token = await app.sign('alice');
    await init(page, { appId: app.appId, endpoint, user: 'alice', token });
    await call(page, 'flush');
    const stored = await app.events();
    expect(stored.map((e) => e.id).filter((id) => before.includes(id))).toHaveLength(3);
    expect(await queuedIds(page)).toEqual([]);
    await page.close();
  });

  it('sends the queue with fetch(keepalive), Authorization included, when the page goes away; the rest waits stored', async () => {
    const app = await server.createApp('required');
    const page = await browser.newPage();
    await page.goto(origin);
    await init(page, { appId: app.appId, endpoint, user: 'bob', token: await app.sign('bob') });
    await call(page, 'flush'); // the alias
    for (let i = 0; i < 30; i++) await call(page, 'track', `e${i}`, { pad: 'x'.repeat(3000) });
    expect(await app.events()).toHaveLength(1);
    await page.goto('about:blank'); // pagehide: no await, no response read
    // One batch of ≤ 64 KiB (about 20 of these events) is all a browser lets fly after unload.
    await vi.waitFor(async () => expect((await app.events('bob')).length).toBeGreaterThan(15), {
      timeout: 10_000,
      interval: 50,
    });
    const afterHide = await app.events('bob');
    expect(afterHide.length).toBeLessThan(31);
    expect(afterHide.every((e) => e.verified === true)).toBe(true);

    // Everything stayed stored until acknowledged: the next visit sends the rest, and what the
    // page never saw acknowledged comes back as duplicates, not as new rows.
    await page.goto(origin);
    expect(await queuedIds(page)).toHaveLength(30);
    await init(page, { appId: app.appId, endpoint, user: 'bob', token: await app.sign('bob') });
    await call(page, 'flush');
    expect((await app.events('bob')).length).toBe(31);
    const stats = await call<{ sent: number; duplicatesAcknowledged: number }>(page, 'stats');
    expect(stats.sent + stats.duplicatesAcknowledged).toBe(30);
    expect(stats.duplicatesAcknowledged).toBe(afterHide.length - 1);
    expect(await app.failures()).toEqual([]);
    await page.close();
  });

  it('two tabs never send the same event twice: one tab sends for all, and the next takes over when it closes', async () => {
    const app = await server.createApp('required');
    const context = await browser.newContext();
    const [a, b] = [await context.newPage(), await context.newPage()];
    const token = await app.sign('carol');
    for (const page of [a, b]) {
      await page.goto(origin);
      await init(page, { appId: app.appId, endpoint, user: 'carol', token });
    }
    const trackMany = (page: Page, tag: string, count: number) =>
      page.evaluate(
        ([t, n]) => {
          for (let i = 0; i < (n as number); i++) (window as any).signet.track(`${t}${i}`);
        },
        [tag, count] as const,
      );
    await Promise.all([trackMany(a, 'a', 60), trackMany(b, 'b', 60)]);
    const everyone = () => Promise.all([a, b].map((page) => call(page, 'flush')));
    await vi.waitFor(
      async () => {
        await everyone();
        expect((await app.events('carol')).length).toBe(121); // 120 tracks + 1 alias
      },
      { timeout: 10_000, interval: 50 },
    );
    const stats = await Promise.all(
      [a, b].map((p) => call<{ sent: number; duplicatesAcknowledged: number }>(p, 'stats')),
    );
    expect(stats.map((s) => s.sent).sort()).toEqual([0, 121]); // one tab sent everything
    expect(stats.reduce((n, s) => n + s.duplicatesAcknowledged, 0)).toBe(0);

    const leader = stats[0]?.sent === 121 ? a : b;
    const other = leader === a ? b : a;
    await trackMany(other, 'late', 5);
    await leader.close({ runBeforeUnload: false });
    await vi.waitFor(
      async () => {
        await call(other, 'flush');
        expect(await queuedIds(other)).toEqual([]);
      },
      { timeout: 10_000, interval: 50 },
    );
    // The closing leader may have sent the late events with keepalive on its way out (answer
    // read or not): the new leader sends whatever is still stored, and the server counts
    // re-sends as duplicates, never as rows.
    const stored = await app.events('carol');
    expect(stored).toHaveLength(126);
    expect(new Set(stored.map((e) => e.id)).size).toBe(126);
    const late = await call<{ sent: number; duplicatesAcknowledged: number }>(other, 'stats');
    expect(late.sent + late.duplicatesAcknowledged).toBeLessThanOrEqual(5);
    await context.close();
  });

  it('falls back to memory when localStorage is full, counts it, and still sends', async () => {
    const app = await server.createApp('required');
    const page = await browser.newPage();
    await page.goto(origin);
    await page.evaluate(() => {
      // Fill the origin's quota to the last character.
      let size = 1024 * 1024;
      for (let i = 0; size >= 1; i++) {
        try {
          localStorage.setItem(`filler-${i}`, 'x'.repeat(size));
        } catch {
          size = Math.floor(size / 2);
        }
      }
    });
    await init(page, { appId: app.appId, endpoint, user: 'dave', token: await app.sign('dave') });
    await call(page, 'track', 'big', { pad: 'y'.repeat(20_000) });
    const stats = await call<{ storageFallbacks: number; queued: number }>(page, 'stats');
    expect(stats.storageFallbacks).toBeGreaterThan(0);
    await call(page, 'flush');
    expect((await app.events('dave')).map((e) => e.name ?? e.type).sort()).toEqual(['alias', 'big']);
    await page.evaluate(() => localStorage.clear());
    await page.close();
  });

  it('corrupted stored JSON and a full quota: keeps working, counts what it dropped, never throws into the page', async () => {
    const app = await server.createApp('required');
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(origin);
    await page.evaluate((appId) => {
      (window as any).hostErrors = [];
      addEventListener('error', (e) => (window as any).hostErrors.push(String(e.message)));
      addEventListener('unhandledrejection', (e) => (window as any).hostErrors.push(String(e.reason)));
      // What another script, an extension or a half-finished write could leave behind.
      const p = `signet:${appId}:`;
      localStorage.setItem(`${p}identity`, 'null');
      localStorage.setItem(`${p}session`, '{"id":');
      localStorage.setItem(`${p}tokens`, '42');
      localStorage.setItem(`${p}q:00000000-0000-7000-8000-000000000001`, '{"user":');
      localStorage.setItem(`${p}q:00000000-0000-7000-8000-000000000002`, '[]');
    }, app.appId);
    await init(page, { appId: app.appId, endpoint, user: 'erin', token: await app.sign('erin') });
    await call(page, 'track', 'before full');
    // Then the quota fills up under the SDK's feet.
    await page.evaluate(() => {
      let size = 1024 * 1024;
      for (let i = 0; size >= 1; i++) {
        try {
          localStorage.setItem(`filler-${i}`, 'x'.repeat(size));
        } catch {
          size = Math.floor(size / 2);
        }
      }
    });
    await call(page, 'track', 'after full', { pad: 'y'.repeat(5_000) });
    await call(page, 'setUserAttribute', 'plan', 'pro');
    await call(page, 'flush');
    const stats = await call<{ dropped: number; storageFallbacks: number; queued: number }>(page, 'stats');
    expect(stats.dropped).toBe(2); // the two unreadable queued events, counted
    expect(stats.storageFallbacks).toBeGreaterThan(0);
    expect(stats.queued).toBe(0);
    expect((await app.events('erin')).map((e) => e.name ?? e.type).sort()).toEqual([
      'after full',
      'alias',
      'attributes',
      'before full',
    ]);
    expect(await page.evaluate(() => (window as any).hostErrors)).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.evaluate(() => localStorage.clear());
    await page.close();
  });
});

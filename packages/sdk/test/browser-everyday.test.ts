import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '@signet/protocol';
import { browserAvailable, launchChromium } from '@signet/test-browser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSdk } from '../scripts/build.ts';
import { SDK_VERSION } from '../src/core/signet-client.ts';
import { realServer } from './real-server.ts';

// SPEC §6.1 in real headless Chromium against the real server in required mode, once with the
// script-tag build (window.Signet) and once with the ESM build imported by a module script.
// Pages come from another origin than the server, as on a customer's site.

const available = browserAvailable('SDK browser tests (§6.1)');

let server: Awaited<ReturnType<typeof realServer>>;
let endpoint: string;
let pages: Server;
let origin: string;
let browser: Browser;
let buildDir: string;

const BUILDS = {
  'script tag': '<script src="/signet.js"></script>',
  ESM: '<script type="module">import { Signet } from "/signet.mjs"; window.Signet = Signet;</script>',
} as const;
type BuildName = keyof typeof BUILDS;

beforeAll(async () => {
  if (!available) return;
  buildDir = mkdtempSync(join(tmpdir(), 'signet-sdk-browser-everyday-'));
  const { iife, outDir } = await buildSdk(buildDir, { types: false });
  const scripts = {
    '/signet.js': readFileSync(iife, 'utf8'),
    '/signet.mjs': readFileSync(join(outDir, 'browser.mjs'), 'utf8'),
  };
  server = await realServer();
  endpoint = await server.listen();
  pages = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const script = scripts[url.pathname as keyof typeof scripts];
    if (script !== undefined) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      return;
    }
    const build = (url.searchParams.get('build') ?? 'script tag') as BuildName;
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        `<!doctype html><title>Spring teas</title>${BUILDS[build]}<a id="next" href="${url.searchParams.get('next') ?? '/'}">next</a>`,
      );
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

/** `path` on the pages' origin with the given build loaded. */
function pageUrl(build: BuildName, path = '/'): URL {
  const url = new URL(path, origin);
  url.searchParams.set('build', build);
  return url;
}

/** The SDK is there (a module script runs only after parsing: wait for it). */
const loaded = (page: Page) =>
  page.waitForFunction(() => typeof (window as { Signet?: unknown }).Signet === 'object');

async function open(page: Page, build: BuildName, path = '/'): Promise<void> {
  await page.goto(pageUrl(build, path).href);
  await loaded(page);
}

/** `Signet.init` in the page; `hook` is the source of a beforeSend function, if any. */
async function init(page: Page, appId: string, hook?: string): Promise<void> {
  await page.evaluate(
    ([id, url, source]) => {
      const w = window as unknown as { Signet: any; signet: any };
      w.signet = w.Signet.init({
        appId: id,
        endpoint: url,
        networkRequest: { authorization: { jwtEnabled: true } },
        flushAt: 500,
        flushIntervalMs: 3_600_000,
        // The test's own hook source, made a function inside the page.
        // biome-ignore lint/security/noGlobalEval: the test's own source, turned into a function in the page.
        // biome-ignore lint/complexity/noCommaOperator: indirect eval runs it in the page's global scope.
        ...(source && { beforeSend: (0, eval)(source) }),
      });
    },
    [appId, endpoint, hook] as const,
  );
}

const call = <T>(page: Page, fn: string, ...args: unknown[]) =>
  page.evaluate(([f, a]) => (window as any).signet[f as string](...(a as unknown[])), [
    fn,
    args,
  ] as const) as Promise<T>;

async function login(
  page: Page,
  app: { sign: (sub: string) => Promise<string> },
  user: string,
  traits?: object,
) {
  await call(page, 'identify', user, traits);
  await call(page, 'passAuthenticationDetails', {
    type: 'jwt',
    token: await app.sign(user),
    userIdentifier: user,
  });
}

const queued = (page: Page) =>
  page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(':q:')).length);

describe.skipIf(!available).each(Object.keys(BUILDS) as BuildName[])(
  '§6.1 in Chromium, %s build',
  (build) => {
    it('page: url (no #fragment), path, referrer, title and search; context with user agent, screen and UTM campaign, as stored', async () => {
      const app = await server.createApp('required');
      const page = await browser.newPage({ viewport: { width: 1024, height: 700 } });
      const target = pageUrl(build, '/teas/green?utm_source=news&utm_campaign=spring&ref=x#reviews');
      // Arrive by a link, as a visitor does, so that the browser itself sets the referrer.
      const referrer = pageUrl(
        build,
        `/?next=${encodeURIComponent(target.pathname + target.search + target.hash)}`,
      );
      await page.goto(referrer.href);
      await page.click('#next');
      await page.waitForURL(/\/teas\/green/);
      await loaded(page);
      await init(page, app.appId);
      await login(page, app, 'alice');
      await call(page, 'page', 'Green tea', { sku: 'TEA-01' });
      await call(page, 'track', 'Added to cart');
      await call(page, 'flush');
      const events = (await app.events('alice')) as unknown as StoredEvent[];
      const url = target.href.replace('#reviews', '');
      const pageFields = {
        url,
        path: '/teas/green',
        referrer: referrer.href,
        title: 'Spring teas',
        search: target.search,
      };
      const viewed = events.find((e) => e.type === 'page');
      expect(viewed).toMatchObject({ name: 'Green tea', properties: { ...pageFields, sku: 'TEA-01' } });
      const { userAgent, locale, timezone } = await page.evaluate(() => ({
        userAgent: navigator.userAgent,
        locale: Intl.DateTimeFormat().resolvedOptions().locale,
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      }));
      for (const event of events) {
        expect(event.context, event.type).toEqual({
          library: { name: 'signet-web', version: SDK_VERSION },
          locale,
          timezone,
          userAgent,
          page: pageFields,
          screen: { width: 1024, height: 700 },
          campaign: { source: 'news', name: 'spring' },
        });
      }
      expect(events.map((e) => e.type).sort()).toEqual(['alias', 'page', 'track']);
      await page.close();
    });

    it('identify with traits: the verified profile shows them', async () => {
      const app = await server.createApp('required');
      const page = await browser.newPage();
      await open(page, build);
      await init(page, app.appId);
      await login(page, app, 'bob', { plan: 'pro', seats: 3 });
      await call(page, 'flush');
      const profile = (await server.admin('GET', `/admin/v1/apps/${app.appId}/users/bob`)).body;
      expect(profile).toMatchObject({ attributes: { plan: 'pro', seats: 3 }, unverifiedAttributes: {} });
      await page.close();
    });

    it('register / unregister: super properties kept across a reload', async () => {
      const app = await server.createApp('required');
      const page = await browser.newPage();
      await open(page, build);
      await init(page, app.appId);
      await login(page, app, 'carol');
      await call(page, 'register', { plan: 'pro', ab: 'b' });
      await page.reload();
      await loaded(page);
      await init(page, app.appId);
      await call(page, 'track', 'A');
      await call(page, 'unregister', 'ab');
      await call(page, 'page', 'B', { plan: 'team' });
      await call(page, 'flush');
      const byName = Object.fromEntries(
        ((await app.events('carol')) as unknown as StoredEvent[]).map((e) => [
          e.name ?? e.type,
          e.properties,
        ]),
      );
      expect(byName.A).toEqual({ plan: 'pro', ab: 'b' });
      expect(byName.B).toMatchObject({ plan: 'team', title: 'Spring teas' });
      expect(byName.B).not.toHaveProperty('ab');
      await page.close();
    });

    it('opt-out: kept across a reload; nothing queued or sent; optIn resumes', async () => {
      const app = await server.createApp('required');
      const page = await browser.newPage();
      await open(page, build);
      await init(page, app.appId);
      // In one task, before the leader tab's first send can take the event.
      await page.evaluate(() => {
        (window as any).signet.track('before');
        (window as any).signet.optOut();
      });
      expect(await queued(page)).toBe(0);
      expect(await call(page, 'stats')).toMatchObject({ dropped: 1 });
      await page.reload();
      await loaded(page);
      await init(page, app.appId);
      expect(await call(page, 'isOptedOut')).toBe(true);
      await call(page, 'page');
      await call(page, 'track', 'while out');
      await login(page, app, 'dave', { plan: 'pro' });
      expect(await queued(page)).toBe(0);
      await call(page, 'flush');
      await page.goto('about:blank'); // page hide: nothing to send either
      expect(await app.events()).toEqual([]);
      await open(page, build);
      await init(page, app.appId);
      await call(page, 'optIn');
      await call(page, 'track', 'back');
      await call(page, 'flush');
      expect((await app.events()).map((e) => e.name)).toEqual(['back']);
      await page.evaluate(() => localStorage.clear());
      await page.close();
    });

    it('beforeSend: scrubs a property, drops an event (counted), and a throwing hook drops nothing', async () => {
      const app = await server.createApp('required');
      const page = await browser.newPage();
      await open(page, build);
      await init(
        page,
        app.appId,
        `(event) => {
        if (event.name === 'Internal') return null;
        if (event.name === 'Crash') throw new Error('hook bug');
        if (event.properties) delete event.properties.email;
        if (event.context) delete event.context.userAgent;
        return event;
      }`,
      );
      await login(page, app, 'erin');
      await call(page, 'track', 'Signed up', { email: 'erin@example.com', source: 'ad' });
      await call(page, 'track', 'Internal');
      await call(page, 'track', 'Crash', { email: 'kept@example.com' });
      await call(page, 'flush');
      expect(await call(page, 'stats')).toMatchObject({ dropped: 1, queued: 0, sent: 3 });
      const events = (await app.events('erin')) as unknown as StoredEvent[];
      const byName = Object.fromEntries(events.map((e) => [e.name ?? e.type, e]));
      expect(byName['Signed up']?.properties).toEqual({ source: 'ad' });
      expect(byName['Signed up']?.context).not.toHaveProperty('userAgent');
      expect(byName.Crash?.properties).toEqual({ email: 'kept@example.com' });
      expect(byName.Crash?.context).toHaveProperty('userAgent');
      expect(byName.Internal).toBeUndefined();
      await page.close();
    });
  },
);

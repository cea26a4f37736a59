import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, type RunningServer, startServer } from '@signet/server';
import { browserAvailable, launchChromium } from '@signet/test-browser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type DemoApp,
  type RunningShop,
  sdkBundlePath,
  setupDemoApp,
  startShop,
} from '../src/server/index.ts';

// The demo end to end: a real Signet server on a real SQLite file, the shop's real backend, the
// SDK's script-tag build in headless Chromium, clicked through as a visitor would, and checked
// through the admin API. Tokens live 3 s so that expiry and refresh happen within the test.

const available = browserAvailable('shop demo test');

const ADMIN = 'shop-test-admin-token-0123456789';
const TTL_SECONDS = 3;
/** Screenshots to look at (git-ignored). */
const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-artifacts', 'shop');

let dir: string;
let server: RunningServer;
let signetUrl: string;
let demo: DemoApp;
let shop: RunningShop;
let browser: Browser;

interface StoredEvent {
  id: string;
  type: string;
  name?: string;
  userId: string | null;
  verified: boolean | null;
}

async function admin<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${signetUrl}/admin/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const events = async (userId: string) =>
  (
    await admin<{ events: StoredEvent[] }>(
      `/apps/${demo.appId}/events?limit=1000&userId=${encodeURIComponent(userId)}`,
    )
  ).events;
const failures = async () =>
  (await admin<{ failures: { code: string; reason: string }[] }>(`/apps/${demo.appId}/auth/failures`))
    .failures;
const named = (list: StoredEvent[], name: string) => list.filter((e) => e.name === name);
const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 8_000, interval: 100 });

beforeAll(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'signet-shop-'));
  server = await startServer(
    {
      ...DEFAULT_CONFIG,
      port: 0,
      databaseUrl: `sqlite:${join(dir, 'signet.db')}`,
      adminToken: ADMIN,
      logLevel: 'silent',
      rateLimitAppPerMinute: 0,
      rateLimitClientPerMinute: 0,
    },
    { handleSignals: false, out: new Writable({ write: (_c, _e, done) => done() }) },
  );
  signetUrl = server.url.replace('://localhost', '://127.0.0.1');
  demo = await setupDemoApp({ signetUrl, adminToken: ADMIN });
  // No leeway: a token that reached the server expired would be refused and show up as a failure.
  await admin(`/apps/${demo.appId}/jwt`, {
    method: 'PUT',
    body: JSON.stringify({ mode: 'required', clockToleranceSeconds: 0 }),
  });
  shop = await startShop({
    appId: demo.appId,
    signetUrl,
    privateKeyPem: demo.keys.privateKeyPem,
    kid: demo.keys.kid,
    ttl: TTL_SECONDS,
    sdkBundlePath: sdkBundlePath(),
    port: 0,
  });
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
}, 60_000);

afterAll(async () => {
  if (!available) return;
  await browser?.close();
  await shop?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openShop(query = '', width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 844 } });
  await page.goto(`${shop.url}/${query}`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

async function signIn(page: Page, user: string): Promise<void> {
  await page.fill('#login-user', user);
  await page.click('#login');
  await page.waitForSelector('#signed-in:not([hidden])');
}

/** Waits until the newest token the page fetched has expired (by this machine's clock). */
async function waitPastExpiry(page: Page): Promise<void> {
  const expiresAt = Date.parse((await page.getAttribute('#status-token', 'data-expires-at')) ?? '');
  expect(expiresAt).toBeGreaterThan(Date.now() - 1000);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 300));
}

describe.skipIf(!available)('the demo shop in Chromium', () => {
  it('sends verified events through tokenProvider across token expiry; impersonation is refused', async () => {
    const page = await openShop();
    await signIn(page, 'bob');
    await page.click('[data-sku="TEA-01"] button:text("View")');
    await page.click('[data-sku="TEA-01"] .add-to-cart');
    await page.click('[data-sku="KTL-03"] .add-to-cart');

    await eventually(async () => {
      const stored = await events('bob');
      expect(named(stored, 'Added to cart')).toHaveLength(2);
      expect(named(stored, 'Product viewed')).toHaveLength(1);
      expect(stored.every((e) => e.verified === true)).toBe(true);
    });
    const bob = await admin<{ attributes: Record<string, unknown> }>(`/apps/${demo.appId}/users/bob`);
    expect(bob.attributes).toMatchObject({ name: 'bob', cart_size: 2 });

    // Past the token's expiry: the SDK asks tokenProvider again and data keeps flowing, verified.
    const issuedBefore = shop.tokensIssued();
    await waitPastExpiry(page);
    await page.click('#checkout');
    await eventually(async () => {
      const orders = named(await events('bob'), 'Order completed');
      expect(orders).toHaveLength(1);
      expect(orders[0]?.verified).toBe(true);
    });
    expect(shop.tokensIssued()).toBeGreaterThan(issuedBefore);
    expect(await failures()).toEqual([]);
    expect(await page.textContent('#status-auth-error')).toBe('none');
    const attributes = (await admin<{ attributes: Record<string, unknown> }>(`/apps/${demo.appId}/users/bob`))
      .attributes;
    expect(attributes).toMatchObject({ orders: 1, last_order_total: 56.4 });

    // Bob's own valid token claimed for alice: refused for the subject.
    await page.fill('#victim', 'alice');
    await page.click('#impersonate-own-token');
    await page.waitForSelector('#impersonation-result:has-text("401")');
    expect(await page.textContent('#impersonation-result')).toContain('IDENTIFIER_MISMATCH');

    // Signing out sends bob's last events with his token, then the session ends.
    await page.click('#logout');
    await page.waitForSelector('#login-form:not([hidden])');
    await eventually(async () => {
      const signedOut = named(await events('bob'), 'Signed out');
      expect(signedOut.map((e) => e.verified)).toEqual([true]);
    });

    // Signed out, a forged token for alice (signed with a key the app never registered).
    await page.click('#impersonate');
    await page.waitForSelector('#impersonation-result:has-text("INVALID_SIGNATURE")');
    const refused = await failures();
    expect(refused.map((f) => `${f.code}/${f.reason}`).sort()).toEqual([
      'IDENTIFIER_MISMATCH/subject_mismatch',
      'INVALID_SIGNATURE/signature_invalid',
    ]);
    expect(await events('alice')).toEqual([]);
    expect((await events('bob')).every((e) => e.verified === true)).toBe(true);
    await page.close();
  });

  it('the listener + passAuthenticationDetails flow replaces an expired token and keeps data verified', async () => {
    const page = await openShop('?flow=listener');
    expect(await page.textContent('#flow')).toContain('listener + passAuthenticationDetails');
    await signIn(page, 'carol');
    await page.click('[data-sku="MUG-02"] .add-to-cart');
    await eventually(async () => {
      expect(named(await events('carol'), 'Added to cart').map((e) => e.verified)).toEqual([true]);
    });
    const issuedBefore = shop.tokensIssued();
    await waitPastExpiry(page);
    await page.click('[data-sku="CUP-04"] .add-to-cart');
    // The SDK will not send an expired token: it tells the listener, which passes a new one.
    await page.waitForSelector('#status-auth-error:has-text("TIME_CONSTRAINT_FAILURE")');
    await eventually(async () => {
      expect(named(await events('carol'), 'Added to cart').map((e) => e.verified)).toEqual([true, true]);
    });
    expect(shop.tokensIssued()).toBeGreaterThan(issuedBefore);
    expect((await failures()).filter((f) => f.code === 'TIME_CONSTRAINT_FAILURE')).toEqual([]);
    await page.close();
  });

  for (const width of [1280, 390]) {
    it(`at ${width} px: no sideways scrolling, the cart merges quantities, a refusal reads as a sentence`, async () => {
      const page = await openShop('', width);
      const user = `dana-${width}`;
      await signIn(page, user);
      expect(await page.isVisible('#login-form')).toBe(false);
      await page.click('[data-sku="TEA-01"] .add-to-cart');
      await page.click('[data-sku="TEA-01"] .add-to-cart');
      await page.click('[data-sku="MUG-02"] .add-to-cart');
      // One line per product, with its quantity and line total.
      const lines = await page.locator('#cart li').allTextContents();
      expect(lines).toEqual(['Green tea, 100 g × 2 — 13.00 €', 'Stoneware mug × 1 — 14.00 €']);
      expect(await page.textContent('#cart-total')).toBe('27.00');

      await page.fill('#victim', 'alice');
      await page.click('#impersonate');
      const answer = page.locator('#impersonation-result');
      await answer.locator('text=Signet refused it').waitFor();
      expect(await answer.locator('p').allTextContents()).toEqual([
        'Signet refused it: nothing was stored as "alice".',
        'The token was not signed by a key this app registered: nobody else can sign as the shop.',
        'HTTP 401 · INVALID_SIGNATURE · signature_invalid',
      ]);
      expect(await answer.textContent()).not.toContain('{');

      // Nothing sticks out of the screen (named, so a failure says what to fix), and the page
      // does not scroll sideways.
      const wide = await page.evaluate(
        (w) =>
          Array.from(document.querySelectorAll('body *'))
            .filter((e) => e.getBoundingClientRect().right > w + 0.5)
            .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`),
        width,
      );
      expect(wide).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

      await eventually(async () => {
        const added = named(await events(user), 'Added to cart');
        expect(added).toHaveLength(3);
      });
      // The status panel caught up (token fetched, queue empty) before the picture.
      await page.waitForFunction(() =>
        document.getElementById('status-stats')?.textContent?.includes('"queued": 0'),
      );
      await page.screenshot({ path: join(artifacts, `shop-${width}.png`), fullPage: true });

      // "Don't track me": opted out, a click queues and sends nothing; opted in, it does again.
      await page.check('#opt-out');
      await page.click('[data-sku="CUP-04"] .add-to-cart');
      const stats = JSON.parse((await page.textContent('#status-stats')) ?? '{}');
      expect(stats.queued).toBe(0);
      await page.uncheck('#opt-out');
      await page.click('[data-sku="CUP-04"] .add-to-cart');
      await eventually(async () => {
        const cups = named(await events(user), 'Added to cart').filter(
          (e) => (e as { properties?: { sku?: string } }).properties?.sku === 'CUP-04',
        );
        expect(cups).toHaveLength(1);
      });
      await page.close();
    });
  }
});

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CONFIG, type RunningServer, startServer } from '@signet/server';
import { browserAvailable, launchChromium } from '@signet/test-browser';
import { type OidcProvider, startOidcProvider } from '@signet/test-services/oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type DemoApp,
  openIdSignIn,
  type RunningShop,
  sdkBundlePath,
  setupDemoApp,
  startShop,
} from '../src/server/index.ts';

// `npm run demo -- --provider` end to end: the shop signs users in at a real OpenID provider
// (oidc-provider on 127.0.0.1, its sign-in page filled in headless Chromium), the page's SDK sends
// the provider's ID tokens, and Signet verifies them through discovery. ID tokens live 62 s, so
// the SDK (60 s before exp) asks for the next one at once and the shop renews it with its
// refresh token.

const available = browserAvailable('shop demo provider-mode test');
const ADMIN = 'shop-provider-test-admin-token-0123456789';
const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test-artifacts', 'shop');

let dir: string;
let server: RunningServer;
let signetUrl: string;
let provider: OidcProvider;
let demo: DemoApp;
let shop: RunningShop;
let browser: Browser;

interface StoredEvent {
  type: string;
  name?: string;
  userId: string | null;
  verified: boolean | null;
}

async function admin<T>(path: string): Promise<T> {
  const res = await fetch(`${signetUrl}/admin/v1${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
const events = async (userId: string) =>
  (await admin<{ events: StoredEvent[] }>(`/apps/${demo.appId}/events?limit=1000&userId=${userId}`)).events;
const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 8_000, interval: 100 });

/** A port free now: the provider must know the shop's redirect URI before the shop starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

beforeAll(async () => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), 'signet-shop-idp-'));
  server = await startServer(
    {
      ...DEFAULT_CONFIG,
      port: 0,
      databaseUrl: `sqlite:${join(dir, 'signet.db')}`,
      adminToken: ADMIN,
      logLevel: 'silent',
      rateLimitAppPerMinute: 0,
      rateLimitClientPerMinute: 0,
      jwksAllowPrivateNetwork: true,
    },
    { handleSignals: false, out: new Writable({ write: (_c, _e, done) => done() }) },
  );
  signetUrl = server.url.replace('://localhost', '://127.0.0.1');
  const shopPort = await freePort();
  const redirectUri = `http://127.0.0.1:${shopPort}/auth/callback`;
  provider = await startOidcProvider({
    clientId: 'demo-shop',
    redirectUris: [redirectUri],
    idTokenTtlSeconds: 62,
  });
  demo = await setupDemoApp({
    signetUrl,
    adminToken: ADMIN,
    identityProvider: { issuer: provider.issuer, audience: provider.clientId },
  });
  shop = await startShop({
    appId: demo.appId,
    signetUrl,
    privateKeyPem: demo.keys.privateKeyPem,
    openId: await openIdSignIn({
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      redirectUri,
    }),
    sdkBundlePath: sdkBundlePath(),
    port: shopPort,
  });
  browser = await launchChromium();
  mkdirSync(artifacts, { recursive: true });
}, 60_000);

afterAll(async () => {
  if (!available) return;
  await browser?.close();
  await shop?.close();
  await server?.close();
  await provider?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Through the provider's own sign-in page, as a visitor: the shop's link, the form, back. */
async function signIn(page: Page, user: string): Promise<void> {
  await page.click('#openid-login');
  await page.waitForURL(`${provider.issuer}/interaction/**`);
  await page.fill('#login', user);
  await page.click('button[type=submit]');
  await page.waitForURL((url) => url.origin === shop.url);
  await page.waitForSelector('#signed-in:not([hidden])');
}

describe.skipIf(!available)('the demo shop signing in through an OpenID provider (Chromium)', () => {
  it("sends the provider's ID tokens, renewed by the shop, and Signet stores the events verified", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(shop.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.isVisible('#login-form')).toBe(false);
    await signIn(page, 'dana');
    expect(await page.textContent('#user-name')).toBe('dana');
    await page.click('[data-sku="TEA-01"] .add-to-cart');
    await page.click('#checkout');
    await eventually(async () => {
      const stored = await events('dana');
      expect(stored.filter((e) => e.name === 'Order completed')).toHaveLength(1);
      expect(stored.filter((e) => e.name === 'Signed in')).toHaveLength(1);
      expect(stored.every((e) => e.verified === true)).toBe(true);
    });
    await page.screenshot({ path: join(artifacts, 'provider-mode-390.png'), fullPage: true });

    // Within 60 s of exp (here: at once) the SDK asks for a token before it sends; the shop
    // renews the ID token with its refresh token.
    const firstExpiry = await page.getAttribute('#status-token', 'data-expires-at');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // a new exp, to the second
    await page.click('[data-sku="MUG-02"] .add-to-cart');
    await eventually(async () => {
      const added = (await events('dana')).filter((e) => e.name === 'Added to cart');
      expect(added.map((e) => e.verified)).toEqual([true, true]);
    });
    expect(await page.getAttribute('#status-token', 'data-expires-at')).not.toBe(firstExpiry);
    expect(Number(await page.textContent('#status-token-count'))).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('#status-auth-error')).toBe('none');

    // Another user signs in after a sign-out: the provider shows its page again (prompt=login).
    await page.click('#logout');
    await page.waitForSelector('#openid-sign-in:not([hidden])');
    await signIn(page, 'erik');
    await page.click('[data-sku="CUP-04"] button:text("View")');
    await eventually(async () => {
      const viewed = (await events('erik')).filter((e) => e.name === 'Product viewed');
      expect(viewed.map((e) => e.verified)).toEqual([true]);
    });
    const jwks = await admin<{ keys: { kid: string }[]; source: string }>(`/apps/${demo.appId}/jwks`);
    expect(jwks).toMatchObject({ source: 'discovery', keys: [{ kid: provider.currentKid() }] });
    expect((await admin<{ failures: unknown[] }>(`/apps/${demo.appId}/auth/failures`)).failures).toEqual([]);
    await page.close();
  }, 60_000);
});

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminTokenCheck, buildApp, openStore, type Store } from '@signet/server';
import { browserAvailable, launchChromium } from '@signet/test-browser';
import type { FastifyInstance } from 'fastify';
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The dashboard in a real Chromium against a real server (real SQLite file, real port, real
 * signed tokens): the whole admin journey, the hostile-data probe and both widths.
 */

const available = browserAvailable('dashboard browser tests');

const ADMIN_TOKEN = 'dashboard-test-admin-token-42';
const XSS_NAME = '<img src=x onerror="window.__xss=1">';
/** An event's context as the browser SDK sends it, with markup where a page title may carry it. */
const CONTEXT = {
  library: { name: 'signet-web', version: '0.1.0' },
  locale: 'nl-NL',
  timezone: 'Europe/Amsterdam',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
  page: { url: 'https://shop.test/pricing', path: '/pricing', referrer: '', title: XSS_NAME, search: '' },
  screen: { width: 390, height: 844 },
};
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(root, '..', '..', 'test-artifacts', 'dashboard');

let dir: string;
let store: Store;
let server: FastifyInstance;
let base: string;
let browser: Browser;
let page: Page;
let appId: string;
const problems: string[] = [];

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let key: KeyPair;
let forger: KeyPair;

async function token(signer: KeyPair, sub: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub, iat: now, exp: now + 900 })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .sign(signer.privateKey);
}

/** Sends a batch over HTTP exactly as the SDK would. */
async function sendBatch(user: string, bearer: string | null, events: object[]) {
  const now = new Date().toISOString();
  const res = await fetch(`${base}/v1/apps/${appId}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer && { authorization: `Bearer ${bearer}` }) },
    body: JSON.stringify({
      batchId: randomUUID(),
      sentAt: now,
      sdk: { name: 'signet-web', version: '1.2.3' },
      user: { id: user },
      events: events.map((e) => ({ id: randomUUID(), timestamp: now, ...e })),
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function adminGet(path: string) {
  const res = await fetch(`${base}/admin/v1${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return (await res.json()) as Record<string, any>;
}

async function shot(name: string) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function openTab(label: string) {
  await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: label }).click();
}

describe.skipIf(!available)('dashboard in Chromium', () => {
  beforeAll(async () => {
    // The server serves the build it ships, made by `npm run build` (which `npm test` runs first).
    const built = join(root, '..', 'server', 'dashboard', 'index.html');
    if (!existsSync(built)) throw new Error(`The dashboard is not built (${built}): run npm run build`);
    mkdirSync(artifacts, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'signet-dashboard-'));
    store = openStore(`sqlite:${join(dir, 'signet.db')}`);
    await store.migrate();
    server = await buildApp({
      store,
      adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
      config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0 },
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    key = await generateKeyPair('ES256', { extractable: true });
    forger = await generateKeyPair('ES256', { extractable: true });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // Expected refusals: 401 (the login check, the wrong token, after logout), 400 (the
      // private key), 409 (the last key) and 404 (the missing app).
      const expected = /status of (401|400|409|404)/.test(m.text());
      if (m.type() === 'error' && !expected) problems.push(`console: ${m.text()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in with the keyboard; the session cookie is httpOnly and SameSite=Strict', async () => {
    await page.goto(base);
    await expect.poll(() => page.getByLabel('Admin token').isVisible()).toBe(true);
    await shot('login-1280');

    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('admin-token');
    await page.keyboard.type('wrong-token-0000000');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not the admin token');

    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    await page.getByText('No apps yet').waitFor();

    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'signet_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin/v1' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('creates an app and opens it', async () => {
    await page.getByLabel('New app name').fill('Web shop');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: 'Web shop' }).waitFor();
    appId = /#\/apps\/([^/]+)\//.exec(page.url())?.[1] ?? '';
    expect(appId).toMatch(/^app_/);
    await page.getByText('No events in the last hour.').waitFor();
  });

  it('refuses a private key inline, and adds a pasted PEM and a chosen JWK file', async () => {
    await openTab('Keys');
    await page.getByText('No keys yet.').waitFor();
    await page.getByLabel('Public key (PEM or JWK)').fill(await exportPKCS8(key.privateKey));
    await page.getByRole('button', { name: 'Add key' }).click();
    const refusal = page.locator('#key-refusal');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('KEY_INVALID / private_key');
    expect(await refusal.textContent()).toContain('Paste only the PUBLIC key');
    expect((await adminGet(`/apps/${appId}/keys`)).keys).toEqual([]);

    await page.getByLabel('Public key (PEM or JWK)').fill(await exportSPKI(key.publicKey));
    await page.getByLabel('Label, optional').fill('main');
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.getByText(/^Added key/).waitFor();
    const [added] = (await adminGet(`/apps/${appId}/keys`)).keys;
    await page.getByRole('cell', { name: added.fingerprint }).waitFor();
    await page.getByRole('cell', { name: 'EC P-256' }).first().waitFor();

    const backup = await generateKeyPair('ES256', { extractable: true });
    const jwkFile = join(dir, 'backup.jwk.json');
    writeFileSync(jwkFile, JSON.stringify(await exportJWK(backup.publicKey)));
    await page.getByLabel('…or choose a file').setInputFiles(jwkFile);
    await expect.poll(() => page.getByLabel('Public key (PEM or JWK)').inputValue()).toContain('"kty":"EC"');
    await page.getByLabel('Key id (kid), optional').fill('backup-2025');
    await page.getByRole('button', { name: 'Add key' }).click();
    await page.getByRole('cell', { name: 'backup-2025', exact: true }).waitFor();
    expect((await adminGet(`/apps/${appId}/keys`)).keys).toHaveLength(2);
    await page.getByText('Rotate a key').waitFor();
    await shot('keys-1280');
  });

  it('removes a key after confirmation', async () => {
    await page.getByRole('button', { name: 'Remove key backup-2025' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove this key?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Remove key' }).click();
    await expect.poll(async () => (await adminGet(`/apps/${appId}/keys`)).keys.length).toBe(1);
    await expect.poll(() => page.getByRole('cell', { name: 'backup-2025', exact: true }).count()).toBe(0);
  });

  it('runs optional mode, then shows what required would have rejected before switching', async () => {
    await openTab('Authentication');
    await page.getByLabel(/^Optional/).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await adminGet(`/apps/${appId}`)).jwt.mode).toBe('optional');

    const good = await sendBatch('user-42', await token(key, 'user-42'), [
      { type: 'track', name: XSS_NAME, properties: { sku: '<script>alert(1)</script>' } },
      { type: 'attributes', attributes: { plan: 'pro', '<b>bold</b>': '<i>x</i>' } },
      { type: 'page', name: 'Pricing', properties: { path: '/pricing' }, context: CONTEXT },
    ]);
    expect(good).toMatchObject({ status: 200, body: { accepted: 3 } });
    const forged = await sendBatch('user-42', await token(forger, 'user-42'), [
      { type: 'track', name: 'Forged' },
    ]);
    expect(forged.body.authWarning).toEqual({ code: 'INVALID_SIGNATURE', reason: 'signature_invalid' });

    await page.reload();
    await page.getByLabel(/^Required/).check();
    await page.getByLabel('Audience (aud)').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    const dialog = page.getByRole('dialog', { name: 'Switch to required?' });
    await dialog.waitFor();
    const text = (await dialog.textContent()) ?? '';
    expect(text).toContain('1 batch');
    expect(text).toContain('would have been rejected');
    expect(text).toContain('INVALID_SIGNATURE');
    expect(text).toContain('signature_invalid');
    await shot('authentication-confirm-1280');

    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await adminGet(`/apps/${appId}`)).jwt.mode).toBe('optional');
    await page.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('button', { name: 'Switch to required' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await adminGet(`/apps/${appId}`)).jwt.mode).toBe('required');
  });

  it('refuses to remove the last key while required, and says why', async () => {
    await openTab('Keys');
    await page.getByText(/Last-key guard/).waitFor();
    await page.getByRole('button', { name: /^Remove key / }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove this key?' });
    expect(await dialog.textContent()).toContain('the server will refuse');
    await dialog.getByRole('button', { name: 'Remove key' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('This is the last key');
    expect((await adminGet(`/apps/${appId}/keys`)).keys).toHaveLength(1);
  });

  it('shows an error state for an app that does not exist', async () => {
    await page.goto(`${base}/#/apps/app_missing/overview`);
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('No app has this id');
    await page.getByRole('button', { name: 'Try again' }).first().waitFor();
    await page.goto(`${base}/#/apps/${appId}/overview`);
  });

  it('shows rejected batches in the auth monitor, filterable by code', async () => {
    expect(
      (await sendBatch('user-42', await token(forger, 'user-42'), [{ type: 'track', name: 'x' }])).status,
    ).toBe(401);
    expect((await sendBatch('user-7', null, [{ type: 'track', name: 'x' }])).body.error.code).toBe(
      'TOKEN_NOT_AVAILABLE',
    );
    await openTab('Auth monitor');
    const table = page.locator('table.failures');
    await table.waitFor();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    expect(await table.textContent()).toContain('TOKEN_NOT_AVAILABLE');
    const chart = page.locator('canvas[role="img"]');
    expect(await chart.getAttribute('aria-label')).toMatch(/2 batches rejected/);

    await page.getByLabel('Code').selectOption('TOKEN_NOT_AVAILABLE');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(await table.locator('tbody').textContent()).toContain('user-7');
    await page.getByLabel('Code').selectOption('UNKNOWN');
    await page.getByText('No UNKNOWN failures kept.').waitFor();
    await page.getByLabel('Code').selectOption('');
    await page.getByText('7 days').click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    await shot('monitor-1280');
  });

  it('shows hostile event names, properties and attributes as text, never as markup', async () => {
    await openTab('Events');
    const events = page.locator('table.event-table');
    await events.waitFor();
    await page.getByText(XSS_NAME, { exact: true }).waitFor();
    expect(await events.locator('img, script, b, i').count()).toBe(0);
    await events.locator('tbody').getByText('Verified', { exact: true }).first().waitFor();
    await events.locator('tbody').getByText('Unverified', { exact: true }).first().waitFor();

    // A row opens to the event as the API answers it: properties and context as text.
    const hostile = events.locator('tr.event-row', { hasText: XSS_NAME });
    await hostile.getByRole('button', { expanded: false }).click();
    const json = events.locator('tr.event-json pre');
    expect(JSON.parse((await json.textContent()) ?? '').properties).toEqual({
      sku: '<script>alert(1)</script>',
    });
    const pricing = events.locator('tr.event-row', { hasText: 'Pricing' });
    expect(await pricing.locator('.badge', { hasText: 'page' }).count()).toBe(1);
    await pricing.getByRole('button', { expanded: false }).click();
    expect(JSON.parse((await json.textContent()) ?? '').context).toEqual(CONTEXT);
    expect(await events.locator('img, script, b, i').count()).toBe(0);

    await page.getByLabel('User id').fill('user-42');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('heading', { name: /Attributes of user-42/ }).waitFor();
    const profile = page.locator('.profile');
    expect(await profile.textContent()).toContain('"pro"');
    expect(await profile.textContent()).toContain('<b>bold</b>');
    expect(await profile.locator('b, i').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
    await shot('events-1280');
  });

  it('shows the overview: events per minute, shares, failure reasons and SDK versions', async () => {
    await openTab('Overview');
    await page.getByRole('heading', { name: 'Events per minute' }).waitFor();
    await page.getByText('signet-web 1.2.3').waitFor();
    await page.getByRole('cell', { name: 'signature_invalid' }).waitFor();
    await page.getByText('Rejected (required mode)').waitFor();
    await shot('overview-1280');
    await page.getByRole('link', { name: 'Apps' }).first().click();
    await page.getByRole('link', { name: 'Web shop' }).waitFor();
    const row = page.getByRole('row', { name: /Web shop/ });
    expect(await row.textContent()).toMatch(/required/);
    await shot('apps-1280');
  });

  it('fits a 390 px wide screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [tab, name] of [
      ['keys', 'keys'],
      ['monitor', 'monitor'],
      ['events', 'events'],
      ['authentication', 'authentication'],
    ] as const) {
      await page.goto(`${base}/#/apps/${appId}/${tab}`);
      await page.locator('.card').first().waitFor();
      await page.waitForLoadState('networkidle');
      // The elements sticking out (outside the scrollable tables and tabs), named, so a failure says what to fix.
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter(
            (e) => e.getBoundingClientRect().right > 390.5 && !e.parentElement?.closest('.table-wrap, .tabs'),
          )
          .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
      );
      expect(wide, `${tab}: elements wider than the screen`).toEqual([]);
      await shot(`${name}-390`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), tab).toBeLessThanOrEqual(390);
    }
  });

  it('logs out: the cookie is gone and the API refuses the browser', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect((await page.context().cookies()).find((c) => c.name === 'signet_session')).toBeUndefined();
    const status = await page.evaluate(async () => (await fetch('/admin/v1/apps')).status);
    expect(status).toBe(401);
  });

  it('raised no page errors, console errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});

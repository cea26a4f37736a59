import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminTokenCheck, buildApp, openStore, type Store } from '@signet/server';
import { browserAvailable, launchChromium } from '@signet/test-browser';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The apps page's rename, retention and delete (behind a typed confirmation) and the Audit page,
 * in a real Chromium against a real server on a SQLite file. Screenshots at 1280 and 390 px go
 * to test-artifacts/dashboard (and SIGNET_SCREENS_DIR when set); the page must never scroll
 * sideways.
 */

const available = browserAvailable('governance dashboard tests');
const ADMIN_TOKEN = 'dashboard-governance-admin-token-0123456789';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = [
  join(root, '..', '..', 'test-artifacts', 'dashboard'),
  process.env.SIGNET_SCREENS_DIR,
].filter((d): d is string => Boolean(d));

let dir: string;
let store: Store;
let server: FastifyInstance;
let base: string;
let browser: Browser;
let page: Page;
const problems: string[] = [];

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/admin/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    body: res.status === 204 ? null : ((await res.json()) as Record<string, any>),
  };
}

/** Screenshots at 1280 and 390 px; answers how far the 390 px page scrolls sideways. */
async function shots(name: string) {
  for (const d of artifacts) await page.screenshot({ path: join(d, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  for (const d of artifacts) await page.screenshot({ path: join(d, `${name}-390.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.setViewportSize({ width: 1280, height: 900 });
  return overflow;
}

describe.skipIf(!available)('app lifecycle and audit log in the dashboard (Chromium)', () => {
  beforeAll(async () => {
    const built = join(root, '..', 'server', 'dashboard', 'index.html');
    if (!existsSync(built)) throw new Error(`The dashboard is not built (${built}): run npm run build`);
    for (const d of artifacts) mkdirSync(d, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'signet-dashboard-governance-'));
    store = openStore(`sqlite:${join(dir, 'signet.db')}`);
    await store.migrate();
    server = await buildApp({
      store,
      adminToken: AdminTokenCheck.forToken(ADMIN_TOKEN),
      config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0 },
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // Expected: the session check before logging in answers 401.
      if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    // One wrong token first: the audit log must show the failed login.
    await page.goto(base);
    await page.getByLabel('Admin token').fill('not-the-admin-token-at-all');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    problems.length = 0; // the refused login logs a 401 in the console, as it should
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renames an app and sets its retention from the apps page', async () => {
    const shop = (await admin('POST', '/apps', { name: 'Web shop' })).body.id as string;
    await admin('POST', '/apps', { name: 'Mobile app with a rather long name' });
    await page.reload();
    const row = page.getByRole('row', { name: /Web shop/ });
    await row.getByRole('cell', { name: 'forever' }).waitFor();

    await page.getByRole('button', { name: 'Edit Web shop' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit Web shop' });
    await dialog.getByLabel('Name').fill('Web shop EU');
    await dialog.getByLabel(/For a number of days/).check();
    await dialog.getByLabel('Days to keep events').fill('0');
    expect(await dialog.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Days to keep events').fill('90');
    expect(await shots('apps-edit')).toBeLessThanOrEqual(0);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved Web shop EU').waitFor();
    await page
      .getByRole('row', { name: /Web shop EU/ })
      .getByRole('cell', { name: '90 days' })
      .waitFor();
    expect((await admin('GET', `/apps/${shop}`)).body).toMatchObject({
      name: 'Web shop EU',
      retentionDays: 90,
    });
    expect(await shots('apps-list')).toBeLessThanOrEqual(0);
  });

  it('deletes an app only once its id is typed', async () => {
    const { id } = (await admin('POST', '/apps', { name: 'Old test app' })).body as { id: string };
    await page.reload();
    await page.getByRole('button', { name: 'Delete Old test app' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Old test app?' });
    const confirm = dialog.getByRole('button', { name: 'Delete app and data' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type the app id/).fill('Old test app');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type the app id/).fill(id.slice(0, -1));
    expect(await confirm.isDisabled()).toBe(true);
    // Cancel leaves the app alone.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await admin('GET', `/apps/${id}`)).status).toBe(200);

    await page.getByRole('button', { name: 'Delete Old test app' }).click();
    await dialog.getByLabel(/Type the app id/).fill(id);
    expect(await shots('apps-delete')).toBeLessThanOrEqual(0);
    await confirm.click();
    await page.getByText('Deleted Old test app and all its data').waitFor();
    await expect.poll(() => page.getByRole('row', { name: /Old test app/ }).count()).toBe(0);
    expect((await admin('GET', `/apps/${id}`)).status).toBe(404);
  });

  it('shows the audit log, per app, with more entries on demand', async () => {
    // Enough entries for two pages.
    const busy = (await admin('POST', '/apps', { name: 'Busy app' })).body.id as string;
    for (let days = 1; days <= 55; days++) await admin('PATCH', `/apps/${busy}`, { retentionDays: days });

    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.locator('table.audit-table tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByText('50 entries shown').waitFor();
    expect(await rows.first().textContent()).toContain('retentionDays: 54 → 55');
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBeGreaterThan(50);
    const total = await rows.count();
    const all = (await admin('GET', '/audit?limit=1000')).body.entries as { action: string }[];
    expect(total).toBe(all.length);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    const text = (await page.locator('table.audit-table').textContent()) ?? '';
    for (const shown of ['Login failed', 'Logged in', 'App renamed', 'App deleted', 'App created']) {
      expect(text).toContain(shown);
    }
    expect(text).toContain('name: "Web shop" → "Web shop EU"');
    expect(text).not.toContain(ADMIN_TOKEN);
    expect(await shots('audit')).toBeLessThanOrEqual(0);

    await page.getByLabel('App').selectOption({ label: 'Web shop EU' });
    await expect.poll(() => rows.count()).toBe(3);
    expect(
      (await rows.allTextContents()).map((r) => r.match(/App (created|renamed)|Retention changed/)?.[0]),
    ).toEqual(['Retention changed', 'App renamed', 'App created']);
    expect(await shots('audit-app')).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
  });
});

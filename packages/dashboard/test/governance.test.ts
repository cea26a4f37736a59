import { browserAvailable } from '@signet/test-browser';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, openDashboard } from './dashboard-harness.ts';

/*
 * The apps page's rename, retention and delete (behind a typed confirmation) and the Audit page,
 * in a real Chromium against a real server on a SQLite file. Screenshots at 1280 and 390 px go
 * to test-artifacts/dashboard (and SIGNET_SCREENS_DIR when set); the page must never scroll
 * sideways.
 */

const available = browserAvailable('governance dashboard tests');
const ADMIN_TOKEN = 'dashboard-governance-admin-token-0123456789';

let dashboard: Dashboard;
let page: Page;
let problems: string[];
const admin = (method: string, path: string, body?: unknown) => dashboard.admin(method, path, body);
const shots = (name: string) => dashboard.shots(name);

describe.skipIf(!available)('app lifecycle and audit log in the dashboard (Chromium)', () => {
  beforeAll(async () => {
    dashboard = await openDashboard({ adminToken: ADMIN_TOKEN });
    ({ page, problems } = dashboard);
    // One wrong token first: the audit log must show the failed login.
    await dashboard.logIn('not-the-admin-token-at-all');
    await page.getByRole('alert').waitFor();
    problems.length = 0; // the refused login logs a 401 in the console, as it should
    await dashboard.logIn();
  }, 60_000);

  afterAll(async () => {
    await dashboard?.close();
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

import { randomUUID } from 'node:crypto';
import { browserAvailable } from '@signet/test-browser';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, openDashboard } from './dashboard-harness.ts';

/*
 * The events explorer (SPEC §5) in a real Chromium against a real server on a real SQLite file:
 * the compact table, every filter, "Load more" through the cursor, a row opening to its JSON,
 * the NDJSON download, the auth monitor's Outcome column, and both widths (screenshots in
 * test-artifacts/dashboard, and SIGNET_SCREENS_DIR when set).
 */

const available = browserAvailable('events explorer browser tests');
const ADMIN_TOKEN = 'explorer-test-admin-token-0123456789';

let dashboard: Dashboard;
let base: string;
let page: Page;
let problems: string[];
let appId: string;
let kid: string;

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

const admin = async (method: string, path: string, body?: unknown) =>
  (await dashboard.admin(method, path, body)).body;

async function send(user: { id: string } | { anonymousId: string }, bearer: string | null, names: string[]) {
  const now = new Date().toISOString();
  const res = await fetch(`${base}/v1/apps/${appId}/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer && { authorization: `Bearer ${bearer}` }) },
    body: JSON.stringify({
      batchId: randomUUID(),
      sentAt: now,
      sdk: { name: 'signet-web', version: '1.2.3' },
      user,
      events: names.map((name, i) => ({
        id: randomUUID(),
        type: 'track',
        name,
        timestamp: now,
        properties: { i, plan: 'pro' },
      })),
    }),
  });
  expect(res.status).toBe(200);
}

async function token(key: KeyPair, sub: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub, iat: now, exp: now + 900 })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .sign(key.privateKey);
}

const rows = () => page.locator('table.event-table tr.event-row');
const shot = (name: string, fullPage = true) => dashboard.screenshot(name, fullPage);

describe.skipIf(!available)('events explorer in Chromium', () => {
  beforeAll(async () => {
    dashboard = await openDashboard({ adminToken: ADMIN_TOKEN, acceptDownloads: true });
    ({ base, page, problems } = dashboard);

    const key = await generateKeyPair('ES256', { extractable: true });
    const forger = await generateKeyPair('ES256', { extractable: true });
    appId = (await admin('POST', '/apps', { name: 'Explorer shop' })).id;
    kid = (
      await admin('POST', `/apps/${appId}/keys`, { pem: await exportSPKI(key.publicKey), kid: 'main-2026' })
    ).kid;
    await admin('PUT', `/apps/${appId}/jwt`, { mode: 'optional' });
    // 120 verified events of three users, 5 unverified (a forged token), 3 anonymous: 128, two pages.
    for (let b = 0; b < 12; b++) {
      const user = `user-${b % 3}`;
      await send(
        { id: user },
        await token(key, user),
        Array.from({ length: 10 }, (_, i) => (i % 2 ? 'Viewed' : 'Bought')),
      );
    }
    await send({ id: 'mallory' }, await token(forger, 'mallory'), [
      'Viewed',
      'Viewed',
      'Viewed',
      'Viewed',
      'Refunded',
    ]);
    await send({ anonymousId: randomUUID() }, null, ['Landed', 'Landed', 'Landed']);

    await dashboard.logIn();
  }, 60_000);

  afterAll(async () => {
    await dashboard?.close();
  });

  it('shows the newest events in a compact table and loads more through the cursor', async () => {
    await page.goto(`${base}/#/apps/${appId}/events`);
    await expect.poll(() => rows().count()).toBe(100);
    const headers = await page.locator('table.event-table thead th').allTextContents();
    expect(headers).toEqual(['Time', 'Name', 'User', 'Verified', 'Key']);
    // Newest first: the anonymous batch came last.
    expect(await rows().first().textContent()).toContain('anonymous');
    const verifiedRow = rows().filter({ hasText: 'user-2' }).first();
    expect(await verifiedRow.locator('td').nth(4).textContent()).toBe(kid);
    expect(await verifiedRow.locator('td').nth(3).textContent()).toBe('Verified');
    await shot('events-explorer-1280');

    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows().count()).toBe(128);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await page.getByText('128 events shown (all that match)').waitFor();
    // Each event once across the pages.
    const ids = await page.evaluate(async (app) => {
      const res = await fetch(`/admin/v1/apps/${app}/events?limit=1000`);
      return ((await res.json()) as { events: { id: string }[] }).events.length;
    }, appId);
    expect(ids).toBe(128);
  });

  it('opens a row to the event’s JSON', async () => {
    const first = rows().nth(3);
    await first.getByRole('button', { expanded: false }).click();
    const json = page.locator('tr.event-json pre');
    const event = JSON.parse((await json.textContent()) ?? '');
    expect(event).toMatchObject({
      type: 'track',
      receivedAt: expect.any(String),
      verified: expect.anything(),
    });
    expect(event.properties).toMatchObject({ plan: 'pro' });
    expect(await first.getByRole('button', { expanded: true }).count()).toBe(1);
    await shot('events-explorer-open-1280');
    // A click anywhere on the row (not on its user) closes it again.
    await first.locator('td').nth(1).click();
    expect(await json.count()).toBe(0);
  });

  it('filters by name, verified, user (also by clicking one) and time window', async () => {
    await page.getByLabel('Event name').fill('Refunded');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows().count()).toBe(1);
    expect(await rows().first().textContent()).toContain('mallory');
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows().count()).toBe(100);

    await page.getByLabel('Verified').selectOption('false');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows().count()).toBe(5);
    await page.getByRole('button', { name: 'mallory' }).first().click();
    await page.getByText('mallory', { exact: true }).first().waitFor();
    await expect.poll(() => page.getByLabel('User id').inputValue()).toBe('mallory');
    await expect.poll(() => rows().count()).toBe(5);
    await page.getByRole('button', { name: 'Clear' }).click();

    // A window that ended before anything was received.
    await page.getByLabel('Received before').fill('2020-01-01T00:00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No events match these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows().count()).toBe(100);
  });

  it('downloads the matching events as NDJSON', async () => {
    await page.getByLabel('User id').fill('user-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => rows().count()).toBe(40);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export NDJSON' }).click(),
    ]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(40);
    expect(new Set(lines.map((e) => e.userId))).toEqual(new Set(['user-1']));
    expect(download.suggestedFilename()).toBe(`${appId}-events.ndjson`);
    // Oldest first.
    const times = lines.map((e) => Date.parse(e.receivedAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    await page.getByRole('button', { name: 'Clear' }).click();
  });

  it('says Outcome, not Mode, in the auth monitor', async () => {
    await page.goto(`${base}/#/apps/${appId}/monitor`);
    const table = page.locator('table.failures');
    await table.waitFor();
    const headers = await table.locator('thead th').allTextContents();
    expect(headers).toContain('Outcome');
    expect(headers).not.toContain('Mode');
  });

  it('fits a 390 px wide screen without sideways scrolling, a row open', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/#/apps/${appId}/events`);
    await expect.poll(() => rows().count()).toBe(100);
    await rows().nth(1).getByRole('button', { expanded: false }).click();
    await page.locator('tr.event-json pre').waitFor();
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > 390.5 && !e.parentElement?.closest('.tabs'))
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('events-explorer-390');
    // The first screen as a phone shows it, at full size.
    await shot('events-explorer-390-screen', false);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('raised no page errors or console errors', () => {
    expect(problems).toEqual([]);
  });
});

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdminTokenCheck, buildApp, openStore, type ServerConfig } from '@signet/server';
import { launchChromium } from '@signet/test-browser';
import type { Browser, Page } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where screenshots go: test-artifacts/dashboard, and SIGNET_SCREENS_DIR when set. */
const ARTIFACTS = [
  join(root, '..', '..', 'test-artifacts', 'dashboard'),
  process.env.SIGNET_SCREENS_DIR,
].filter((d): d is string => Boolean(d));

/** A real server on a real SQLite file and port, and a Chromium page on its built dashboard. */
export interface Dashboard {
  base: string;
  browser: Browser;
  page: Page;
  /** Page errors, and console errors other than the 401 the session check answers before a login. */
  problems: string[];
  /** An admin API call with the admin token: its status and parsed body (null for a 204). */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Logs in through the login page with `token` (the admin token unless given). */
  logIn(token?: string): Promise<void>;
  /** A screenshot, `<name>.png`, in each artifacts folder. */
  screenshot(name: string, fullPage?: boolean): Promise<void>;
  /** Full-page screenshots at 1280 and 390 px; answers how far the 390 px page scrolls sideways. */
  shots(name: string): Promise<number>;
  close(): Promise<void>;
}

export interface DashboardOptions {
  adminToken: string;
  /** Server settings beyond the test defaults (rate limits off). */
  config?: Partial<ServerConfig>;
  /** Let the page download files (the NDJSON export). */
  acceptDownloads?: boolean;
}

/**
 * Starts what each dashboard browser test starts from, closed by `close()`.
 *
 * @example
 * const d = await openDashboard({ adminToken: ADMIN_TOKEN });
 * await d.logIn();
 * await d.page.goto(`${d.base}/#/audit`);
 */
export async function openDashboard(options: DashboardOptions): Promise<Dashboard> {
  const built = join(root, '..', 'server', 'dashboard', 'index.html');
  if (!existsSync(built)) throw new Error(`The dashboard is not built (${built}): run npm run build`);
  for (const d of ARTIFACTS) mkdirSync(d, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'signet-dashboard-'));
  const store = openStore(`sqlite:${join(dir, 'signet.db')}`);
  await store.migrate();
  const server = await buildApp({
    store,
    adminToken: AdminTokenCheck.forToken(options.adminToken),
    config: { rateLimitAppPerMinute: 0, rateLimitClientPerMinute: 0, ...options.config },
  });
  const base = await server.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: options.acceptDownloads ?? false,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // Expected: the session check before logging in answers 401.
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  const screenshot = async (name: string, fullPage = true) => {
    for (const d of ARTIFACTS) await page.screenshot({ path: join(d, `${name}.png`), fullPage });
  };
  return {
    base,
    browser,
    page,
    problems,
    async admin(method, path, body) {
      const res = await fetch(`${base}/admin/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.adminToken}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    },
    async logIn(token = options.adminToken) {
      await page.goto(base);
      await page.getByLabel('Admin token').fill(token);
      await page.keyboard.press('Enter');
      if (token === options.adminToken) await page.getByRole('heading', { name: 'Apps' }).waitFor();
    },
    screenshot,
    async shots(name) {
      await screenshot(`${name}-1280`);
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(`${name}-390`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await page.setViewportSize({ width: 1280, height: 900 });
      return overflow;
    },
    async close() {
      await browser.close();
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

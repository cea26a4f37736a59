import { browserAvailable } from '@signet/test-browser';
import { type OidcProvider, startOidcProvider } from '@signet/test-services';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, openDashboard } from './dashboard-harness.ts';

/*
 * The Authentication page's identity provider settings in a real Chromium, against a real server
 * and a real OpenID provider (oidc-provider on 127.0.0.1): set it through discovery, fetch its
 * keys now, see them (kid, algorithm, fetched at, next refresh), and see a failed fetch while
 * the keys fetched before stay listed. Screenshots at 1280 and 390 px. Each step may take a
 * minute: Chromium on a loaded two-core machine has taken more than the default 20 s.
 */

const available = browserAvailable('identity provider dashboard tests');
const ADMIN_TOKEN = 'dashboard-idp-test-admin-token-0123456789';

let dashboard: Dashboard;
let base: string;
let page: Page;
let problems: string[];
let provider: OidcProvider;
let appId: string;
const admin = async (method: string, path: string, body?: unknown) =>
  (await dashboard.admin(method, path, body)).body;
const shots = (name: string) => dashboard.shots(name);

describe.skipIf(!available)('identity provider on the Authentication page (Chromium)', () => {
  beforeAll(async () => {
    provider = await startOidcProvider();
    // The provider is plain http on 127.0.0.1 (SIGNET_JWKS_ALLOW_PRIVATE_NETWORK=1).
    dashboard = await openDashboard({ adminToken: ADMIN_TOKEN, config: { jwksAllowPrivateNetwork: true } });
    ({ base, page, problems } = dashboard);
    appId = (await admin('POST', '/apps', { name: 'Provider shop' })).id;
    await dashboard.logIn();
  }, 60_000);

  afterAll(async () => {
    await dashboard?.close();
    await provider?.close();
  });

  it('sets the provider through discovery, fetches its keys now and lists them', async () => {
    await page.goto(`${base}/#/apps/${appId}/authentication`);
    await page.getByRole('group', { name: 'Identity provider' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Identity provider keys' }).count()).toBe(0);

    await page.getByLabel(/^OpenID discovery/).check();
    await page.getByLabel('Issuer (iss)').fill(provider.issuer);
    await page.getByLabel('Audience (aud)').fill(provider.clientId);
    await page.getByLabel('User id claim').fill('sub');
    await page.getByLabel(/^Optional/).check();
    // The page says where discovery will look.
    await page.getByText(`${provider.issuer}/.well-known/openid-configuration`).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await admin('GET', `/apps/${appId}`)).jwt).toMatchObject({
      mode: 'optional',
      discovery: true,
      jwksUrl: null,
      issuer: provider.issuer,
      audience: provider.clientId,
      userIdClaim: 'sub',
    });

    const card = page.locator('section', {
      has: page.getByRole('heading', { name: 'Identity provider keys' }),
    });
    await card.getByText('No keys fetched yet').waitFor();
    await card.getByRole('button', { name: 'Fetch now' }).click();
    await card.getByText('Fetched 1 key.').waitFor();
    const kid = provider.currentKid();
    await card.getByRole('cell', { name: kid }).waitFor();
    expect(await card.getByRole('cell', { name: 'RS256' }).count()).toBe(1);
    expect(await card.getByRole('cell', { name: 'RSA 2048' }).count()).toBe(1);
    expect(await card.locator('dd.mono').textContent()).toBe(provider.jwksUrl);
    const status = await admin('GET', `/apps/${appId}/jwks`);
    const facts = (await card.locator('dl.facts').textContent()) ?? '';
    expect(facts).toContain('OpenID discovery');
    expect(facts).not.toContain('never'); // fetched at and next refresh are shown
    expect(status.nextRefreshAt).not.toBeNull();
    expect(await shots('authentication-provider')).toBeLessThanOrEqual(0);
  }, 60_000);

  it('shows a failed fetch and keeps listing the keys fetched before', async () => {
    const kid = provider.currentKid();
    await provider.close(); // the provider goes down
    const card = page.locator('section', {
      has: page.getByRole('heading', { name: 'Identity provider keys' }),
    });
    await card.getByRole('button', { name: 'Fetch now' }).click();
    const alert = card.getByRole('alert');
    await alert.waitFor();
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Last fetch failed');
    expect(text).toContain((await admin('GET', `/apps/${appId}/jwks`)).lastError.kind);
    expect(text).toContain('still checked with the keys fetched before');
    await card.getByRole('cell', { name: kid }).waitFor();
    expect(await shots('authentication-provider-down')).toBeLessThanOrEqual(0);
  }, 60_000);

  it('switches to a JWKS URL and back to none, sending only what changed', async () => {
    await page.reload();
    await page.getByLabel(/^JWKS URL/).check();
    await page.getByLabel('JWKS URL', { exact: true }).fill('http://127.0.0.1:9/keys.json');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await admin('GET', `/apps/${appId}`)).jwt).toMatchObject({
      discovery: false,
      jwksUrl: 'http://127.0.0.1:9/keys.json',
    });
    await page
      .locator('section', { has: page.getByRole('heading', { name: 'Identity provider keys' }) })
      .getByText('http://127.0.0.1:9/keys.json')
      .waitFor();

    await page.getByLabel(/^None/).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    expect((await admin('GET', `/apps/${appId}`)).jwt).toMatchObject({ discovery: false, jwksUrl: null });
    await expect.poll(() => page.getByRole('heading', { name: 'Identity provider keys' }).count()).toBe(0);
    expect(problems).toEqual([]);
  }, 60_000);
});

import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); test tools never download their own. */
export const CHROMIUM_PATH = process.env.SIGNET_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a headless run on a machine with no network beyond loopback. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Whether the browser tests of `suite` can run. Without Chromium they are skipped with a printed
 * reason, except under SIGNET_REQUIRE_BROWSER=1 (CI), where the absence is an error.
 *
 * @example
 * const available = browserAvailable('dashboard browser tests');
 * describe.skipIf(!available)('dashboard', () => { … });
 */
export function browserAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.SIGNET_REQUIRE_BROWSER === '1') {
    throw new Error(`SIGNET_REQUIRE_BROWSER=1 but ${CHROMIUM_PATH} is missing (apt-get install chromium)`);
  }
  console.warn(`${suite} skipped: ${CHROMIUM_PATH} not found (set SIGNET_REQUIRE_BROWSER=1 to fail instead)`);
  return false;
}

/** A headless Chromium driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

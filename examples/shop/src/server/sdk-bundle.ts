import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The path of the SDK's script-tag build (`signet.iife.js`, sets `window.Signet`), as the
 * `@signet/sdk` package ships it (built by `npm run build`, which `npm ci` runs). The page loads
 * it from the shop itself: no CDN, and the demo runs the SDK of this checkout.
 *
 * @example
 * const bundle = sdkBundlePath(); // …/packages/sdk/dist/signet.iife.js
 */
export function sdkBundlePath(): string {
  const bundle = fileURLToPath(import.meta.resolve('@signet/sdk/iife'));
  if (!existsSync(bundle)) throw new Error(`The SDK is not built (${bundle} is missing): run npm run build`);
  return bundle;
}

import type { SignetOptions } from '../core/options.ts';
import { SignetClient } from '../core/signet-client.ts';
import { localStorageAdapter } from './local-storage.ts';
import { pageContext } from './page-context.ts';
import { onPageHide } from './page-hide.ts';
import { webLocks } from './web-locks.ts';

export * from '../core/index.ts';
export { localStorageAdapter } from './local-storage.ts';

/** The browser entry point (also `window.Signet` in the script-tag build). */
export const Signet = {
  /**
   * Starts the SDK. Events persist in `localStorage` under `signet:<appId>:`; one tab sends for
   * all; the queue is sent with `fetch(keepalive)` when the page is hidden. Each event's context
   * adds the page, screen, user agent and UTM campaign to the library, locale and time zone.
   *
   * @example
   * const signet = Signet.init({ appId, endpoint: 'https://collect.example.com',
   *   networkRequest: { authorization: { jwtEnabled: true } } });
   */
  init(options: SignetOptions): SignetClient {
    // Leading now: send what other tabs left.
    const tabs = webLocks(() => void client.flush());
    const client = new SignetClient(options, {
      storage: localStorageAdapter(),
      transport: (url, init) => fetch(url, init),
      locks: tabs.locks,
      sdkName: 'signet-web',
      context: pageContext,
    });
    onPageHide(() => {
      if (tabs.leads()) void client.flushKeepalive();
    });
    // Another tab queued an event: the leader sends it within flushIntervalMs.
    const prefix = `signet:${options.appId}:q:`;
    addEventListener('storage', (event) => {
      if (event.key?.startsWith(prefix) && event.newValue !== null) client.nudge();
    });
    void client.flush();
    return client;
  },
};

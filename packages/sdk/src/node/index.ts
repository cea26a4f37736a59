import { join } from 'node:path';
import type { SignetOptions } from '../core/options.ts';
import type { Clock } from '../core/runtime.ts';
import { SignetClient } from '../core/signet-client.ts';
import { fileStorage } from './file-storage.ts';
import { stateDir } from './state-dir.ts';

export * from '../core/index.ts';
export { fileStorage } from './file-storage.ts';
export { stateDir } from './state-dir.ts';

// Timers that do not keep a CLI or a server process alive just to flush analytics.
const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** The Node entry point. */
export const Signet = {
  /**
   * Starts the SDK. Events persist in `<state dir>/<appId>.json` unless `storage` says otherwise.
   *
   * @example
   * const signet = Signet.init({ appId, endpoint: 'https://collect.example.com',
   *   networkRequest: { authorization: { jwtEnabled: true } } });
   */
  init(options: SignetOptions): SignetClient {
    const storage =
      options.storage ??
      fileStorage(join(stateDir(), `${encodeURIComponent(String(options?.appId ?? 'default'))}.json`));
    return new SignetClient(options, {
      storage,
      transport: (url, init) => fetch(url, init),
      clock: nodeClock,
      sdkName: 'signet-node',
    });
  },
};

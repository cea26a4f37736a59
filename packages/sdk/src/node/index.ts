import { join } from 'node:path';
import { SignetBackendClient, type SignetBackendOptions } from '../core/backend-client.ts';
import { memoryStorage } from '../core/memory-storage.ts';
import type { SignetOptions } from '../core/options.ts';
import type { Clock } from '../core/runtime.ts';
import { SignetClient } from '../core/signet-client.ts';
import { fileStorage } from './file-storage.ts';
import { stateDir } from './state-dir.ts';

export type { BackendUser, SignetBackendOptions, SignetBackendStats } from '../core/backend-client.ts';
export { SignetBackendClient } from '../core/backend-client.ts';
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

/**
 * Server-side tracking on behalf of many users (SPEC §6.2): each call names its user and may
 * bring their token; batches are per user, each with only that user's token. Memory only unless
 * `storage` is given; timers never keep the process alive, so `await close()` before it exits.
 */
export const SignetBackend = {
  /**
   * @example
   * const backend = SignetBackend.init({ appId, endpoint: 'https://collect.example.com',
   *   tokenProvider: async (userId) => issuer.issue(userId) });
   * backend.track({ userId: 'user-42', name: 'Invoice paid', properties: { amount: 120 } });
   * await backend.close();
   */
  init(options: SignetBackendOptions): SignetBackendClient {
    return new SignetBackendClient(options, {
      storage: memoryStorage(),
      transport: (url, init) => fetch(url, init),
      clock: nodeClock,
      sdkName: 'signet-backend',
    });
  },
};

import { SignetError } from '../core/authentication-error.ts';
import { DeferredClient, ReplayClock } from '../core/deferred-client.ts';
import { resolveOptions, type SignetOptions } from '../core/options.ts';
import { systemClock } from '../core/runtime.ts';
import { SignetClient } from '../core/signet-client.ts';
import { type AppStateLike, onAppBackground } from './app-state.ts';
import { type AsyncStorageLike, openAsyncStorage } from './async-storage.ts';
import { nativeAppState, nativeAsyncStorage } from './native-modules.ts';

export type { DeferredClient, SignetApi } from '../core/deferred-client.ts';
export * from '../core/index.ts';
export type { AppStateLike } from './app-state.ts';
export type { AsyncStorageLike } from './async-storage.ts';
export { openAsyncStorage } from './async-storage.ts';

/** Options of the React Native `Signet.init`: the client's, and where AsyncStorage and AppState come from. */
export interface ReactNativeOptions extends Omit<SignetOptions, 'locks'> {
  /** Default: `@react-native-async-storage/async-storage`. Ignored when `storage` is given. */
  asyncStorage?: AsyncStorageLike;
  /** Default: React Native's `AppState`. */
  appState?: AppStateLike;
}

/**
 * What the core needs from the JavaScript engine and React Native lacks without help: ids are
 * made from `crypto.getRandomValues` (React Native has none until `react-native-get-random-values`
 * is imported), event sizes are measured with `TextEncoder` and tokens read with `atob` (Hermes
 * has both from React Native 0.74). Checked at init, so that a missing one is one clear error
 * rather than events failing one by one later.
 */
function missingGlobals(): string[] {
  const scope = globalThis as {
    crypto?: { getRandomValues?: unknown };
    TextEncoder?: unknown;
    atob?: unknown;
  };
  const missing: string[] = [];
  if (typeof scope.crypto?.getRandomValues !== 'function') {
    missing.push("crypto.getRandomValues (add `import 'react-native-get-random-values'` before the SDK)");
  }
  if (typeof scope.TextEncoder !== 'function') missing.push('TextEncoder (React Native 0.74 or later)');
  if (typeof scope.atob !== 'function') missing.push('atob (React Native 0.74 or later)');
  return missing;
}

/** The React Native entry point: `import { Signet } from '@signet/sdk/react-native'`. */
export const Signet = {
  /**
   * Starts the SDK. Events, the identity, the session and tokens persist in AsyncStorage under
   * `signet:<appId>:`; the queue is sent when the app goes to the background. It returns at once:
   * calls made before AsyncStorage has been read (a few milliseconds) are replayed in order, at
   * the time they were made, once it has.
   *
   * @example
   * import 'react-native-get-random-values';
   * import { Signet } from '@signet/sdk/react-native';
   * const signet = Signet.init({ appId, endpoint: 'https://collect.example.com',
   *   networkRequest: { authorization: { jwtEnabled: true } } });
   */
  init(options: ReactNativeOptions): DeferredClient {
    // Bad options throw here, at the call, not later inside the promise.
    const { appId, maxQueueSize } = resolveOptions(options);
    const missing = missingGlobals();
    if (missing.length > 0) {
      throw new SignetError(`Signet.init: this JavaScript engine lacks ${missing.join(', ')}`);
    }
    const logger = options.logger ?? ((message: string) => console.log(message));
    const log = options.debug ? (message: string) => logger(`[signet] ${message}`) : () => {};
    const clock = new ReplayClock(options.clock ?? systemClock);
    const make = async () => {
      const storage =
        options.storage ??
        (await openAsyncStorage(options.asyncStorage ?? nativeAsyncStorage, `signet:${appId}:`, log));
      return new SignetClient(
        { ...options, clock },
        { storage, transport: (url, init) => fetch(url, init), sdkName: 'signet-react-native' },
      );
    };
    let stop = () => {};
    const client = new DeferredClient(make, clock, maxQueueSize, log, () => stop());
    stop = onAppBackground(options.appState ?? nativeAppState, () => void client.flush());
    // Send what the last run of the app left.
    void client.flush();
    return client;
  },
};

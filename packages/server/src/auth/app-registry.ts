import { createTokenVerifier, type TokenVerifier } from '@signet/verifier';
import type { AppRow, KeyRow, Store } from '../store/store.ts';

/** What ingestion needs to know about an app, loaded once and reused until it changes. */
export interface LoadedApp {
  app: AppRow;
  keys: KeyRow[];
  /** Built for the app's current keys and settings; its token cache dies with it. */
  verifier: TokenVerifier;
}

/**
 * In-memory cache of apps with their imported keys and token verifier. Admin writes call
 * `invalidate`, which drops the app's verifier and so its verified-token cache too.
 */
export class AppRegistry {
  private readonly loaded = new Map<string, Promise<LoadedApp | null>>();

  constructor(
    private readonly store: Store,
    private readonly tokenCacheSize: number,
  ) {}

  /** The app, or null when it does not exist. Concurrent first calls share one load. */
  get(appId: string): Promise<LoadedApp | null> {
    let pending = this.loaded.get(appId);
    if (!pending) {
      pending = this.load(appId);
      this.loaded.set(appId, pending);
      // Unknown apps and failed loads are not remembered: the next request asks again.
      pending.then(
        (app) => app === null && this.loaded.get(appId) === pending && this.loaded.delete(appId),
        () => this.loaded.get(appId) === pending && this.loaded.delete(appId),
      );
    }
    return pending;
  }

  invalidate(appId: string): void {
    this.loaded.delete(appId);
  }

  private async load(appId: string): Promise<LoadedApp | null> {
    const app = await this.store.getApp(appId);
    if (!app) return null;
    const keys = await this.store.listKeys(appId);
    const verifier = createTokenVerifier({
      keys: keys.map((k) => ({ kid: k.kid, algorithms: k.algorithms, jwk: k.jwk })),
      settings: app.jwt,
      cacheSize: this.tokenCacheSize,
    });
    return { app, keys, verifier };
  }
}

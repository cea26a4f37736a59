import { createTokenVerifier, type TokenVerifier } from '@signet/verifier';
import { JwksProviders } from '../jwks/jwks-providers.ts';
import type { AppRow, KeyRow, RegistryStore } from '../store/registry-store.ts';

/** What ingestion needs to know about an app, loaded once and reused until it changes. */
export interface LoadedApp {
  app: AppRow;
  keys: KeyRow[];
  /** Built for the app's current keys and settings; its token cache dies with it. */
  verifier: TokenVerifier;
}

/**
 * In-memory cache of apps with their imported keys and token verifier. A change drops the
 * app's verifier, and so its verified-token cache: at once for writes through this instance,
 * on the store's change notification for other instances (PostgreSQL LISTEN/NOTIFY), and at
 * the latest on the next periodic version check, should a notification be missed.
 */
export class AppRegistry {
  private readonly loaded = new Map<string, Promise<LoadedApp | null>>();
  /** `updatedAt` of each app as loaded, compared with the store's on every check. */
  private readonly versions = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private unwatch: (() => Promise<void>) | undefined;

  constructor(
    private readonly store: RegistryStore,
    private readonly tokenCacheSize: number,
    private readonly checkEveryMs = 5_000,
    /** The apps' identity providers (SPEC §4.1); they outlive verifiers rebuilt for other changes. */
    readonly jwks = new JwksProviders({ limits: { allowPrivateNetwork: false } }),
  ) {}

  /** Starts following changes made by other instances. */
  async start(onError: (error: unknown) => void): Promise<void> {
    this.unwatch = await this.store
      .watchChanges((appId) => this.invalidate(appId))
      .catch((error: unknown) => {
        onError(error);
        return undefined;
      });
    this.timer = setInterval(() => void this.checkVersions().catch(onError), this.checkEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unwatch?.();
  }

  /** The fallback for a missed notification: drop every app whose version moved. */
  async checkVersions(): Promise<void> {
    if (this.versions.size === 0) return;
    const current = await this.store.appVersions();
    for (const [appId, version] of this.versions) {
      if (current.get(appId) !== version) this.invalidate(appId);
    }
  }

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
    this.versions.delete(appId);
  }

  private async load(appId: string): Promise<LoadedApp | null> {
    const app = await this.store.getApp(appId);
    if (!app) {
      this.jwks.forget(appId);
      return null;
    }
    const keys = await this.store.listKeys(appId);
    const provider = this.jwks.forApp(appId, app.jwt);
    const verifier = createTokenVerifier({
      keys: keys.map((k) => ({ kid: k.kid, algorithms: k.algorithms, jwk: k.jwk })),
      settings: app.jwt,
      cacheSize: this.tokenCacheSize,
      ...(provider && { provider }),
    });
    this.versions.set(appId, app.updatedAt);
    return { app, keys, verifier };
  }
}

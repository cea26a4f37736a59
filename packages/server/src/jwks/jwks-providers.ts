import type { JwksStatus, JwtSettings } from '@signet/protocol';
import {
  type FetchOutcome,
  JwksProvider,
  type JwksProviderOptions,
  type JwksSource,
} from './jwks-provider.ts';

export interface JwksProvidersOptions {
  limits: JwksProviderOptions['limits'];
  now?: () => number;
  /** Told every fetch's outcome, per app (metrics). */
  onFetch?: (appId: string, outcome: FetchOutcome, keys: number) => void;
}

/** The status of an app with neither `jwksUrl` nor discovery. */
export const NOT_CONFIGURED: JwksStatus = Object.freeze({
  configured: false,
  source: null,
  jwksUrl: null,
  keys: [],
  ignoredKeys: 0,
  fetchedAt: null,
  nextRefreshAt: null,
  lastError: null,
});

/** Where an app's provider keys come from, per its settings; null when it names no provider. */
export function jwksSourceOf(jwt: JwtSettings): JwksSource | null {
  if (jwt.jwksUrl !== null) return { kind: 'url', url: jwt.jwksUrl };
  if (jwt.discovery && jwt.issuer !== null) return { kind: 'discovery', issuer: jwt.issuer };
  return null;
}

/**
 * This instance's identity providers, one per app that names one. A provider (and so its
 * fetched set and its 30 s budget) outlives the app's verifier: registering a key or changing
 * the mode rebuilds the verifier but keeps the provider, and only a change of the source
 * (URL, or discovery's issuer) makes a new one.
 */
export class JwksProviders {
  readonly #byApp = new Map<string, { source: string; provider: JwksProvider }>();

  constructor(private readonly options: JwksProvidersOptions) {}

  /** `SIGNET_JWKS_ALLOW_PRIVATE_NETWORK`: the admin API checks URLs by the same rule. */
  get allowPrivateNetwork(): boolean {
    return this.options.limits.allowPrivateNetwork;
  }

  /** The app's provider for its current settings, made when the source is new. */
  forApp(appId: string, jwt: JwtSettings): JwksProvider | null {
    const source = jwksSourceOf(jwt);
    if (!source) {
      this.#byApp.delete(appId);
      return null;
    }
    const key = JSON.stringify(source);
    const existing = this.#byApp.get(appId);
    if (existing?.source === key) return existing.provider;
    const onFetch = this.options.onFetch;
    const provider = new JwksProvider({
      source,
      limits: this.options.limits,
      ...(this.options.now && { now: this.options.now }),
      ...(onFetch && { onFetch: (outcome: FetchOutcome, keys: number) => onFetch(appId, outcome, keys) }),
    });
    this.#byApp.set(appId, { source: key, provider });
    return provider;
  }

  forget(appId: string): void {
    this.#byApp.delete(appId);
  }
}

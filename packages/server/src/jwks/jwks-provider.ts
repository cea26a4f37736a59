import type { JwksFetchErrorKind, JwksStatus } from '@signet/protocol';
import type { KeyProvider } from '@signet/verifier';
import { cacheSecondsOf } from './cache-lifetime.ts';
import { keyInfo, type ProviderKey, parseJwkSet } from './jwk-set.ts';
import { type FetchLimits, fetchLimited } from './limited-fetch.ts';
import { checkProviderUrl } from './provider-url.ts';

/** Where an app's keys come from: a JWKS URL, or OpenID discovery on its issuer. */
export type JwksSource = { kind: 'url'; url: string } | { kind: 'discovery'; issuer: string };

/** The fetcher's fixed rules (SPEC §4.1). */
export const JWKS_RULES = {
  /** Tokens cause at most one fetch per app in this time: an unknown kid, a stale set, or a retry. */
  minFetchIntervalMs: 30_000,
  timeoutMs: 5_000,
  maxBytes: 512 * 1024,
} as const;

export type FetchOutcome = 'ok' | JwksFetchErrorKind;

export interface JwksProviderOptions {
  source: JwksSource;
  limits: Pick<FetchLimits, 'allowPrivateNetwork' | 'ca'> & Partial<FetchLimits>;
  /** Clock in ms; tests move it. */
  now?: () => number;
  /** Told every fetch's outcome (metrics). */
  onFetch?: (outcome: FetchOutcome, keys: number) => void;
}

interface FetchedSet {
  keys: readonly ProviderKey[];
  kids: ReadonlySet<string>;
  ignored: number;
  fetchedAt: number;
  expiresAt: number;
}

type Failure = { ok: false; kind: JwksFetchErrorKind; message: string };

/**
 * One app's identity provider keys, fetched by Signet itself (never from a token header) and
 * cached. Tokens may cause at most one fetch per 30 s, however many arrive (concurrent ones
 * share it): a stale set keeps being used while it is fetched again in the background, an
 * unknown kid waits for one fetch, and while the provider is down the last good set keeps
 * working. A failed fetch is recorded (kind and message) for the admin API, never thrown.
 *
 * @example
 * const provider = new JwksProvider({ source: { kind: 'url', url }, limits: { allowPrivateNetwork: false } });
 * createTokenVerifier({ keys, settings, provider });
 */
export class JwksProvider implements KeyProvider {
  readonly source: JwksSource;
  readonly #limits: FetchLimits;
  readonly #now: () => number;
  readonly #onFetch: JwksProviderOptions['onFetch'];
  #set: FetchedSet | null = null;
  /** The URL fetched: the configured one, or the `jwks_uri` discovery found. */
  #jwksUri: string | null;
  /** After a failure, discovery is asked again: the issuer may have moved its keys. */
  #rediscover = false;
  #lastError: { at: number; kind: JwksFetchErrorKind; message: string } | null = null;
  #lastFetchStartedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | null = null;

  constructor(options: JwksProviderOptions) {
    this.source = options.source;
    this.#limits = { timeoutMs: JWKS_RULES.timeoutMs, maxBytes: JWKS_RULES.maxBytes, ...options.limits };
    this.#now = options.now ?? Date.now;
    this.#onFetch = options.onFetch;
    this.#jwksUri = options.source.kind === 'url' ? options.source.url : null;
  }

  async current(): Promise<readonly ProviderKey[] | null> {
    const set = this.#set;
    if (set && this.#now() < set.expiresAt) return set.keys;
    if (set) {
      // Stale: answer with it now, refresh behind (the provider may be down; the set still works).
      if (this.#mayFetch()) void this.#fetch();
      return set.keys;
    }
    if (this.#mayFetch()) await this.#fetch();
    else if (this.#inflight) await this.#inflight;
    return this.#set?.keys ?? null;
  }

  async refreshForUnknownKid(): Promise<readonly ProviderKey[] | null> {
    if (this.#inflight) await this.#inflight;
    else if (this.#mayFetch()) await this.#fetch();
    return this.#set?.keys ?? null;
  }

  holds(kid: string): boolean {
    return this.#set?.kids.has(kid) ?? false;
  }

  /** "Fetch now" from the admin API: not bound by the 30 s rule, but joins a fetch under way. */
  async fetchNow(): Promise<void> {
    await this.#fetch();
  }

  status(): JwksStatus {
    const set = this.#set;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      configured: true,
      source: this.source.kind,
      jwksUrl: this.#jwksUri,
      keys: set ? set.keys.map((key) => keyInfo(key, set.fetchedAt)) : [],
      ignoredKeys: set?.ignored ?? 0,
      fetchedAt: set ? iso(set.fetchedAt) : null,
      nextRefreshAt: set ? iso(set.expiresAt) : null,
      lastError: this.#lastError && { ...this.#lastError, at: iso(this.#lastError.at) },
    };
  }

  #mayFetch(): boolean {
    return this.#inflight === null && this.#now() - this.#lastFetchStartedAt >= JWKS_RULES.minFetchIntervalMs;
  }

  /** One fetch at a time: a second caller shares the first's. */
  #fetch(): Promise<void> {
    if (!this.#inflight) {
      this.#lastFetchStartedAt = this.#now();
      this.#inflight = this.#fetchSet().finally(() => {
        this.#inflight = null;
      });
    }
    return this.#inflight;
  }

  async #fetchSet(): Promise<void> {
    let uri = this.#jwksUri;
    if (this.source.kind === 'discovery' && (uri === null || this.#rediscover)) {
      const found = await this.#discover(this.source.issuer);
      if (!found.ok) return this.#failed(found);
      uri = found.uri;
      this.#jwksUri = uri;
      this.#rediscover = false;
    }
    if (uri === null) return;
    const result = await fetchLimited(new URL(uri), this.#limits);
    if (!result.ok) return this.#failed(result);
    const parsed = parseJwkSet(result.body);
    if (!parsed.ok) return this.#failed({ ok: false, kind: 'invalid_document', message: parsed.message });
    if (parsed.keys.length === 0) {
      // Kept as a failure: a set with no usable key would refuse every token, and the last good
      // set is worth more than a broken publication.
      return this.#failed({
        ok: false,
        kind: 'invalid_document',
        message: `The JWKS holds no usable signing key (${parsed.ignored} ignored)`,
      });
    }
    const fetchedAt = this.#now();
    this.#set = {
      keys: Object.freeze(parsed.keys),
      kids: new Set(parsed.keys.map((key) => key.kid)),
      ignored: parsed.ignored,
      fetchedAt,
      expiresAt: fetchedAt + cacheSecondsOf(result.cacheControl) * 1000,
    };
    this.#lastError = null;
    this.#onFetch?.('ok', parsed.keys.length);
  }

  /** `jwks_uri` from the issuer's OpenID configuration, held to the same URL rules. */
  async #discover(issuer: string): Promise<{ ok: true; uri: string } | Failure> {
    const url = new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
    const result = await fetchLimited(url, this.#limits);
    if (!result.ok) return { ...result, message: `Discovery: ${result.message}` };
    let document: { issuer?: unknown; jwks_uri?: unknown } = {};
    try {
      const parsed: unknown = JSON.parse(result.body.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null) document = parsed;
    } catch {
      // Answered below, as a document without jwks_uri.
    }
    if (typeof document.jwks_uri !== 'string') {
      return { ok: false, kind: 'discovery_failed', message: 'The OpenID configuration has no "jwks_uri"' };
    }
    // OpenID Connect Discovery §4.3: the document must name exactly the issuer asked about.
    if (document.issuer !== issuer) {
      return {
        ok: false,
        kind: 'discovery_failed',
        message: 'The OpenID configuration names another issuer than the one configured',
      };
    }
    const checked = checkProviderUrl(document.jwks_uri, this.#limits.allowPrivateNetwork);
    if (!checked.ok) {
      const kind =
        checked.reason === 'not_https'
          ? 'not_https'
          : checked.reason === 'private_address'
            ? 'address_refused'
            : 'discovery_failed';
      return { ok: false, kind, message: `Discovery: jwks_uri refused: ${checked.message}` };
    }
    return { ok: true, uri: checked.url.href };
  }

  #failed(failure: Failure): void {
    if (this.source.kind === 'discovery') this.#rediscover = true;
    this.#lastError = { at: this.#now(), kind: failure.kind, message: failure.message };
    this.#onFetch?.(failure.kind, this.#set?.keys.length ?? 0);
  }
}

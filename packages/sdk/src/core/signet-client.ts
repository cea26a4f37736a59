import type { EventContext, JsonObject, JsonValue } from '@signet/protocol';
import { LIMITS, nestingDepth } from '@signet/protocol';
import type { AuthenticationListener } from './authentication-error.ts';
import { badId, type EventFields, eventProblem } from './event-checks.ts';
import { baseContext } from './event-context.ts';
import { EventPipeline } from './event-pipeline.ts';
import { EventQueue } from './event-queue.ts';
import { Identity } from './identity.ts';
import { Listeners } from './listeners.ts';
import { OptOut } from './opt-out.ts';
import { type ResolvedOptions, resolveOptions, type SignetOptions } from './options.ts';
import {
  type Clock,
  type Locks,
  noLocks,
  type StorageAdapter,
  systemClock,
  type Transport,
} from './runtime.ts';
import { ServerClock } from './server-clock.ts';
import { Session } from './session.ts';
import { isObject } from './stored-record.ts';
import { SuperProperties } from './super-properties.ts';
import { type Counters, SyncLoop, type SyncState } from './sync-loop.ts';
import { storedTokens, TokenStore } from './token-store.ts';

export const SDK_VERSION = '0.1.0';

/** What `stats()` reports. */
export interface SignetStats {
  /** Events stored and not yet acknowledged. */
  queued: number;
  /** Events the server stored. */
  sent: number;
  /**
   * Events dropped: refused by the server as invalid (400/413), beyond `maxQueueSize`, a call
   * with bad arguments (never thrown at the page), dropped by `beforeSend`, or still queued when
   * the visitor opted out.
   */
  dropped: number;
  /** Events the server already had (a retry of an acknowledged send). */
  duplicatesAcknowledged: number;
  /** Consecutive authentication failures in this session (syncing pauses at 10). */
  authFailuresInSession: number;
  state: SyncState;
  pausedReason: 'auth_failures' | null;
  /** Writes that storage could not hold (missing or full), kept only in memory. */
  storageFallbacks: number;
}

/** The runtime pieces an entry point supplies (browser or Node). */
export interface Runtime {
  storage: StorageAdapter;
  transport: Transport;
  clock?: Clock;
  locks?: Locks;
  sdkName: string;
  /** The runtime's part of each event's context (the browser's page, screen, user agent, campaign). */
  context?: () => EventContext;
}

/**
 * The SDK instance `Signet.init` returns: it queues events durably, sends them in batches with
 * the current user's token, and runs the token lifecycle of SPEC §6.
 */
export class SignetClient {
  private readonly options: ResolvedOptions;
  private readonly storage: StorageAdapter;
  private readonly clock: Clock;
  private readonly queue: EventQueue;
  private readonly identity: Identity;
  private readonly session: Session;
  private readonly tokens: TokenStore;
  private readonly listeners: Listeners;
  private readonly loop: SyncLoop;
  private readonly pipeline: EventPipeline;
  private readonly superProperties: SuperProperties;
  private readonly consent: OptOut;
  private readonly counters: Counters = {
    sent: 0,
    dropped: 0,
    duplicatesAcknowledged: 0,
    storageFallbacks: 0,
  };
  private readonly log: (message: string) => void;

  constructor(options: SignetOptions, runtime: Runtime) {
    this.options = resolveOptions(options);
    const logger = options.logger ?? ((message: string) => console.log(message));
    this.log = options.debug ? (message) => logger(`[signet] ${message}`) : () => {};
    this.storage = options.storage ?? runtime.storage;
    this.clock = options.clock ?? runtime.clock ?? systemClock;
    const prefix = `signet:${this.options.appId}:`;
    const serverClock = new ServerClock(this.clock);
    this.listeners = new Listeners(this.log);
    this.queue = new EventQueue(
      this.storage,
      `${prefix}q:`,
      this.options.maxQueueSize,
      (count, why) => {
        this.counters.dropped += count;
        this.log(`dropped ${count} events: ${why}`);
      },
      () => this.counters.storageFallbacks++,
    );
    this.identity = new Identity(this.storage, `${prefix}identity`, this.clock);
    this.superProperties = new SuperProperties(this.storage, `${prefix}super`);
    this.consent = new OptOut(this.storage, `${prefix}optedOut`);
    const sdk = { name: runtime.sdkName, version: SDK_VERSION };
    const base = baseContext(sdk);
    const runtimeContext = runtime.context;
    this.pipeline = new EventPipeline({
      context: runtimeContext ? () => ({ ...base, ...runtimeContext() }) : () => base,
      beforeSend: this.options.beforeSend,
      log: this.log,
    });
    this.session = new Session(
      this.storage,
      `${prefix}session`,
      this.clock,
      this.options.sessionTimeoutMs,
      () => {
        this.log('new session');
        // A new session lifts the 10-failure pause (SPEC B4).
        if (this.loop?.state === 'paused-until-next-session') this.loop.schedule();
      },
    );
    this.tokens = new TokenStore(
      storedTokens(this.storage, `${prefix}tokens`),
      serverClock,
      this.listeners,
      this.options.tokenProvider,
      (userId) => this.loop.retryUser(userId),
      this.log,
      this.options.userIdClaim,
    );
    this.loop = new SyncLoop({
      options: this.options,
      queue: this.queue,
      tokens: this.tokens,
      session: this.session,
      listeners: this.listeners,
      serverClock,
      clock: this.clock,
      transport: options.transport ?? runtime.transport,
      locks: options.locks ?? runtime.locks ?? noLocks,
      random: options.random ?? Math.random,
      counters: this.counters,
      sdk,
      currentUserId: () => this.identity.current().userId,
      optedOut: () => this.consent.optedOut,
      log: this.log,
    });
    if (this.queue.size > 0) this.loop.armInterval();
  }

  /**
   * Identifies the user; later events belong to them. Coming from anonymous, an `alias` event
   * links the earlier anonymous data. `traits` are stored on the user's profile (an `attributes`
   * event): as `attributes` when the batch's token verifies, else as `unverifiedAttributes`.
   *
   * @example
   * signet.identify('user-42', { plan: 'pro', email: 'ada@example.com' });
   */
  identify(userId: string, traits?: JsonObject): void {
    const bad = badId('identify: userId', userId);
    if (bad) return this.refuse(bad);
    const before = this.identity.current();
    if (before.userId !== userId) {
      this.identity.identify(userId);
      if (before.userId === undefined) this.emit({ type: 'alias', anonymousId: before.anonymousId });
    }
    // No traits, or none to store (the server refuses empty attributes): nothing to send. Traits
    // that are not an object are refused (counted) by the checks every event gets.
    if (traits === undefined || (isObject(traits) && Object.keys(traits).length === 0)) return;
    this.emit({ type: 'attributes', attributes: traits });
  }

  /**
   * Records an event for the current user (or anonymous visitor), with the super properties.
   *
   * @example
   * signet.track('Added to cart', { sku: 'A1' });
   */
  track(name: string, properties?: JsonObject): void {
    const merged = this.withSuper(properties);
    this.emit(merged === undefined ? { type: 'track', name } : { type: 'track', name, properties: merged });
  }

  /**
   * Records a page view, with the super properties. In the browser its properties start from
   * the page's `url`, `path`, `referrer`, `title` and `search` (yours win).
   *
   * @example
   * signet.page('Pricing', { plan_shown: 'pro' });
   */
  page(name?: string, properties?: JsonObject): void {
    const merged = this.withSuper(properties);
    this.emit({
      type: 'page',
      // null as "no name", as Segment's page(null, props) means.
      ...(name !== undefined && name !== null && { name }),
      ...(merged !== undefined && { properties: merged }),
    });
  }

  /**
   * Sets one attribute on the current user's profile.
   *
   * @example
   * signet.setUserAttribute('plan', 'pro');
   */
  setUserAttribute(key: string, value: JsonValue): void {
    if (typeof key !== 'string' || key === '') {
      return this.refuse('setUserAttribute: key must be a non-empty string');
    }
    this.emit({ type: 'attributes', attributes: { [key]: value } });
  }

  /**
   * Super properties: merged into every later `track` and `page` (the call's own properties
   * win), kept across reloads and restarts until `unregister` or `logout()`.
   *
   * @example
   * signet.register({ app_version: '2.4.0', plan: 'pro' });
   */
  register(properties: JsonObject): void {
    try {
      // The depth check also stops a cycle before JSON.stringify meets it; a BigInt throws there.
      if (
        !isObject(properties) ||
        nestingDepth(properties, LIMITS.maxNestingDepth) > LIMITS.maxNestingDepth
      ) {
        throw 0;
      }
      this.superProperties.register(properties);
    } catch {
      // Nothing is lost by a bad call here, so nothing is counted: it is logged and ignored.
      this.log(
        `register ignored: properties must be a JSON object nested at most ${LIMITS.maxNestingDepth} levels`,
      );
    }
  }

  /** Removes one super property. */
  unregister(key: string): void {
    this.superProperties.unregister(String(key));
  }

  /**
   * Stops tracking this visitor, here and in every tab, across reloads and restarts: nothing
   * is queued or sent from now on, and what is queued now is deleted (counted in
   * `stats().dropped`). A batch already on its way cannot be called back.
   *
   * @example
   * consentBanner.onReject(() => signet.optOut());
   */
  optOut(): void {
    this.consent.set(true);
    const ids = this.queue.load().map((item) => item.event.id);
    this.queue.remove(ids);
    this.counters.dropped += ids.length;
    this.log(`opted out: dropped ${ids.length} queued events`);
  }

  /** Tracks again after `optOut()` (nothing from the opted-out time comes back). */
  optIn(): void {
    this.consent.set(false);
    this.log('opted in');
  }

  isOptedOut(): boolean {
    return this.consent.optedOut;
  }

  /**
   * Gives the SDK the newest token for a user. A token for another user or already expired
   * (by server time) is refused at once and reported to the listeners.
   *
   * @example
   * signet.passAuthenticationDetails({ type: 'jwt', token, userIdentifier: 'user-42' });
   */
  passAuthenticationDetails(details: { type: 'jwt'; token: string; userIdentifier: string }): void {
    // No event is lost here, so nothing counts as dropped: the problem is only logged.
    if (details?.type !== 'jwt') return this.log("passAuthenticationDetails ignored: type must be 'jwt'");
    if (typeof details.token !== 'string' || details.token === '') {
      return this.log('passAuthenticationDetails ignored: token must be a non-empty string');
    }
    const bad = badId('passAuthenticationDetails: userIdentifier', details.userIdentifier);
    if (bad) return this.log(`passAuthenticationDetails ignored: ${bad}`);
    this.tokens.pass(details.userIdentifier, details.token);
  }

  /**
   * Calls `listener` once per authentication failure, one failure at a time. Returns a function
   * that removes it.
   *
   * @example
   * const off = signet.registerAuthenticationListener((error) => refreshToken(error.data.userIdentifier));
   */
  registerAuthenticationListener(listener: AuthenticationListener): () => void {
    if (typeof listener !== 'function') {
      this.log('registerAuthenticationListener ignored: listener must be a function');
      return () => {};
    }
    return this.listeners.add(listener);
  }

  /**
   * Sends everything that can be sent now (also while backing off); resolves when done.
   *
   * @example
   * await signet.flush();
   */
  async flush(): Promise<void> {
    await this.loop.run({ force: true });
    await this.storage.persist?.();
  }

  /** Another context queued events: make sure a pass runs within `flushIntervalMs`. */
  nudge(): void {
    this.loop.armInterval();
  }

  /** Sends the queue with `fetch(keepalive)` in ≤ 64 KiB batches: used when the page is hidden. */
  flushKeepalive(): Promise<unknown> {
    return this.loop.runNow({ force: true, keepalive: true });
  }

  /**
   * Logs the user out: sends their pending data first. If that fails for the token, their pending
   * data is deleted and never retried; if the network fails, it is kept, still bound to them.
   *
   * @example
   * await signet.logout();
   */
  async logout(): Promise<void> {
    const { userId } = this.identity.current();
    this.identity.reset();
    // Like PostHog's reset(): the next person on this device does not inherit them.
    this.superProperties.clear();
    if (userId !== undefined) {
      const user = `i:${userId}`;
      const outcome = (await this.loop.run({ force: true, only: user })).get(user);
      if (outcome === 'jwt') {
        const ids = this.queue
          .load()
          .filter((item) => item.user === user)
          .map((item) => item.event.id);
        this.queue.remove(ids);
        this.tokens.prune(new Set());
        this.log(`logout: sync of user ${userId} failed for the token; deleted ${ids.length} pending events`);
      }
    }
    await this.storage.persist?.();
  }

  /** Starts a new session now (it also lifts the 10-failure pause). */
  startNewSession(): void {
    this.session.start();
  }

  stats(): SignetStats {
    const session = this.session.current();
    return {
      queued: this.queue.size,
      sent: this.counters.sent,
      dropped: this.counters.dropped,
      duplicatesAcknowledged: this.counters.duplicatesAcknowledged,
      authFailuresInSession: session.failures,
      state: session.paused ? 'paused-until-next-session' : this.loop.state,
      pausedReason: session.paused ? 'auth_failures' : null,
      storageFallbacks: this.counters.storageFallbacks,
    };
  }

  /** Stops timers (the queue stays stored). */
  close(): Promise<void> | undefined {
    this.loop.stop();
    return this.storage.persist?.();
  }

  /**
   * A call that cannot become an event: counted as dropped and logged, never thrown, so that a
   * bad argument can never break the host page (SPEC: no drop is silent).
   */
  private refuse(why: string): void {
    this.counters.dropped++;
    this.log(`dropped 1 event: ${why}`);
  }

  /**
   * The call's properties with the super properties under them. Properties that are not an
   * object are passed on as they are, for the event's checks to refuse (counted).
   */
  private withSuper(properties: JsonObject | undefined): JsonObject | undefined {
    return properties === undefined || isObject(properties)
      ? this.superProperties.mergeInto(properties)
      : properties;
  }

  /** Makes and queues one event, unless the visitor opted out (then it is not a drop either). */
  private emit(fields: EventFields): void {
    if (this.consent.optedOut) return this.log(`opted out: ${fields.type} not queued`);
    const problem = eventProblem(fields);
    if (problem) return this.refuse(problem);
    const now = this.clock.now();
    const prepared = this.pipeline.prepare(fields, now, this.session.touch(now));
    if ('dropped' in prepared) return this.refuse(prepared.dropped);
    this.queue.add(this.identity.currentKeyJson(), prepared.id, prepared.json);
    if (this.queue.size >= this.options.flushAt) this.loop.schedule();
    else this.loop.armInterval();
  }
}
